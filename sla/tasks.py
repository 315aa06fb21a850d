"""django-q2 tasks of the SLA engine; each is safe to run twice or concurrently."""

from sla.services import escalation_tick, sla_sweep


def sweep() -> dict:
    """Every minute (helpdesk/schedules.py): record due SLA warnings and breaches (which
    start their ladders), then fire the escalation levels that fell due."""
    return {"alerts": sla_sweep(), "levels_fired": escalation_tick()}


def daily_reports() -> int:
    """Every 15 minutes: each team's 09:00 SLA report, once per local date."""
    from sla.services.reports import sla_daily_reports_run

    return len(sla_daily_reports_run())
