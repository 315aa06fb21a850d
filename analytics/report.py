"""Seed 001's daily ticket report, read from the hourly rollups (one query)."""

from datetime import date, datetime, timedelta

from analytics.rollup import COUNTERS, HOUR, floor_hour
from analytics.scope import hourly_totals, local_days, make_scope, ratio, sums_by_day


def daily_ticket_report(*, since: datetime, until: datetime, team=None, category=None, teams=None):
    """Seed 001's daily ticket report, one row per local day in [since, until), newest first:
    tickets created that day, critical ones, how many of them are resolved, their average
    first response (minutes) and resolution (hours), those that breached an SLA target, and
    the resolution rate. One query."""
    scope = make_scope(team=team, category=category, teams=teams)
    since, until = floor_hour(since), floor_hour(until - timedelta(microseconds=1)) + HOUR
    by_day = sums_by_day(hourly_totals(scope, since, until))
    rows = []
    for day in reversed(local_days(since, until)):
        rows.append(report_row(day, by_day.get(day, dict.fromkeys(COUNTERS, 0))))
    return rows


def report_row(day: date | None, c: dict) -> dict:
    """One daily report line from summed counters (also used by the SLA digest)."""
    return {
        "date": day.isoformat() if day else None,
        "total": c["created"],
        "critical": c["created_critical"],
        "resolved": c["cohort_resolved"],
        "avg_first_response_minutes": ratio(
            c["cohort_first_response_seconds"], c["cohort_first_responses"], 1 / 60
        ),
        "avg_resolution_hours": ratio(
            c["cohort_resolution_seconds"], c["cohort_resolved"], 1 / 3600
        ),
        "breaches": c["cohort_breached"],
        "resolution_rate": ratio(c["cohort_resolved"], c["created"], 100),
    }
