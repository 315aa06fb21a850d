"""The analytics dashboard and the daily ticket report (desk pages, agents only).

Team leads, managers and admins see every team; a plain agent sees the teams they belong to
(their filter lists only those, and "all teams" means all of theirs). Desk-wide figures
(deflection, AI spend) are shown to leads only.
"""

import csv
from datetime import date, datetime, timedelta

from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from agents.access import HtmxHttpRequest, agent_required
from agents.permissions import is_team_lead
from analytics.charts import dashboard_charts
from analytics.forms import QUICK_RANGES, AnalyticsFilterForm
from analytics.report import daily_ticket_report
from analytics.selectors import dashboard_summary

CSV_COLUMNS = [
    ("date", "Date"),
    ("total", "Total tickets"),
    ("critical", "Critical"),
    ("resolved", "Resolved"),
    ("avg_first_response_minutes", "Avg first response (min)"),
    ("avg_resolution_hours", "Avg resolution (h)"),
    ("breaches", "SLA breaches"),
    ("resolution_rate", "Resolution rate (%)"),
]


def visible_teams(user) -> list[int] | None:
    """None: every team (leads, managers, admins); otherwise the agent's own team ids."""
    if is_team_lead(user):
        return None
    return list(user.agent_profile.teams.values_list("pk", flat=True))


def _filters(request: HtmxHttpRequest):
    teams = visible_teams(request.user)
    form = AnalyticsFilterForm(request.GET, teams=teams)
    return form, teams


def _query(form: AnalyticsFilterForm, **override) -> str:
    data = form.cleaned_data
    values = {
        "start": data["start"].isoformat(),
        "end": data["end"].isoformat(),
        "team": data["team"].slug if data.get("team") else "",
        "category": data["category"].slug if data.get("category") else "",
    }
    values.update(override)
    query = QueryDict(mutable=True)
    for key, value in values.items():
        if value:
            query[key] = value
    return query.urlencode()


def _quick_ranges(form: AnalyticsFilterForm) -> list[dict]:
    today = timezone.localdate()
    current = (form.cleaned_data["start"], form.cleaned_data["end"])
    ranges = []
    for days in QUICK_RANGES:
        start = today - timedelta(days=days - 1)
        ranges.append(
            {
                "label": f"{days} days",
                "query": _query(form, start=start.isoformat(), end=today.isoformat()),
                "active": current == (start, today),
            }
        )
    return ranges


def _invalid(request, form, template: str) -> HttpResponse:
    return render(
        request, template, {"form": form, "errors": form.errors.get("__all__", [])}, status=400
    )


@require_GET
@agent_required
def dashboard(request: HtmxHttpRequest) -> HttpResponse:
    template = "desk/analytics.html"
    form, teams = _filters(request)
    if not form.is_valid():
        return _invalid(request, form, template)
    since, until = form.period()
    summary = dashboard_summary(
        since=since,
        until=until,
        team=form.cleaned_data["team"],
        category=form.cleaned_data["category"],
        teams=teams,
    )
    is_lead = teams is None
    cards = [summary["cards"][key] for key in ("first_response", "resolution", "csat", "sla")]
    cards += [summary["cards"][key] for key in ("escalation", "productivity")]
    if is_lead:
        cards += [summary["cards"]["deflection"], summary["cards"]["ai_spend"]]
    context = {
        "form": form,
        "summary": summary,
        "open_card": summary["cards"]["open"],
        "cards": cards,
        "charts": dashboard_charts(summary),
        "query": _query(form),
        "quick_ranges": _quick_ranges(form),
        "is_lead": is_lead,
        "open_as_of": (
            datetime.fromisoformat(summary["open_as_of"]) if summary["open_as_of"] else None
        ),
    }
    if request.htmx:
        template += "#dashboard-body"
    return render(request, template, context)


def csv_safe(value) -> str:
    """A cell a spreadsheet will not run as a formula (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    if text and text[0] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


@require_GET
@agent_required
def daily_report(request: HtmxHttpRequest, as_csv: bool = False) -> HttpResponse:
    template = "desk/analytics_daily.html"
    form, teams = _filters(request)
    if not form.is_valid():
        return _invalid(request, form, template)
    since, until = form.period()
    rows = daily_ticket_report(
        since=since,
        until=until,
        team=form.cleaned_data["team"],
        category=form.cleaned_data["category"],
        teams=teams,
    )
    if as_csv or request.GET.get("format") == "csv":
        data = form.cleaned_data
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="daily-ticket-report-{data["start"]}-{data["end"]}.csv"'
        )
        writer = csv.writer(response)
        writer.writerow([label for _, label in CSV_COLUMNS])
        for row in rows:
            writer.writerow([csv_safe(row[key]) for key, _ in CSV_COLUMNS])
        return response
    totals = {
        "total": sum(r["total"] for r in rows),
        "critical": sum(r["critical"] for r in rows),
        "resolved": sum(r["resolved"] for r in rows),
        "breaches": sum(r["breaches"] for r in rows),
    }
    context = {
        "form": form,
        "rows": [{**row, "day": date.fromisoformat(row["date"])} for row in rows],
        "totals": totals,
        "query": _query(form),
        "quick_ranges": _quick_ranges(form),
    }
    if request.htmx:
        template += "#report-body"
    return render(request, template, context)
