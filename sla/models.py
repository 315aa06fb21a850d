"""Business calendars: when the SLA clock runs.

A calendar is a time zone, working periods per weekday (several periods on one day express
breaks such as lunch) and days off: explicit holidays plus, optionally, a country's public
holidays from the `holidays` library. The arithmetic lives in `sla.business_time`, which works
on a `Schedule` value object built by `sla.selectors.schedule_for_calendar`.
"""

import functools
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from tickets.models import PlanTier, Priority

NO_PERIODS_MESSAGE = (
    "A calendar needs at least one working period; a policy that never stops the clock "
    "should run 24/7 instead of on a calendar."
)


@functools.cache
def _known_timezones() -> frozenset[str]:
    # Scanning the tz database takes a few milliseconds; it does not change while running.
    return frozenset(zoneinfo.available_timezones())


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class BusinessCalendar(models.Model):
    name = models.CharField(max_length=100, unique=True)
    timezone = models.CharField(
        max_length=64,
        default="UTC",
        help_text="IANA time zone name, e.g. Europe/Berlin or America/New_York.",
    )
    holiday_country = models.CharField(
        max_length=3,
        blank=True,
        help_text="Country code whose public holidays are days off, e.g. DE. Leave blank for "
        "none; explicit holidays below always apply.",
    )
    holiday_subdivision = models.CharField(
        max_length=10,
        blank=True,
        help_text="Optional state or region of that country, e.g. BY for Bavaria.",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "business calendar"
        verbose_name_plural = "business calendars"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.timezone not in _known_timezones():
            errors["timezone"] = (
                f"“{self.timezone}” is not a known time zone; use an IANA name such as "
                "Europe/Berlin or America/New_York."
            )
        if self.holiday_subdivision and not self.holiday_country:
            errors["holiday_subdivision"] = "A subdivision needs a holiday country."
        elif self.holiday_country:
            errors.update(self._country_errors())
        # A new calendar's periods arrive with it (the admin inline requires one); a saved
        # calendar must keep at least one, or no deadline could ever be reached.
        if self.pk is not None and not self.periods.exists():
            errors["__all__"] = NO_PERIODS_MESSAGE
        if errors:
            raise ValidationError(errors)

    def _country_errors(self) -> dict[str, str]:
        import holidays  # imported here: loading it costs time that most requests never need

        supported = holidays.list_supported_countries()
        if self.holiday_country not in supported:
            return {
                "holiday_country": f"No public holidays are known for “{self.holiday_country}”; "
                "use an ISO 3166 country code such as DE or US."
            }
        if (
            self.holiday_subdivision
            and self.holiday_subdivision not in (supported[self.holiday_country])
        ):
            choices = ", ".join(supported[self.holiday_country]) or "none"
            return {
                "holiday_subdivision": f"“{self.holiday_subdivision}” is not a subdivision of "
                f"{self.holiday_country} (known: {choices})."
            }
        return {}


class WorkingPeriod(models.Model):
    """One stretch of working time on a weekday, in the calendar's local wall time."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="periods")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["weekday", "start", "id"]
        verbose_name = "working period"
        verbose_name_plural = "working periods"
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lt=F("end")),
                name="sla_period_starts_before_it_ends",
                violation_error_message="A working period must end after it starts, on the "
                "same day.",
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6),
                name="sla_period_weekday_in_range",
                violation_error_message="Weekday must be 0 (Monday) to 6 (Sunday).",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class Holiday(models.Model):
    """A day off on one calendar, on top of its country's public holidays."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField()
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = "holiday"
        verbose_name_plural = "holidays"
        constraints = [
            models.UniqueConstraint(
                fields=["calendar", "date"],
                name="sla_holiday_once_per_calendar_and_date",
                violation_error_message="This calendar already has a holiday on that date.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}".rstrip()


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


class DailySlaReport(models.Model):
    """A team's morning SLA report (seed 000, 09:00 in the team's time zone): resolved and
    breached since the previous report, at risk now, compliance per priority. One per team
    and local date, so the job can run often and twice."""

    team = models.ForeignKey("agents.Team", on_delete=models.CASCADE, related_name="sla_reports")
    date = models.DateField(help_text="The team's local date.")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    recorded_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Breaches recorded from here on were not in this report: the next one lists "
        "those dated before its period as recorded late.",
    )
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "team__name"]
        verbose_name = "daily SLA report"
        constraints = [
            models.UniqueConstraint(fields=["team", "date"], name="daily_sla_report_once")
        ]

    def __str__(self) -> str:
        return f"{self.team} SLA report {self.date}"
