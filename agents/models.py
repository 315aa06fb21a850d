from django.conf import settings
from django.db import models


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
