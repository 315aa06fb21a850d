"""Escalation ladders, their levels, and each ticket's run up a ladder with its steps."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from sla.models.clocks import SlaEvent
from sla.models.policies import Metric, SlaPolicy


class EscalationLadder(models.Model):
    """An ordered list of levels that climb after an SLA warning or breach, or after the
    desk's escalate button. The most specific active ladder for the trigger wins: one for the
    ticket's policy and metric, then the policy, then the metric, then any."""

    class Trigger(models.TextChoices):
        WARNING = "warning", "SLA at risk (75 %)"
        BREACH = "breach", "SLA breached"
        MANUAL = "manual", "Escalate button in the desk"

    name = models.CharField(max_length=100, unique=True)
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    policy = models.ForeignKey(
        SlaPolicy,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="ladders",
        help_text="Empty: every policy.",
    )
    metric = models.CharField(
        max_length=20, choices=Metric.choices, blank=True, help_text="Empty: every metric."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["trigger", "name"]

    def __str__(self) -> str:
        return self.name


class EscalationLevel(models.Model):
    class Reassign(models.TextChoices):
        NONE = "", "Keep the assignee"
        SENIOR = "senior", "A senior agent of the team"
        TEAM_LEAD = "team_lead", "The team lead"
        MANAGER = "manager", "A manager"
        ON_CALL = "on_call", "The on-call agent"

    ladder = models.ForeignKey(EscalationLadder, on_delete=models.CASCADE, related_name="levels")
    position = models.PositiveSmallIntegerField(help_text="1 fires first.")
    after_minutes = models.PositiveIntegerField(
        default=0,
        help_text="Business minutes after the trigger (for the escalate button: after the "
        "previous level) before this level fires.",
    )
    notify_assignee = models.BooleanField(default=False)
    notify_team_lead = models.BooleanField(default=False)
    notify_manager = models.BooleanField(default=False)
    notify_on_call = models.BooleanField(default=False)
    reassign_to = models.CharField(
        max_length=10, choices=Reassign.choices, blank=True, default=Reassign.NONE
    )
    reassign_only_if_uncovered = models.BooleanField(
        default=False,
        help_text="Reassign only when nobody is assigned or the assignee is away or offline.",
    )
    escalate = models.BooleanField(
        default=False,
        help_text="Mark the ticket escalated (escalation level + 1) without raising its priority; "
        "reassigning or raising the priority always does.",
    )
    raise_priority = models.BooleanField(default=False)

    class Meta:
        ordering = ["ladder", "position"]
        constraints = [
            models.UniqueConstraint(fields=["ladder", "position"], name="escalation_level_unique")
        ]

    def __str__(self) -> str:
        return f"{self.ladder} level {self.position}"

    def clean(self) -> None:
        if not (
            self.notify_assignee
            or self.notify_team_lead
            or self.notify_manager
            or self.notify_on_call
            or self.reassign_to
            or self.escalate
            or self.raise_priority
        ):
            raise ValidationError(
                "A level must notify someone, reassign, escalate or raise the priority."
            )
        if self.reassign_only_if_uncovered and not self.reassign_to:
            raise ValidationError(
                {"reassign_only_if_uncovered": "Choose whom to reassign to, or untick this."}
            )

    @property
    def escalates(self) -> bool:
        """Whether firing counts as an escalation (escalates, reassigns or raises the
        priority)."""
        return bool(self.escalate or self.reassign_to or self.raise_priority)


class TicketEscalation(models.Model):
    """A ladder climbing on one ticket. Acknowledging stops it."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="escalations"
    )
    ladder = models.ForeignKey(EscalationLadder, on_delete=models.CASCADE, related_name="+")
    trigger_event = models.OneToOneField(
        SlaEvent,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="escalation",
        help_text="The warning or breach that started it; empty for the escalate button.",
    )
    reason = models.TextField(blank=True)
    started_at = models.DateTimeField()
    level = models.PositiveSmallIntegerField(default=0, help_text="Levels fired so far.")
    next_fire_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            # Two sweep workers recording two alerts of one ticket at once must not start
            # the same ladder twice: one unacknowledged run per ladder and ticket.
            models.UniqueConstraint(
                fields=["ticket", "ladder"],
                condition=Q(acknowledged_at__isnull=True),
                name="escalation_one_open_run_per_ladder",
            )
        ]
        indexes = [
            models.Index(
                fields=["next_fire_at"],
                name="escalation_due",
                condition=Q(acknowledged_at__isnull=True, next_fire_at__isnull=False),
            ),
            models.Index(fields=["ticket", "acknowledged_at"], name="escalation_ticket_active"),
        ]

    def __str__(self) -> str:
        return f"{self.ladder} on {self.ticket_id}"

    @property
    def is_active(self) -> bool:
        return self.acknowledged_at is None


class EscalationStep(models.Model):
    """One level that fired: recorded once (unique), with what it did."""

    escalation = models.ForeignKey(TicketEscalation, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    due_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the level was due; earlier than when it fired if the sweep was late "
        "(several levels overdue at once fire together, each keeps its own due time).",
    )
    fired_at = models.DateTimeField()
    actions = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["escalation", "position"]
        constraints = [
            models.UniqueConstraint(fields=["escalation", "position"], name="escalation_step_once")
        ]

    def __str__(self) -> str:
        return f"Level {self.position} of {self.escalation}"
