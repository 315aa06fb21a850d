"""Analytics rollups (seed 001 `ticket_metrics`; analytics.rollup writes them, see
docs/analytics.md). Dimension keys are plain integers, 0 meaning "none", so one unique
constraint works on every database and a rerun of an hour replaces its rows. The tables kept
their names from when these models lived in `tickets`.
"""

from django.db import models

from tickets.models import Priority


class TicketMetricsHour(models.Model):
    """Counts and sums for one UTC hour × team × category × assignee (the ticket's current
    ones). Averages and rates are exact ratios of sums over rows, so any range of hours and
    any filter add up. Activity columns count what happened in the hour (a first response, a
    resolution, an answered survey); `cohort_*` columns describe the tickets created in it."""

    hour = models.DateTimeField(help_text="Start of the hour, UTC.")
    team_key = models.PositiveIntegerField(default=0, help_text="Team id; 0: no team.")
    category_key = models.PositiveIntegerField(default=0, help_text="Category id; 0: none.")
    assignee_key = models.PositiveIntegerField(default=0, help_text="User id; 0: unassigned.")

    created = models.PositiveIntegerField(default=0)
    created_critical = models.PositiveIntegerField(default=0)
    cohort_resolved = models.PositiveIntegerField(default=0)
    cohort_first_responses = models.PositiveIntegerField(default=0)
    cohort_first_response_seconds = models.BigIntegerField(default=0)
    cohort_resolution_seconds = models.BigIntegerField(default=0)
    cohort_breached = models.PositiveIntegerField(default=0)

    first_responses = models.PositiveIntegerField(default=0)
    first_response_seconds = models.BigIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    resolution_seconds = models.BigIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    finished = models.PositiveIntegerField(
        default=0, help_text="Left the open statuses: resolved, or closed without resolving."
    )
    escalated = models.PositiveIntegerField(default=0, help_text="First escalations.")
    sla_finished = models.PositiveIntegerField(default=0)
    sla_on_time = models.PositiveIntegerField(default=0)
    sla_breaches = models.PositiveIntegerField(default=0)
    csat_answered = models.PositiveIntegerField(default=0)
    csat_positive = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "tickets_ticketmetricshour"  # moved from tickets with its table
        ordering = ["hour"]
        constraints = [
            models.UniqueConstraint(
                fields=["hour", "team_key", "category_key", "assignee_key"],
                name="metrics_hour_unique",
            )
        ]
        indexes = [
            models.Index(fields=["team_key", "hour"], name="metrics_hour_team"),
            models.Index(fields=["category_key", "hour"], name="metrics_hour_category"),
        ]

    def __str__(self) -> str:
        return f"Metrics {self.hour:%Y-%m-%d %H}:00 team {self.team_key} cat {self.category_key}"


class TagMetricsHour(models.Model):
    """Tickets created per UTC hour × tag × team × category, for trending tags."""

    hour = models.DateTimeField(help_text="Start of the hour, UTC.")
    tag = models.ForeignKey("tickets.Tag", on_delete=models.CASCADE, related_name="+")
    team_key = models.PositiveIntegerField(default=0)
    category_key = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "tickets_tagmetricshour"  # moved from tickets with its table
        ordering = ["hour"]
        constraints = [
            models.UniqueConstraint(
                fields=["hour", "tag", "team_key", "category_key"], name="tag_metrics_hour_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Tag {self.tag_id} {self.hour:%Y-%m-%d %H}:00"


class OpenTicketsSnapshot(models.Model):
    """Open tickets per team × category × assignee × priority, as of `taken_at`: replaced
    whole by the analytics rollup job (every 5 minutes), so the dashboard reads a few hundred
    rows instead of counting the open backlog live at a million tickets."""

    taken_at = models.DateTimeField()
    team_key = models.PositiveIntegerField(default=0)
    category_key = models.PositiveIntegerField(default=0)
    assignee_key = models.PositiveIntegerField(default=0)
    priority = models.CharField(max_length=10, choices=Priority.choices)
    open = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "tickets_openticketssnapshot"  # moved from tickets with its table
        constraints = [
            models.UniqueConstraint(
                fields=["team_key", "category_key", "assignee_key", "priority"],
                name="open_snapshot_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.open} open ({self.priority}) as of {self.taken_at:%H:%M}"
