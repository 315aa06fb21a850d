"""The 09:00 daily SLA report per team time zone: content, once per day, email, desk pages."""

from datetime import UTC, datetime, time

import pytest
import time_machine

from sla.models import BusinessCalendar, DailySlaReport, WorkingPeriod
from sla.services import sla_sweep
from sla.services.reports import sla_daily_reports_run
from sla.tasks import daily_reports
from tests.factories import AgentFactory, CustomerFactory, TeamFactory
from tickets.models import Notification
from tickets.services import (
    ticket_change_team,
    ticket_create,
    ticket_reply,
    ticket_resolve,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def tokyo_team():
    calendar = BusinessCalendar.objects.create(name="Tokyo", timezone="Asia/Tokyo")
    WorkingPeriod.objects.create(calendar=calendar, weekday=0, start=time(9), end=time(18))
    lead = AgentFactory(agent_profile__seniority="team_lead")
    return TeamFactory(name="APAC", lead=lead, calendar=calendar)


def file_for(team, capture, *, priority="critical", at):
    with time_machine.travel(at, tick=False), capture(execute=True):
        ticket = ticket_create(
            customer=CustomerFactory(plan_tier="enterprise"),
            subject="Down",
            body="B",
            priority=priority,
        )
        ticket_change_team(ticket=ticket, team=team)
    return ticket


def test_report_is_made_at_nine_local_time_once(
    tokyo_team, django_capture_on_commit_callbacks, mailoutbox
):
    agent = AgentFactory()
    # Tokyo is UTC+9: 09:00 local on 3 March is 00:00 UTC.
    resolved = file_for(
        tokyo_team, django_capture_on_commit_callbacks, at=datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    )
    with (
        django_capture_on_commit_callbacks(execute=True),
        time_machine.travel(datetime(2026, 3, 2, 1, 10, tzinfo=UTC), tick=False),
    ):
        ticket_reply(ticket=resolved, actor=agent, body="Fixed")
        ticket_resolve(ticket=resolved, actor=agent, resolution="Done")
    late = file_for(
        tokyo_team, django_capture_on_commit_callbacks, at=datetime(2026, 3, 2, 5, 0, tzinfo=UTC)
    )
    sla_sweep(now=datetime(2026, 3, 2, 6, 0, tzinfo=UTC), start_ladders=False)

    assert sla_daily_reports_run(now=datetime(2026, 3, 2, 23, 59, tzinfo=UTC)) == []  # 08:59
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reports = sla_daily_reports_run(now=datetime(2026, 3, 3, 0, 5, tzinfo=UTC))
    assert len(reports) == 1
    report = reports[0]
    assert str(report.date) == "2026-03-03"
    assert report.period_start == datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    assert report.data["resolved"] == 1
    assert report.data["breached_tickets"] == 1
    assert report.data["breaches"][0]["reference"] == late.reference
    critical = next(row for row in report.data["compliance"] if row["priority"] == "critical")
    # The resolved ticket met both targets on time; the late one has met nothing yet.
    assert (critical["on_time"], critical["total"]) == (2, 2)
    assert [m.to for m in mailoutbox] == [[tokyo_team.lead.email]]
    assert "SLA report" in mailoutbox[0].subject
    assert Notification.objects.filter(kind="daily_report", channel="desk").count() == 1

    # Later runs the same day add nothing.
    assert sla_daily_reports_run(now=datetime(2026, 3, 3, 3, 0, tzinfo=UTC)) == []
    assert DailySlaReport.objects.count() == 1


def test_daily_report_task_runs_for_every_team(tokyo_team):
    TeamFactory(name="No calendar")  # falls back to the site time zone (UTC)
    with time_machine.travel(datetime(2026, 3, 3, 9, 30, tzinfo=UTC), tick=False):
        assert daily_reports() == 2
        assert daily_reports() == 0


def test_reports_pages_are_for_leads(client, tokyo_team):
    sla_daily_reports_run(now=datetime(2026, 3, 3, 1, 0, tzinfo=UTC))
    report = DailySlaReport.objects.get()
    client.force_login(tokyo_team.lead)
    listing = client.get("/desk/sla/reports/")
    assert listing.status_code == 200 and "APAC" in listing.content.decode()
    detail = client.get(f"/desk/sla/reports/{report.pk}/")
    assert detail.status_code == 200 and "Compliance per priority" in detail.content.decode()
    client.force_login(AgentFactory())
    assert client.get("/desk/sla/reports/").status_code == 403
    client.logout()
    assert client.get("/desk/sla/reports/").status_code == 302


def breach_rows(report):
    return [
        (row["reference"], row["metric"], row["recorded_late"]) for row in report.data["breaches"]
    ]


def test_a_breach_recorded_late_by_a_priority_raise_reaches_the_next_report(
    tokyo_team, django_capture_on_commit_callbacks
):
    from tickets.services import ticket_change_priority

    # Enterprise medium: first response 240 minutes, resolution 1440.
    ticket = file_for(
        tokyo_team,
        django_capture_on_commit_callbacks,
        priority="medium",
        at=datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
    )
    (report_3,) = sla_daily_reports_run(now=datetime(2026, 3, 3, 0, 5, tzinfo=UTC))
    assert report_3.data["breaches"] == []
    # A day later the priority goes to critical: 15 / 120 minutes from filing, deadlines that
    # passed on 2 March, inside the period the 3 March report already covered.
    raised_at = datetime(2026, 3, 3, 3, 0, tzinfo=UTC)
    with time_machine.travel(raised_at, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            ticket_change_priority(ticket=ticket, priority="critical", actor=AgentFactory())
        sla_sweep()

    (report_4,) = sla_daily_reports_run(now=datetime(2026, 3, 4, 0, 5, tzinfo=UTC))
    assert breach_rows(report_4) == [
        (ticket.reference, "First response", True),
        (ticket.reference, "Resolution", True),
    ]
    assert report_4.data["breached_tickets"] == 1
    assert report_4.data["breaches_recorded_late"] == 2
    assert report_4.data["breaches"][0]["breached_at"] == "2026-03-02T01:15:00+00:00"
    # Listed once: the report after does not repeat them.
    (report_5,) = sla_daily_reports_run(now=datetime(2026, 3, 5, 0, 5, tzinfo=UTC))
    assert report_5.data["breaches"] == []


def test_history_recorded_without_escalating_is_not_listed_as_recorded_late(
    tokyo_team, django_capture_on_commit_callbacks
):
    """Imported or demo tickets: their past breaches count as recorded when they happened."""
    file_for(
        tokyo_team, django_capture_on_commit_callbacks, at=datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
    )
    sla_sweep(now=datetime(2026, 3, 3, 0, 20, tzinfo=UTC), start_ladders=False)
    (report,) = sla_daily_reports_run(now=datetime(2026, 3, 3, 0, 30, tzinfo=UTC))
    assert report.data["breaches"] == []


def test_a_breach_the_sweep_records_after_the_report_went_out_reaches_the_next_one(
    tokyo_team, django_capture_on_commit_callbacks, client
):
    # Critical enterprise filed 08:40 Tokyo: first response due 08:55, just before the report.
    ticket = file_for(
        tokyo_team, django_capture_on_commit_callbacks, at=datetime(2026, 3, 2, 23, 40, tzinfo=UTC)
    )
    # The sweep worker is down across 09:00; the report goes out without the breach.
    (report_3,) = sla_daily_reports_run(now=datetime(2026, 3, 3, 0, 1, tzinfo=UTC))
    assert report_3.data["breaches"] == []
    sla_sweep(now=datetime(2026, 3, 3, 0, 20, tzinfo=UTC))

    (report_4,) = sla_daily_reports_run(now=datetime(2026, 3, 4, 0, 1, tzinfo=UTC))
    assert breach_rows(report_4) == [(ticket.reference, "First response", True)]
    client.force_login(tokyo_team.lead)
    page = client.get(f"/desk/sla/reports/{report_4.pk}/").content.decode()
    assert "Recorded late" in page and "breached Mon 2 Mar 23:55, recorded after" in page
