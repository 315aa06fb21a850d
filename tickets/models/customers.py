"""Who tickets come from: organizations and their customers."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper

from tickets.models.choices import PlanTier, parse_plan_tier


class Organization(models.Model):
    name = models.CharField(max_length=200, unique=True)
    domain = models.CharField(max_length=200, blank=True)
    plan_tier = models.CharField(max_length=20, choices=PlanTier.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # Health over the last 30 days (seed 003 "health_check"), stored so the organization
    # page reads one row. Refreshed by `tickets.organization_health` after a resolve and
    # after a survey answer; `health_updated_at` is empty until the first refresh.
    tickets_30d = models.PositiveIntegerField(default=0, help_text="Tickets opened.")
    csat_30d = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="% of answered surveys rated 4 or 5; empty: none."
    )
    surveys_answered_30d = models.PositiveIntegerField(default=0)
    breaches_30d = models.PositiveIntegerField(default=0, help_text="SLA breaches recorded.")
    health_updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean_fields(self, exclude=None) -> None:
        self.plan_tier = parse_plan_tier(self.plan_tier)
        super().clean_fields(exclude=exclude)


class Customer(models.Model):
    name = models.CharField(max_length=200)
    email = models.EmailField(unique=True)
    plan_tier = models.CharField(
        max_length=20,
        choices=PlanTier.choices,
        blank=True,
        help_text="Empty means no tier: the fallback SLA hours apply.",
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="customers"
    )
    language = models.CharField(max_length=10, default="en")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customer",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            # Portal and email look customers up by email, case-insensitively, on every
            # new ticket; the unique index is case-sensitive.
            models.Index(Upper("email"), name="customer_email_upper"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    def clean_fields(self, exclude=None) -> None:
        self.plan_tier = parse_plan_tier(self.plan_tier)
        super().clean_fields(exclude=exclude)
