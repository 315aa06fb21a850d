"""SLA policies (which tickets they cover, which statuses pause them) and their targets."""

from django.core.exceptions import ValidationError
from django.db import models

from sla.models.calendars import BusinessCalendar
from tickets.models import PlanTier, Priority


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First response"
    NEXT_RESPONSE = "next_response", "Next response"
    RESOLUTION = "resolution", "Resolution"


def default_pause_statuses() -> list[str]:
    return ["waiting_customer"]


class SlaPolicy(models.Model):
    """Targets per priority and plan tier, optionally scoped to an organization (a contract)
    or a category. The most specific active policy wins: organization and category, then
    organization, then category, then the default (no scope)."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    organization = models.ForeignKey(
        "tickets.Organization",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sla_policies",
    )
    category = models.ForeignKey(
        "tickets.Category",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sla_policies",
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="policies",
        help_text="Empty means the clock runs 24/7.",
    )
    pause_statuses = models.JSONField(
        default=default_pause_statuses,
        blank=True,
        help_text='Ticket statuses that pause the clock, e.g. ["waiting_customer"].',
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from tickets.models import Status

        statuses = self.pause_statuses or []
        if not isinstance(statuses, list) or any(s not in Status.values for s in statuses):
            raise ValidationError(
                {"pause_statuses": f"Use a list of ticket statuses: {', '.join(Status.values)}."}
            )
        if {"resolved", "closed"} & set(statuses):
            raise ValidationError({"pause_statuses": "Resolved and closed already stop the clock."})
        if self.active:
            same_scope = SlaPolicy.objects.filter(
                active=True, organization=self.organization_id, category=self.category_id
            ).exclude(pk=self.pk)
            if same_scope.exists():
                raise ValidationError(
                    f"Another active policy already covers the {self.scope_label} scope."
                )

    @property
    def scope_label(self) -> str:
        parts = []
        if self.organization_id:
            parts.append(f"organization {self.organization}")
        if self.category_id:
            parts.append(f"category {self.category}")
        return " and ".join(parts) or "default"


class SlaTarget(models.Model):
    """Business minutes per metric for one priority and plan tier. An empty tier is the
    fallback for customers without a tier. An empty metric means no target for it."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    priority = models.CharField(max_length=10, choices=Priority.choices)
    plan_tier = models.CharField(
        max_length=20, blank=True, choices=[("", "No tier (fallback)"), *PlanTier.choices]
    )
    first_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    next_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["policy", "priority", "plan_tier"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "priority", "plan_tier"], name="sla_target_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.policy}: {self.priority} / {self.plan_tier or 'no tier'}"

    def minutes_for(self, metric: str) -> int | None:
        return getattr(self, f"{metric}_minutes")
