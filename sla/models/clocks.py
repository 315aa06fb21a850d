"""A ticket's SLA clocks (one per metric it is measured on) and their audit events."""

from django.db import models
from django.utils import timezone

from sla.models.policies import Metric, SlaPolicy


class SlaClock(models.Model):
    """One target running on one ticket. Deadlines are stored so the sweep and the queues can
    use indexes; `paused_minutes` banks the business time spent paused, so a resumed or
    reopened clock continues where it stopped."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        PAUSED = "paused", "Paused"
        STOPPED = "stopped", "Stopped"  # met (or ended without meeting, see met_at)

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="sla_clocks"
    )
    policy = models.ForeignKey(SlaPolicy, null=True, on_delete=models.SET_NULL, related_name="+")
    metric = models.CharField(max_length=20, choices=Metric.choices)
    cycle = models.PositiveIntegerField(
        default=1, help_text="Next response starts a new cycle at each unanswered customer reply."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    target_minutes = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    paused_since = models.DateTimeField(null=True, blank=True)
    paused_minutes = models.FloatField(default=0, help_text="Banked business minutes paused.")
    warn_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)
    generation = models.PositiveIntegerField(
        default=1, help_text="Bumped when the target is recomputed; alerts are per generation."
    )
    warned = models.BooleanField(default=False)
    breached = models.BooleanField(default=False)
    met_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["ticket", "metric", "cycle"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "metric", "cycle"], name="sla_clock_unique_cycle"
            )
        ]
        indexes = [
            # The sweep: only running clocks whose threshold has not been recorded yet.
            models.Index(
                fields=["warn_at"],
                name="sla_clock_due_warning",
                condition=models.Q(status="running", warned=False),
            ),
            models.Index(
                fields=["deadline"],
                name="sla_clock_due_breach",
                condition=models.Q(status="running", breached=False),
            ),
            models.Index(fields=["ticket", "status"], name="sla_clock_ticket_status"),
        ]

    def __str__(self) -> str:
        return f"{self.get_metric_display()} on {self.ticket_id}"


class SlaEvent(models.Model):
    """The SLA timeline of a ticket: every start, pause, resume, recompute, warning, breach
    and met. A warning or a breach is recorded once per clock and generation."""

    class Kind(models.TextChoices):
        STARTED = "started", "Started"
        PAUSED = "paused", "Paused"
        RESUMED = "resumed", "Resumed"
        RECOMPUTED = "recomputed", "Recomputed"
        WARNED = "warned", "At risk"
        BREACHED = "breached", "Breached"
        MET = "met", "Met"
        STOPPED = "stopped", "Stopped"

    clock = models.ForeignKey(SlaClock, on_delete=models.CASCADE, related_name="events")
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="sla_events"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    generation = models.PositiveIntegerField(default=1)
    at = models.DateTimeField(help_text="When it happened: for an alert, the threshold time.")
    recorded_at = models.DateTimeField(
        default=timezone.now,
        help_text="When it was written; later than `at` for an alert recorded late (a priority "
        "raise that put the deadline in the past, a worker that was down).",
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["clock", "kind", "generation"],
                condition=models.Q(kind__in=["warned", "breached"]),
                name="sla_alert_once",
            )
        ]
        indexes = [
            models.Index(fields=["ticket", "at"], name="sla_event_ticket_at"),
            models.Index(fields=["kind", "at"], name="sla_event_kind_at"),
            models.Index(fields=["kind", "recorded_at"], name="sla_event_kind_recorded"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.clock})"
