"""The hourly metrics rollup (seed 001 `ticket_metrics`).

`compute_rows(start, end)` reads the tickets, escalations, SLA clocks and surveys whose
timestamps fall in [start, end) and buckets them into one counter row per UTC hour × team ×
category × assignee (the ticket's current ones). `metrics_rollup_range` replaces the stored
rows of those hours with the computed ones in one transaction, so running it twice, or after
a late change, gives the same rows: the job is idempotent.

Which hours are recomputed: `metrics_rollup_recent` (every 5 minutes) redoes the current and
the previous hour, plus every hour that a recently updated ticket contributes to (its
creation, first response, resolution, closing, escalations, SLA clocks and surveys), so a
reopen, a team change or a late category fix corrects the old hours within minutes. The
`backfill_metrics` command fills history. Both also replace the open-tickets snapshot, so
the open counts and the hourly rows describe the same moment.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from analytics.models import OpenTicketsSnapshot, TagMetricsHour, TicketMetricsHour
from sla.models import SlaClock, SlaEvent
from tickets.models import OPEN_STATUSES, Priority, SatisfactionSurvey, Ticket, TicketEvent

HOUR = timedelta(hours=1)
COUNTERS = [
    f.name
    for f in TicketMetricsHour._meta.get_fields()
    if f.concrete and f.name not in {"id", "hour", "team_key", "category_key", "assignee_key"}
]
RECENT_WINDOW = timedelta(hours=2)


def floor_hour(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _seconds(later: datetime, earlier: datetime) -> int:
    return max(0, round((later - earlier).total_seconds()))


@dataclass
class Buckets:
    """Counter rows keyed by (hour, team, category, assignee), and tag rows."""

    rows: dict = field(default_factory=lambda: defaultdict(lambda: dict.fromkeys(COUNTERS, 0)))
    tags: dict = field(default_factory=lambda: defaultdict(int))

    def add(self, at: datetime, dims: tuple, **counts: int) -> None:
        row = self.rows[(floor_hour(at), *dims)]
        for name, value in counts.items():
            row[name] += value


def _dims(team_id, category_id, assignee_id) -> tuple[int, int, int]:
    return (team_id or 0, category_id or 0, assignee_id or 0)


def _in(name: str, start: datetime, end: datetime) -> Q:
    return Q(**{f"{name}__gte": start, f"{name}__lt": end})


DIM_FIELDS = ("ticket__team_id", "ticket__category_id", "ticket__assignee_id")


def compute_rows(start: datetime, end: datetime, *, team_id: int | None = None) -> Buckets:
    """Every counter for the hours in [start, end) computed from the live tables. Six
    queries whatever the range; `team_id` limits it to one team (the daily digest)."""
    start, end = floor_hour(start), floor_hour(end - timedelta(microseconds=1)) + HOUR
    out = Buckets()
    scope = Q(team_id=team_id) if team_id is not None else Q()
    ticket_scope = Q(ticket__team_id=team_id) if team_id is not None else Q()

    breached = SlaClock.objects.filter(ticket=OuterRef("pk"), breached=True)
    tickets = (
        Ticket.objects.filter(scope)
        .filter(
            _in("created_at", start, end)
            | _in("first_response_at", start, end)
            | _in("resolved_at", start, end)
            | _in("closed_at", start, end)
        )
        .annotate(any_breach=Exists(breached))
        .values_list(
            "team_id",
            "category_id",
            "assignee_id",
            "priority",
            "created_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "any_breach",
        )
        .order_by()
    )
    for team, category, assignee, priority, created, first, resolved, closed, breach in tickets:
        dims = _dims(team, category, assignee)
        if start <= created < end:
            out.add(
                created,
                dims,
                created=1,
                created_critical=int(priority == Priority.CRITICAL),
                cohort_resolved=int(resolved is not None),
                cohort_first_responses=int(first is not None),
                cohort_first_response_seconds=_seconds(first, created) if first else 0,
                cohort_resolution_seconds=_seconds(resolved, created) if resolved else 0,
                cohort_breached=int(breach),
            )
        if first is not None and start <= first < end:
            out.add(first, dims, first_responses=1, first_response_seconds=_seconds(first, created))
        if resolved is not None and start <= resolved < end:
            out.add(resolved, dims, resolved=1, resolution_seconds=_seconds(resolved, created))
        if closed is not None and start <= closed < end:
            out.add(closed, dims, closed=1)
        done = resolved or closed
        if done is not None and start <= done < end:
            out.add(done, dims, finished=1)

    escalations = (
        TicketEvent.objects.filter(ticket_scope, _in("created_at", start, end))
        .filter(kind=TicketEvent.Kind.ESCALATED, from_value="0")
        .values_list("created_at", *DIM_FIELDS)
        .order_by()
    )
    for at, *dims in escalations:
        out.add(at, _dims(*dims), escalated=1)

    clocks = (
        SlaClock.objects.filter(ticket_scope, _in("met_at", start, end))
        .values_list("met_at", "breached", "deadline", *DIM_FIELDS)
        .order_by()
    )
    for met_at, was_breached, deadline, *dims in clocks:
        on_time = not was_breached and (deadline is None or met_at <= deadline)
        out.add(met_at, _dims(*dims), sla_finished=1, sla_on_time=int(on_time))

    breaches = (
        SlaEvent.objects.filter(ticket_scope, _in("at", start, end))
        .filter(kind=SlaEvent.Kind.BREACHED)
        .values_list("at", *DIM_FIELDS)
        .order_by()
    )
    for at, *dims in breaches:
        out.add(at, _dims(*dims), sla_breaches=1)

    surveys = (
        SatisfactionSurvey.objects.filter(ticket_scope, _in("answered_at", start, end))
        .filter(rating__isnull=False)
        .values_list("answered_at", "rating", *DIM_FIELDS)
        .order_by()
    )
    for at, rating, *dims in surveys:
        out.add(at, _dims(*dims), csat_answered=1, csat_positive=int(rating >= 4))

    tag_rows = (
        Ticket.tags.through.objects.filter(ticket_scope, _in("ticket__created_at", start, end))
        .values_list("tag_id", "ticket__created_at", "ticket__team_id", "ticket__category_id")
        .order_by()
    )
    for tag_id, created, team, category in tag_rows:
        out.tags[(floor_hour(created), tag_id, team or 0, category or 0)] += 1
    return out


@transaction.atomic
def metrics_rollup_range(*, start: datetime, end: datetime) -> int:
    """Replace the stored rows of every hour in [start, end) with freshly computed ones.
    Idempotent; returns the number of metric rows written."""
    start, end = floor_hour(start), floor_hour(end - timedelta(microseconds=1)) + HOUR
    buckets = compute_rows(start, end)
    TicketMetricsHour.objects.filter(hour__gte=start, hour__lt=end).delete()
    TagMetricsHour.objects.filter(hour__gte=start, hour__lt=end).delete()
    TicketMetricsHour.objects.bulk_create(
        [
            TicketMetricsHour(hour=hour, team_key=t, category_key=c, assignee_key=a, **counts)
            for (hour, t, c, a), counts in buckets.rows.items()
        ],
        batch_size=1000,
    )
    TagMetricsHour.objects.bulk_create(
        [
            TagMetricsHour(hour=hour, tag_id=tag, team_key=t, category_key=c, created=n)
            for (hour, tag, t, c), n in buckets.tags.items()
        ],
        batch_size=1000,
    )
    return len(buckets.rows)


def metrics_rollup_hour(*, hour: datetime) -> int:
    hour = floor_hour(hour)
    return metrics_rollup_range(start=hour, end=hour + HOUR)


def dirty_hours(*, since: datetime) -> set[datetime]:
    """The hours that tickets updated since `since` contribute to, now or before their latest
    change (four queries)."""
    updated = Ticket.objects.filter(updated_at__gte=since).values("pk")
    hours: set[datetime] = set()
    for values in Ticket.objects.filter(updated_at__gte=since).values_list(
        "created_at", "first_response_at", "resolved_at", "closed_at"
    ):
        hours.update(floor_hour(at) for at in values if at is not None)
    # Their audit trails too: a reopen clears resolved_at and restarts the resolution clock,
    # but the old resolve still has its event and its SLA "met" event in the hour to redo.
    for model, stamp, extra in (
        (TicketEvent, "created_at", Q()),
        (SlaEvent, "at", Q()),
        (SatisfactionSurvey, "answered_at", Q(answered_at__isnull=False)),
    ):
        stamps = model.objects.filter(extra, ticket__in=updated).values_list(stamp, flat=True)
        hours.update(floor_hour(at) for at in stamps)
    return hours


def _contiguous(hours: set[datetime]) -> list[tuple[datetime, datetime]]:
    """Sorted hours as [start, end) runs, so neighbouring hours are recomputed together."""
    runs: list[list[datetime]] = []
    for hour in sorted(hours):
        if runs and runs[-1][1] == hour:
            runs[-1][1] = hour + HOUR
        else:
            runs.append([hour, hour + HOUR])
    return [(a, b) for a, b in runs]


@transaction.atomic
def metrics_snapshot_open(*, now: datetime | None = None) -> int:
    """Replace the open-tickets snapshot with the counts as they are now (one grouped count
    over the open tickets). Returns the number of open tickets."""
    now = now or timezone.now()
    counts = (
        Ticket.objects.filter(status__in=OPEN_STATUSES)
        .values_list("team_id", "category_id", "assignee_id", "priority")
        .annotate(n=Count("id"))
        .order_by()
    )
    rows = [
        OpenTicketsSnapshot(
            taken_at=now,
            team_key=team or 0,
            category_key=category or 0,
            assignee_key=assignee or 0,
            priority=priority,
            open=n,
        )
        for team, category, assignee, priority, n in counts
    ]
    OpenTicketsSnapshot.objects.all().delete()
    OpenTicketsSnapshot.objects.bulk_create(rows, batch_size=1000)
    return sum(row.open for row in rows)


def metrics_rollup_recent(*, now: datetime | None = None) -> int:
    """The scheduled job: the current and previous hour, and every hour touched by tickets
    updated in the last two hours. Returns the number of hours recomputed."""
    now = now or timezone.now()
    current = floor_hour(now)
    hours = {current, current - HOUR} | dirty_hours(since=now - RECENT_WINDOW)
    for start, end in _contiguous(hours):
        metrics_rollup_range(start=start, end=end)
    metrics_snapshot_open(now=now)
    return len(hours)


def metrics_backfill(*, days: int, now: datetime | None = None, chunk_days: int = 1) -> int:
    """Recompute the last `days` days up to the current hour, one chunk at a time so memory
    stays flat at a million tickets. Returns the number of metric rows written."""
    now = now or timezone.now()
    end = floor_hour(now) + HOUR
    start = end - timedelta(days=days)
    written = 0
    while start < end:
        stop = min(start + timedelta(days=chunk_days), end)
        written += metrics_rollup_range(start=start, end=stop)
        start = stop
    metrics_snapshot_open(now=now)
    return written
