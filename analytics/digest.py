"""The daily ticket report line for the SLA digest email (sla.services.reports)."""

from datetime import datetime


def ticket_report_for_period(*, team_id: int, start: datetime, end: datetime) -> dict:
    """Seed 001's daily ticket report for one team and one report period, computed live
    from the tickets (six queries) so the 09:00 digest never waits for the rollup job."""
    from analytics.report import report_row
    from analytics.rollup import COUNTERS, compute_rows

    totals = dict.fromkeys(COUNTERS, 0)
    for counts in compute_rows(start, end, team_id=team_id).rows.values():
        for name in COUNTERS:
            totals[name] += counts[name]
    return report_row(None, totals)
