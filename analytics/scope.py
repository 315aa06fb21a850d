"""Reading the hourly rollups: the scope a dashboard or report is filtered to, and the
counters it sums per hour, per period and per local day (docs/analytics.md).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import QuerySet, Sum
from django.utils import timezone

from analytics.models import TicketMetricsHour
from analytics.rollup import COUNTERS


@dataclass(frozen=True)
class Scope:
    """Who and what the figures cover: one team, a set of teams (a plain agent's), one
    category. None means no restriction."""

    team_id: int | None = None
    team_ids: tuple[int, ...] | None = None
    category_id: int | None = None

    def rollups(self, model=TicketMetricsHour) -> QuerySet:
        qs = model.objects.all()
        if self.team_id is not None:
            qs = qs.filter(team_key=self.team_id)
        if self.team_ids is not None:
            qs = qs.filter(team_key__in=self.team_ids)
        if self.category_id is not None:
            qs = qs.filter(category_key=self.category_id)
        return qs


def _id(value) -> int | None:
    if value is None or value == "":
        return None
    return int(getattr(value, "pk", value))


def make_scope(*, team=None, category=None, teams=None) -> Scope:
    team_ids = None if teams is None else tuple(sorted(_id(t) for t in teams))
    return Scope(team_id=_id(team), team_ids=team_ids, category_id=_id(category))


def ratio(numerator, denominator, scale=1.0, digits=1) -> float | None:
    return round(numerator * scale / denominator, digits) if denominator else None


def _sums() -> dict:
    return {name: Sum(name) for name in COUNTERS}


def hourly_totals(scope: Scope, start: datetime, end: datetime) -> list[dict]:
    """One dict of summed counters per stored hour in [start, end). One query."""
    rows = (
        scope.rollups()
        .filter(hour__gte=start, hour__lt=end)
        .values("hour")
        .annotate(**_sums())
        .order_by("hour")
    )
    return [{k: (v or 0) if k != "hour" else v for k, v in row.items()} for row in rows]


def period_totals(rows: list[dict], start: datetime, end: datetime) -> dict:
    out = dict.fromkeys(COUNTERS, 0)
    for row in rows:
        if start <= row["hour"] < end:
            for name in COUNTERS:
                out[name] += row[name]
    return out


def local_days(since: datetime, until: datetime) -> list[date]:
    first = timezone.localtime(since).date()
    last = timezone.localtime(until - timedelta(microseconds=1)).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def sums_by_day(rows: list[dict]) -> dict[date, dict]:
    days: dict[date, dict] = {}
    for row in rows:
        day = timezone.localtime(row["hour"]).date()
        bucket = days.setdefault(day, dict.fromkeys(COUNTERS, 0))
        for name in COUNTERS:
            bucket[name] += row[name]
    return days


def day_end(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), datetime.min.time()))
