"""Reads for the analytics dashboard (the daily ticket report is `analytics.report`,
the sums both read from `analytics.scope`).

Everything period-based comes from the hourly rollups (`TicketMetricsHour`,
`TagMetricsHour`): averages and rates are ratios of sums over rows, so they are exact for any
range of whole hours and any team or category filter. What is "now" (open tickets, the open
load per agent) comes from the open-tickets snapshot the same job takes. The query count is fixed,
whatever the size of the data. Definitions: docs/analytics.md.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Q, Sum
from django.utils import timezone

from agents.models import AgentProfile
from analytics.models import OpenTicketsSnapshot, TagMetricsHour
from analytics.rollup import HOUR, floor_hour
from analytics.scope import (
    Scope,
    day_end,
    hourly_totals,
    local_days,
    make_scope,
    period_totals,
    ratio,
    sums_by_day,
)
from knowledge.ai.service import month_spend, monthly_budget
from knowledge.selectors import deflection_rate
from tickets.models import PRIORITY_ORDER, Category

# Targets from seed 001 ("Success metrics"). `better` says which way is good.
TARGETS = {
    "first_response": {"target": 30, "better": "lower", "unit": "min"},
    "resolution": {"target": 8, "better": "lower", "unit": "h"},
    "csat": {"target": 90, "better": "higher", "unit": "%"},
    "sla": {"target": 95, "better": "higher", "unit": "%"},
    "deflection": {"target": 30, "better": "higher", "unit": "%"},
    "escalation": {"target": 10, "better": "lower", "unit": "%"},
    "productivity": {"target": 20, "better": "higher", "unit": "/day"},
}
# Within this share of the target (10 %) a miss is a warning; further off it is critical.
WARNING_MARGIN = 0.10
TRENDING_LIMIT = 5


def status_for(key: str, value: float | None) -> str:
    """good (target met), warning (missed by at most 10 % of the target), critical, or none
    (no data in the period)."""
    if value is None:
        return "none"
    spec = TARGETS[key]
    target = spec["target"]
    if spec["better"] == "lower":
        if value <= target:
            return "good"
        return "warning" if value <= target * (1 + WARNING_MARGIN) else "critical"
    if value >= target:
        return "good"
    return "warning" if value >= target * (1 - WARNING_MARGIN) else "critical"


def _card(key: str, label: str, value, *, detail: str = "") -> dict:
    spec = TARGETS[key]
    return {
        "key": key,
        "label": label,
        "value": value,
        "unit": spec["unit"],
        "target": spec["target"],
        "better": spec["better"],
        "status": status_for(key, value),
        "detail": detail,
    }


def _trending(current: dict, previous: dict, names: dict) -> list[dict]:
    """Rising fastest: the largest increase in tickets created over the previous period of
    the same length, then the largest relative increase; only those that rose."""
    rows = []
    for key, now in current.items():
        before = previous.get(key, 0)
        if now > before:
            rows.append(
                {
                    "name": names.get(key, "No category"),
                    "current": now,
                    "previous": before,
                    "change": now - before,
                    "change_percent": round(100 * (now - before) / before, 1) if before else None,
                }
            )
    rows.sort(key=lambda r: (-r["change"], -(r["change_percent"] or 10**9), r["name"]))
    return rows[:TRENDING_LIMIT]


def _agent_rows(
    scope: Scope, since: datetime, until: datetime, days: float, load: dict[int, int]
) -> list[dict]:
    """Per agent: activity in the period from the rollups, the open load from the snapshot.
    2 queries."""
    activity = {
        row["assignee_key"]: row
        for row in scope.rollups()
        .filter(hour__gte=since, hour__lt=until, assignee_key__gt=0)
        .values("assignee_key")
        .annotate(
            resolved_n=Sum("resolved"),
            resolution_s=Sum("resolution_seconds"),
            first_n=Sum("first_responses"),
            first_s=Sum("first_response_seconds"),
            answered=Sum("csat_answered"),
            positive=Sum("csat_positive"),
        )
        .order_by()
    }
    ids = set(activity) | set(load)
    names = dict(
        AgentProfile.objects.filter(user_id__in=ids).values_list("user_id", "display_name")
    )
    rows = []
    for user_id in ids:
        a = activity.get(user_id, {})
        resolved = a.get("resolved_n") or 0
        rows.append(
            {
                "agent_id": user_id,
                "name": names.get(user_id, f"User {user_id}"),
                "resolved": resolved,
                "resolved_per_day": ratio(resolved, days) if days else None,
                "first_response_minutes": ratio(a.get("first_s") or 0, a.get("first_n"), 1 / 60),
                "resolution_hours": ratio(a.get("resolution_s") or 0, resolved, 1 / 3600),
                "csat": ratio(a.get("positive") or 0, a.get("answered"), 100),
                "csat_answered": a.get("answered") or 0,
                "open_load": load.get(user_id, 0),
            }
        )
    rows.sort(key=lambda r: (-r["resolved"], -r["open_load"], r["name"]))
    return rows


def dashboard_summary(
    *, since: datetime, until: datetime, team=None, category=None, teams=None
) -> dict:
    """Every card and series of the dashboard for [since, until), JSON-serialisable.

    `team` and `category` filter (instances or ids); `teams` restricts to a set of teams (a
    plain agent's). Deflection and AI spend are desk-wide: they have no team or category.
    Open counts come from the snapshot the rollup job replaces every 5 minutes. A fixed
    number of queries (10), whatever the data size.
    """
    scope = make_scope(team=team, category=category, teams=teams)
    now = timezone.now()
    since, until = floor_hour(since), floor_hour(until - timedelta(microseconds=1)) + HOUR
    length = until - since
    previous_since = since - length
    horizon = max(until, floor_hour(now) + HOUR)

    hourly = hourly_totals(scope, since, horizon)  # 1 query
    period = period_totals(hourly, since, until)

    open_by_priority = {str(p): 0 for p in reversed(PRIORITY_ORDER)}
    load: dict[int, int] = {}
    open_as_of = None
    snapshot = scope.rollups(OpenTicketsSnapshot).values_list(  # 1 query
        "priority", "assignee_key", "open", "taken_at"
    )
    for priority, assignee, count, taken_at in snapshot:
        open_by_priority[priority] = open_by_priority.get(priority, 0) + count
        if assignee:
            load[assignee] = load.get(assignee, 0) + count
        open_as_of = taken_at
    open_total = sum(open_by_priority.values())

    effective_end = min(until, now)
    days = max((effective_end - since).total_seconds() / 86400, 0)
    agents = _agent_rows(scope, since, until, days, load)  # 2 queries
    resolving_agents = [a for a in agents if a["resolved"]]
    productivity = (
        round(sum(a["resolved"] for a in resolving_agents) / len(resolving_agents) / days, 1)
        if resolving_agents and days
        else None
    )

    deflection = deflection_rate(since=since, until=until)  # 2 queries
    deflection_percent = (
        round(100 * deflection["rate"], 1) if deflection["rate"] is not None else None
    )
    spend = month_spend()  # 1 query
    budget = monthly_budget()

    cards = {
        "open": {
            "key": "open",
            "label": "Open tickets",
            "value": open_total,
            "by_priority": open_by_priority,
            "status": "critical" if open_by_priority["critical"] else "good",
            "detail": f"{open_by_priority['critical']} critical, {open_by_priority['high']} high",
        },
        "first_response": _card(
            "first_response",
            "Avg first response",
            ratio(period["first_response_seconds"], period["first_responses"], 1 / 60),
            detail=f"{period['first_responses']} first responses",
        ),
        "resolution": _card(
            "resolution",
            "Avg resolution",
            ratio(period["resolution_seconds"], period["resolved"], 1 / 3600),
            detail=f"{period['resolved']} resolved",
        ),
        "csat": _card(
            "csat",
            "Customer satisfaction",
            ratio(period["csat_positive"], period["csat_answered"], 100),
            detail=f"{period['csat_positive']} of {period['csat_answered']} rated 4 or 5",
        ),
        "sla": _card(
            "sla",
            "SLA compliance",
            ratio(period["sla_on_time"], period["sla_finished"], 100),
            detail=f"{period['sla_on_time']} of {period['sla_finished']} targets met on time",
        ),
        "deflection": _card(
            "deflection",
            "Self-service deflection",
            deflection_percent,
            detail=f"{deflection['deflections']} answered by articles, "
            f"{deflection['filed']} filed (all teams)",
        ),
        "escalation": _card(
            "escalation",
            "Escalation rate",
            ratio(period["escalated"], period["created"], 100),
            detail=f"{period['escalated']} escalated, {period['created']} created",
        ),
        "productivity": _card(
            "productivity",
            "Resolved per agent per day",
            productivity,
            detail=f"{len(resolving_agents)} agent{'' if len(resolving_agents) == 1 else 's'} "
            "resolved tickets",
        ),
        "ai_spend": {
            "key": "ai_spend",
            "label": "AI spend this month",
            "value": float(spend),
            "unit": "USD",
            "target": float(budget),
            "status": (
                "good"
                if spend < budget * Decimal("0.8")
                else "warning"
                if spend < budget
                else "critical"
            ),
            "detail": f"of ${budget:.2f} monthly budget (all teams)",
        },
    }

    # Series per local day.
    by_day = sums_by_day(hourly)
    days_list = local_days(since, until)
    volume = [
        {
            "date": day.isoformat(),
            "created": by_day.get(day, {}).get("created", 0),
            "resolved": by_day.get(day, {}).get("resolved", 0),
        }
        for day in days_list
    ]
    # Open at the end of a day = open now - created since + finished since; walk the days
    # backwards adding each day's rows, starting from the rows after the period.
    after = period_totals(hourly, until, horizon)
    created_since, finished_since = after["created"], after["finished"]
    backlog = []
    for day in reversed(days_list):
        ended = day_end(day) <= now
        value = open_total - created_since + finished_since if ended else open_total
        backlog.append({"date": day.isoformat(), "open": value})
        counts = by_day.get(day)
        if counts:
            created_since += counts["created"]
            finished_since += counts["finished"]
    backlog.reverse()

    # Categories and tags: this period against the previous one of the same length.
    created_in = Q(hour__gte=since, hour__lt=until)
    created_before = Q(hour__gte=previous_since, hour__lt=since)
    category_rows = list(  # 1 query
        scope.rollups()
        .filter(hour__gte=previous_since, hour__lt=until)
        .values("category_key")
        .annotate(cur=Sum("created", filter=created_in), prev=Sum("created", filter=created_before))
        .order_by()
    )
    names = dict(Category.objects.values_list("id", "name"))  # 1 query
    current = {r["category_key"]: r["cur"] or 0 for r in category_rows}
    previous = {r["category_key"]: r["prev"] or 0 for r in category_rows}
    categories = sorted(
        (
            {"name": names.get(key, "No category"), "category_id": key or None, "created": n}
            for key, n in current.items()
            if n
        ),
        key=lambda r: (-r["created"], r["name"]),
    )
    tag_rows = list(  # 1 query
        scope.rollups(TagMetricsHour)
        .filter(hour__gte=previous_since, hour__lt=until)
        .values("tag__name")
        .annotate(cur=Sum("created", filter=created_in), prev=Sum("created", filter=created_before))
        .order_by()
    )
    tag_names = {r["tag__name"]: r["tag__name"] for r in tag_rows}
    return {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "generated_at": now.isoformat(),
        "open_as_of": open_as_of.isoformat() if open_as_of else None,
        "filters": {
            "team": scope.team_id,
            "category": scope.category_id,
            "teams": list(scope.team_ids) if scope.team_ids is not None else None,
        },
        "cards": cards,
        "totals": period,
        "series": {
            "volume": volume,
            "backlog": backlog,
            "categories": categories,
        },
        "agents": agents,
        "trending": {
            "categories": _trending(current, previous, names),
            "tags": _trending(
                {r["tag__name"]: r["cur"] or 0 for r in tag_rows},
                {r["tag__name"]: r["prev"] or 0 for r in tag_rows},
                tag_names,
            ),
        },
        "time_zone": settings.TIME_ZONE,
    }
