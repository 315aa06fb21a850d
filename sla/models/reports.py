"""The daily SLA report, stored once per day."""

from django.db import models


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
