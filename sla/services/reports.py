"""The daily SLA report (seed 000): every morning at 09:00 in each team's time zone.

It covers the 24 hours up to 09:00 that day: tickets resolved, tickets that breached an SLA
target (plus breaches dated earlier but recorded after the previous report, marked as
recorded late, so none is left out), tickets at risk right now, and compliance per priority
(targets met on time out of the targets that finished in the period). The job runs every
15 minutes and makes each team's report once per local date (a unique constraint), so a
worker that was down at 09:00 catches up later that morning, and a second run adds nothing.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone

from agents.models import Team
from analytics.digest import ticket_report_for_period
from sla.models import DailySlaReport, Metric, SlaClock, SlaEvent
from tickets import notifications
from tickets.models import OPEN_STATUSES, PRIORITY_ORDER, SlaState, Ticket

REPORT_HOUR = 9
AT_RISK_LISTED = 20


def team_timezone(team: Team) -> ZoneInfo:
    if team.calendar_id:
        return ZoneInfo(team.calendar.timezone)
    return ZoneInfo(settings.TIME_ZONE)


def report_period(team: Team, date) -> tuple[datetime, datetime]:
    """09:00 the day before to 09:00 on `date`, local time (23 or 25 hours across DST)."""
    tz = team_timezone(team)
    end = datetime.combine(date, time(REPORT_HOUR), tzinfo=tz)
    start = datetime.combine(date - timedelta(days=1), time(REPORT_HOUR), tzinfo=tz)
    return start, end


def breaches_for_report(
    *, team: Team, start: datetime, end: datetime, late_since: datetime, as_of: datetime
):
    """The team's breaches a report lists: those dated in its period, and those dated before
    it that were recorded after the previous report was made (`late_since`), so a breach
    recorded late (a priority raise that put the deadline in the past, a sweep worker down
    across 09:00) reaches the next report instead of none. Only what was recorded by `as_of`
    (when the report is made): anything later goes to the next one."""
    in_period = Q(at__gte=start, at__lt=end)
    recorded_late = Q(at__lt=start, recorded_at__gte=late_since)
    return (
        SlaEvent.objects.filter(ticket__team=team, kind=SlaEvent.Kind.BREACHED)
        .filter(in_period | recorded_late, recorded_at__lt=as_of)
        .values("ticket__reference", "ticket__subject", "clock__metric", "at", "recorded_at")
        .order_by("at", "id")
    )


def build_report_data(
    *,
    team: Team,
    start: datetime,
    end: datetime,
    late_since: datetime | None = None,
    as_of: datetime | None = None,
) -> dict:
    tickets = Ticket.objects.filter(team=team)
    breached = breaches_for_report(
        team=team,
        start=start,
        end=end,
        late_since=start if late_since is None else late_since,
        as_of=as_of or timezone.now(),
    )
    at_risk = tickets.filter(
        status__in=OPEN_STATUSES, sla_state__in=[SlaState.AT_RISK, SlaState.BREACHED]
    ).order_by("sla_due_at", "id")
    finished = (
        SlaClock.objects.filter(ticket__team=team, met_at__gte=start, met_at__lt=end)
        .values("ticket__priority")
        .annotate(
            total=Count("id"),
            on_time=Count(
                "id",
                filter=Q(breached=False)
                & (Q(deadline__isnull=True) | Q(met_at__lte=F("deadline"))),
            ),
        )
    )
    by_priority = {row["ticket__priority"]: row for row in finished}
    compliance = []
    for priority in reversed(PRIORITY_ORDER):
        row = by_priority.get(priority, {"total": 0, "on_time": 0})
        percent = round(100 * row["on_time"] / row["total"], 1) if row["total"] else None
        compliance.append(
            {
                "priority": str(priority),
                "total": row["total"],
                "on_time": row["on_time"],
                "percent": percent,
            }
        )
    breached_rows = list(breached)
    return {
        # The daily ticket report (seed 001) for the same period, so leads get one digest.
        "tickets": ticket_report_for_period(team_id=team.pk, start=start, end=end),
        "resolved": tickets.filter(resolved_at__gte=start, resolved_at__lt=end).count(),
        "breached_tickets": len({row["ticket__reference"] for row in breached_rows}),
        "breaches": [
            {
                "reference": row["ticket__reference"],
                "subject": row["ticket__subject"],
                "metric": Metric(row["clock__metric"]).label,
                "breached_at": row["at"].isoformat(),
                # In the site's time zone, like the period the report page shows.
                "breached_at_label": f"{timezone.localtime(row['at']):%a %-d %b %H:%M}",
                "recorded_late": row["at"] < start,
            }
            for row in breached_rows[:50]
        ],
        "breaches_recorded_late": sum(row["at"] < start for row in breached_rows),
        "at_risk_count": at_risk.count(),
        "at_risk": [
            {
                "reference": t.reference,
                "subject": t.subject,
                "state": t.sla_state,
                "state_label": SlaState(t.sla_state).label,
                "due_at": t.sla_due_at.isoformat() if t.sla_due_at else None,
            }
            for t in at_risk[:AT_RISK_LISTED]
        ],
        "compliance": compliance,
    }


def sla_daily_report_create(
    *, team: Team, date, now: datetime | None = None
) -> DailySlaReport | None:
    """Build, store and send one team's report for a local date; None if it exists already.
    It lists the breaches recorded since the previous report that no report listed yet."""
    now = now or timezone.now()
    start, end = report_period(team, date)
    previous = (
        DailySlaReport.objects.filter(team=team, date__lt=date, recorded_until__isnull=False)
        .order_by("-date")
        .values_list("recorded_until", flat=True)
        .first()
    )
    data = build_report_data(team=team, start=start, end=end, late_since=previous, as_of=now)
    try:
        with transaction.atomic():
            report = DailySlaReport.objects.create(
                team=team,
                date=date,
                period_start=start,
                period_end=end,
                recorded_until=now,
                data=data,
            )
            if team.lead_id:
                notifications.notify(
                    kind="daily_report",
                    recipients=[team.lead],
                    template="sla_daily_report",
                    context={"report": report, "team": team, "data": data},
                    dedupe=[report],
                    link=reverse("sla:report", args=[report.pk]),
                )
    except IntegrityError:
        return None
    return report


def sla_daily_reports_run(*, now: datetime | None = None) -> list[DailySlaReport]:
    """Make every team's report that is due (local time past 09:00, none for today yet)."""
    now = now or timezone.now()
    made = []
    for team in Team.objects.select_related("calendar", "lead"):
        local = now.astimezone(team_timezone(team))
        if local.hour < REPORT_HOUR:
            continue
        if DailySlaReport.objects.filter(team=team, date=local.date()).exists():
            continue
        report = sla_daily_report_create(team=team, date=local.date(), now=now)
        if report is not None:
            made.append(report)
    return made
