import zoneinfo
from datetime import datetime, time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q


class AssignmentStrategy(models.TextChoices):
    """How a team's new and waiting tickets find an agent (`agents.routing`)."""

    SKILL_SCORED = "skill_scored", "Skill score"
    ROUND_ROBIN = "round_robin", "Round robin"
    LEAST_BUSY = "least_busy", "Least busy"
    MANUAL = "manual", "Manual"


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_teams",
    )
    categories = models.ManyToManyField(
        "tickets.Category",
        blank=True,
        related_name="teams",
        help_text="Ticket categories this team handles.",
    )
    calendar = models.ForeignKey(
        "sla.BusinessCalendar",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="teams",
        help_text="The team's working calendar; its time zone sets the 09:00 daily SLA report.",
    )
    assignment_strategy = models.CharField(
        max_length=20,
        choices=AssignmentStrategy.choices,
        default=AssignmentStrategy.SKILL_SCORED,
        help_text="How new tickets of this team are given to its agents. Manual: nobody is "
        "picked, agents claim from the queue.",
    )
    # The round-robin turn: routing locks the team row, so concurrent tickets take turns.
    last_assigned_agent = models.ForeignKey(
        "AgentProfile",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AgentProfile(models.Model):
    """Makes a user an agent. Users without a profile (customers) never reach the desk."""

    class Seniority(models.TextChoices):
        AGENT = "agent", "Agent"
        SENIOR = "senior", "Senior agent"
        TEAM_LEAD = "team_lead", "Team lead"
        MANAGER = "manager", "Manager"

    class Status(models.TextChoices):
        AVAILABLE = "available", "Available"
        AWAY = "away", "Away"
        OFFLINE = "offline", "Offline"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profile"
    )
    display_name = models.CharField(max_length=100)
    seniority = models.CharField(max_length=20, choices=Seniority.choices, default=Seniority.AGENT)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.AVAILABLE)
    teams = models.ManyToManyField(Team, blank=True, related_name="members")
    skills = models.ManyToManyField(
        "tickets.Category",
        blank=True,
        related_name="skilled_agents",
        help_text="Ticket categories this agent knows well (skill-scored routing: +30).",
    )
    languages = models.JSONField(
        default=list,
        blank=True,
        help_text='Language codes the agent answers in, e.g. ["en", "de"].',
    )
    timezone = models.CharField(max_length=64, default="UTC", help_text="e.g. Europe/Berlin")
    work_starts = models.TimeField(default=time(9), help_text="Monday to Friday, local time.")
    work_ends = models.TimeField(default=time(17), help_text="Monday to Friday, local time.")
    expertise = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="1 (new) to 5 (expert).",
    )
    capacity = models.PositiveIntegerField(
        default=20, help_text="Most open tickets routing gives this agent."
    )

    class Meta:
        ordering = ["display_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expertise__gte=1, expertise__lte=5),
                name="agent_expertise_1_to_5",
                violation_error_message="Expertise is a level from 1 to 5.",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_lead(self) -> bool:
        return self.seniority in {self.Seniority.TEAM_LEAD, self.Seniority.MANAGER}

    def clean(self) -> None:
        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValidationError({"timezone": f"Unknown time zone {self.timezone!r}."}) from None
        values = self.languages
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ValidationError({"languages": 'Give a list of language codes, e.g. ["en"].'})
        self.languages = sorted({v.strip().lower() for v in values if v.strip()})

    def in_working_hours(self, at: datetime) -> bool:
        """Monday to Friday between `work_starts` and `work_ends` in the agent's time zone
        (a shift past midnight, e.g. 22:00–06:00, counts from the start day)."""
        try:
            tz = zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            tz = zoneinfo.ZoneInfo("UTC")
        local = at.astimezone(tz)
        now, start, end = local.time(), self.work_starts, self.work_ends
        if start <= end:
            return local.weekday() < 5 and start <= now < end
        if now >= start:
            return local.weekday() < 5
        return (local.weekday() - 1) % 7 < 5 and now < end


class OnCallShift(models.Model):
    """A stretch of time an agent is on call for some ticket priorities (seed 000's rota).

    A shift with a team is that team's on-call; one without a team covers everyone.
    `agents.selectors.on_call_agent` picks who is on call at a moment.
    """

    agent = models.ForeignKey(AgentProfile, on_delete=models.CASCADE, related_name="on_call_shifts")
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="on_call_shifts",
        help_text="Empty means on call for every team.",
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    priorities = models.JSONField(
        default=list,
        help_text='The ticket priorities this shift covers, e.g. ["high", "critical"].',
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = "on-call shift"
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__lt=F("ends_at")),
                name="oncall_shift_ends_after_start",
                violation_error_message="A shift must end after it starts.",
            )
        ]
        indexes = [
            # "Who is on call at t": shifts that have not ended yet, then those begun by t.
            models.Index(fields=["ends_at", "starts_at"], name="oncall_shift_window"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.agent} on call {self.starts_at:%Y-%m-%d %H:%M} to {self.ends_at:%Y-%m-%d %H:%M}"
        )

    def clean(self) -> None:
        """Priorities must be a non-empty list of ticket priorities; aliases (urgent, normal)
        are accepted and stored as what they stand for, in priority order."""
        from tickets.models import PRIORITY_ALIASES, PRIORITY_ORDER

        values = self.priorities
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ValidationError({"priorities": "Give a list of priorities."})
        normalized = set()
        unknown = []
        for value in values:
            value = value.strip().lower()
            value = PRIORITY_ALIASES.get(value, value)
            if value in PRIORITY_ORDER:
                normalized.add(value)
            else:
                unknown.append(value)
        if unknown:
            allowed = ", ".join(str(p) for p in PRIORITY_ORDER)
            raise ValidationError(
                {"priorities": f"Unknown priority {', '.join(unknown)}; use {allowed}."}
            )
        if not normalized:
            raise ValidationError({"priorities": "A shift covers at least one priority."})
        self.priorities = [str(p) for p in PRIORITY_ORDER if p in normalized]

    def covers(self, priority: str) -> bool:
        return priority in self.priorities


class TicketPresence(models.Model):
    """Which agent has a ticket open right now, and whether they are writing a reply.

    One row per agent and ticket, refreshed by the ticket page's heartbeat (`agents.presence`);
    a row whose `last_seen` is older than the presence window counts as gone, so a closed
    tab needs no cleanup to disappear.
    """

    class State(models.TextChoices):
        VIEWING = "viewing", "Viewing"
        REPLYING = "replying", "Replying"

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="presences")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ticket_presences"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.VIEWING)
    last_seen = models.DateTimeField()

    class Meta:
        verbose_name = "ticket presence"
        constraints = [
            models.UniqueConstraint(fields=["ticket", "user"], name="ticket_presence_unique")
        ]
        indexes = [
            # "Who else is on this ticket now": the ticket's rows seen since the cut-off.
            models.Index(fields=["ticket", "last_seen"], name="ticket_presence_seen"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.state} {self.ticket_id}"
