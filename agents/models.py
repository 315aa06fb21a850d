from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q


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

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_lead(self) -> bool:
        return self.seniority in {self.Seniority.TEAM_LEAD, self.Seniority.MANAGER}


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
