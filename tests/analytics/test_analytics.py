"""The analytics dashboard, its hourly rollups and the daily ticket report.

A small fixed data set is built through the services at fixed times (time-machine), so every
figure below is computed by hand in the comments. All times UTC (the test TIME_ZONE).

  T1 03-02 10:00 critical billing Alpha ann  reply 10:10, resolved 11:00, survey 5, #refund
  T2 03-02 10:30 critical billing Alpha ann  reply 11:00 (FR breached 10:45), escalated 11:30
  T3 03-02 14:00 medium technical Beta bob   reply 15:00, resolved 03-03 13:00, survey 2,
                                             #refund #login
  T4 03-03 09:00 low technical Beta (bob)  routed to Bob (the only Beta agent), untouched
  T5 03-03 09:30 medium billing Alpha ann    reply 09:45, resolved 10:30, closed 11:00, survey 4
"""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from analytics.models import TicketMetricsHour
from analytics.report import daily_ticket_report
from analytics.rollup import (
    compute_rows,
    metrics_backfill,
    metrics_rollup_range,
    metrics_rollup_recent,
)
from analytics.selectors import dashboard_summary, status_for
from analytics.views import csv_safe
from sla.services import sla_sweep
from tests.factories import AgentFactory, CategoryFactory, CustomerFactory, TeamFactory
from tickets.models import SatisfactionSurvey
from tickets.services import (
    ticket_assign,
    ticket_change_team,
    ticket_close,
    ticket_create,
    ticket_escalate,
    ticket_reopen,
    ticket_reply,
    ticket_resolve,
)

pytestmark = pytest.mark.django_db

SINCE = datetime(2026, 3, 2, tzinfo=UTC)
UNTIL = datetime(2026, 3, 4, tzinfo=UTC)
NOW = datetime(2026, 3, 4, 0, 30, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


class World:
    pass


@pytest.fixture
def world(django_capture_on_commit_callbacks):
    w = World()
    w.lead = AgentFactory(username="lead", agent_profile__seniority="team_lead")
    w.alpha = TeamFactory(name="Alpha", slug="alpha", lead=w.lead)
    w.beta = TeamFactory(name="Beta", slug="beta")
    w.ann = AgentFactory(username="ann", agent_profile__display_name="Ann")
    w.bob = AgentFactory(username="bob", agent_profile__display_name="Bob")
    w.ann.agent_profile.teams.add(w.alpha)
    w.bob.agent_profile.teams.add(w.beta)
    w.billing = CategoryFactory(slug="billing", name="Billing", prefix="BIL")
    w.technical = CategoryFactory(slug="technical", name="Technical", prefix="TEC")

    def step(when, fn, **kwargs):
        with (
            time_machine.travel(when, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return fn(**kwargs)

    def file(when, *, priority, category, team, assignee=None, tags=()):
        def make():
            ticket = ticket_create(
                customer=CustomerFactory(plan_tier="enterprise"),
                subject="Help",
                body="Body",
                priority=priority,
                category=category,
                tags=tags,
                classify=False,
            )
            ticket_change_team(ticket=ticket, team=team, actor=w.lead)
            if assignee:
                ticket_assign(ticket=ticket, assignee=assignee, actor=w.lead)
            return ticket

        return step(when, make)

    def survey(when, ticket, rating):
        ticket.refresh_from_db()
        SatisfactionSurvey.objects.update_or_create(
            ticket=ticket,
            resolved_at=ticket.resolved_at,
            defaults={"rating": rating, "answered_at": when, "sent_at": ticket.resolved_at},
        )

    w.t1 = file(at(2, 10), priority="critical", category=w.billing, team=w.alpha, assignee=w.ann,
                tags=["refund"])  # fmt: skip
    step(at(2, 10, 10), ticket_reply, ticket=w.t1, actor=w.ann, body="On it")
    w.t2 = file(at(2, 10, 30), priority="critical", category=w.billing, team=w.alpha,
                assignee=w.ann)  # fmt: skip
    sla_sweep(now=at(2, 10, 50), start_ladders=False)  # T2's first response breached 10:45
    step(at(2, 11), ticket_resolve, ticket=w.t1, actor=w.ann, resolution="Done")
    step(at(2, 11), ticket_reply, ticket=w.t2, actor=w.ann, body="Looking")
    step(at(2, 11, 30), ticket_escalate, ticket=w.t2, actor=w.ann, reason="Big customer",
         raise_priority=False)  # fmt: skip
    survey(at(2, 12), w.t1, 5)
    w.t3 = file(at(2, 14), priority="medium", category=w.technical, team=w.beta, assignee=w.bob,
                tags=["refund", "login"])  # fmt: skip
    step(at(2, 15), ticket_reply, ticket=w.t3, actor=w.bob, body="Hi")
    w.t4 = file(at(3, 9), priority="low", category=w.technical, team=w.beta)
    w.t5 = file(at(3, 9, 30), priority="medium", category=w.billing, team=w.alpha, assignee=w.ann)
    step(at(3, 9, 45), ticket_reply, ticket=w.t5, actor=w.ann, body="Hi")
    step(at(3, 10, 30), ticket_resolve, ticket=w.t5, actor=w.ann, resolution="Done")
    step(at(3, 11), ticket_close, ticket=w.t5, actor=w.ann)
    survey(at(3, 12), w.t5, 4)
    step(at(3, 13), ticket_resolve, ticket=w.t3, actor=w.bob, resolution="Done")
    survey(at(3, 15), w.t3, 2)
    w.step = step
    metrics_backfill(days=5, now=NOW)
    return w


def summary(**kwargs):
    with time_machine.travel(NOW, tick=False):
        return dashboard_summary(since=SINCE, until=UNTIL, **kwargs)


def stored_rows() -> dict:
    fields = ["hour", "team_key", "category_key", "assignee_key"]
    return {
        tuple(getattr(row, f) for f in fields): {
            k: v for k, v in row.__dict__.items() if k not in {"_state", "id", *fields}
        }
        for row in TicketMetricsHour.objects.all()
    }


def live_rows(start, end) -> dict:
    return {key: counts for key, counts in compute_rows(start, end).rows.items()}


# --------------------------------------------------------------------------- cards


def test_every_card_matches_the_hand_computed_figures(world):
    cards = summary()["cards"]
    # Open now: T2 (critical) and T4 (low).
    assert cards["open"]["value"] == 2
    assert cards["open"]["by_priority"] == {"critical": 1, "high": 0, "medium": 0, "low": 1}
    # First responses 10 + 30 + 60 + 15 = 115 min over 4: 28.75.
    assert cards["first_response"]["value"] == 28.8
    assert cards["first_response"]["status"] == "good"
    # Resolved 1 h + 23 h + 1 h over 3: 8.33 h, within 10 % of the 8 h target.
    assert cards["resolution"]["value"] == 8.3
    assert cards["resolution"]["status"] == "warning"
    # Surveys 5, 4, 2: two of three rated 4 or more.
    assert cards["csat"]["value"] == 66.7
    assert cards["csat"]["status"] == "critical"
    # Clocks finished: T1 ×2, T2 first response (late), T3 ×2, T5 ×2 = 7, on time 6.
    assert cards["sla"]["value"] == 85.7
    assert cards["sla"]["status"] == "warning"
    # One first escalation out of 5 created.
    assert cards["escalation"]["value"] == 20.0
    assert cards["escalation"]["status"] == "critical"
    # 3 resolved by 2 agents over 2 days.
    assert cards["productivity"]["value"] == 0.8
    assert cards["deflection"]["value"] is None
    assert cards["deflection"]["status"] == "none"
    assert cards["ai_spend"]["value"] == 0.0


def test_series_volume_backlog_categories_and_trending(world):
    data = summary()
    assert data["series"]["volume"] == [
        {"date": "2026-03-02", "created": 3, "resolved": 1},
        {"date": "2026-03-03", "created": 2, "resolved": 2},
    ]
    # End of 03-02: T2 and T3 open; end of 03-03: T2 and T4.
    assert data["series"]["backlog"] == [
        {"date": "2026-03-02", "open": 2},
        {"date": "2026-03-03", "open": 2},
    ]
    assert [(c["name"], c["created"]) for c in data["series"]["categories"]] == [
        ("Billing", 3),
        ("Technical", 2),
    ]
    trending = data["trending"]
    assert [(t["name"], t["previous"], t["current"]) for t in trending["categories"]] == [
        ("Billing", 0, 3),
        ("Technical", 0, 2),
    ]
    assert [(t["name"], t["current"]) for t in trending["tags"]] == [("refund", 2), ("login", 1)]


def test_agent_performance_table(world):
    rows = {row["name"]: row for row in summary()["agents"]}
    ann, bob = rows["Ann"], rows["Bob"]
    # Ann's tickets: first responses 10, 30, 15 min; resolved T1 and T5 in 1 h; surveys 5, 4.
    assert (ann["resolved"], ann["first_response_minutes"], ann["resolution_hours"]) == (
        2,
        18.3,
        1.0,
    )
    assert (ann["csat"], ann["open_load"], ann["resolved_per_day"]) == (100.0, 1, 1.0)
    assert (bob["resolved"], bob["first_response_minutes"], bob["resolution_hours"]) == (
        1,
        60.0,
        23.0,
    )
    assert (bob["csat"], bob["open_load"]) == (0.0, 1)  # T4, routed to Bob


def test_team_and_category_filters(world):
    alpha = summary(team=world.alpha)
    # T1, T2, T5: first responses 10, 30, 15; SLA 4 of 5 on time; 1 escalation of 3.
    assert alpha["cards"]["first_response"]["value"] == 18.3
    assert alpha["cards"]["sla"]["value"] == 80.0
    assert alpha["cards"]["escalation"]["value"] == 33.3
    assert alpha["cards"]["open"]["value"] == 1
    technical = summary(category=world.technical.pk)
    assert [r["created"] for r in technical["series"]["volume"]] == [1, 1]
    assert technical["cards"]["open"]["by_priority"]["low"] == 1
    mine = summary(teams=[world.beta.pk])
    assert mine["cards"]["resolution"]["value"] == 23.0


def test_daily_ticket_report_by_creation_day(world):
    rows = daily_ticket_report(since=SINCE, until=UNTIL)
    assert rows == [
        {
            "date": "2026-03-03",
            "total": 2,
            "critical": 0,
            "resolved": 1,
            "avg_first_response_minutes": 15.0,
            "avg_resolution_hours": 1.0,
            "breaches": 0,
            "resolution_rate": 50.0,
        },
        {
            "date": "2026-03-02",
            "total": 3,
            "critical": 2,
            "resolved": 2,
            "avg_first_response_minutes": 33.3,
            "avg_resolution_hours": 12.0,
            "breaches": 1,
            "resolution_rate": 66.7,
        },
    ]


def test_status_thresholds():
    assert status_for("first_response", 30) == "good"
    assert status_for("first_response", 33) == "warning"
    assert status_for("first_response", 34) == "critical"
    assert status_for("csat", 90) == "good"
    assert status_for("csat", 81) == "warning"
    assert status_for("csat", 80.9) == "critical"
    assert status_for("csat", None) == "none"


# --------------------------------------------------------------------------- rollups


def test_rollups_equal_live_computation_and_rerun_is_idempotent(world):
    expected = live_rows(SINCE - timedelta(days=2), NOW)
    assert stored_rows() == expected
    metrics_rollup_range(start=SINCE, end=UNTIL)
    metrics_rollup_range(start=SINCE, end=UNTIL)
    assert stored_rows() == expected


def test_recent_job_corrects_old_hours_after_late_changes(world):
    # Just after midnight T3 moves to Alpha and T1 (resolved two days ago) is reopened.
    world.step(at(4, 0, 10), ticket_change_team, ticket=world.t3, team=world.alpha,
               actor=world.lead)  # fmt: skip
    world.step(at(4, 0, 20), ticket_reopen, ticket=world.t1, actor=world.ann, reason="Again")
    assert stored_rows() != live_rows(SINCE - timedelta(days=2), NOW)
    metrics_rollup_recent(now=NOW)
    assert stored_rows() == live_rows(SINCE - timedelta(days=2), NOW)
    data = summary(team=world.alpha)
    assert data["series"]["volume"][0] == {"date": "2026-03-02", "created": 3, "resolved": 0}


def test_backfill_command(world, capsys):
    from django.core.management import call_command

    TicketMetricsHour.objects.all().delete()
    with time_machine.travel(NOW, tick=False):
        call_command("backfill_metrics", "--days", "5")
    assert "hourly rows" in capsys.readouterr().out
    assert stored_rows() == live_rows(SINCE - timedelta(days=2), NOW)


# --------------------------------------------------------------------------- pages


def test_dashboard_page_for_a_lead(client, world):
    client.force_login(world.lead)
    with time_machine.travel(NOW, tick=False):
        response = client.get(
            reverse("desk:analytics"), {"start": "2026-03-02", "end": "2026-03-03"}
        )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Avg first response" in html and "28.8" in html
    assert "AI spend this month" in html
    assert html.count('<svg class="chart') == 3
    assert 'hx-trigger="every 60s"' in html
    assert "start=2026-03-02" in html


def test_dashboard_htmx_request_gets_the_body_only(client, world):
    client.force_login(world.lead)
    with time_machine.travel(NOW, tick=False):
        response = client.get(
            reverse("desk:analytics"), {"team": "alpha"}, headers={"HX-Request": "true"}
        )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="dashboard-body"')
    assert "team=alpha" in html


def test_plain_agent_sees_only_their_teams_and_no_desk_wide_cards(client, world):
    client.force_login(world.bob)
    with time_machine.travel(NOW, tick=False):
        response = client.get(
            reverse("desk:analytics"), {"start": "2026-03-02", "end": "2026-03-03"}
        )
        refused = client.get(reverse("desk:analytics"), {"team": "alpha"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Bob" in html and ">Ann<" not in html
    assert "AI spend this month" not in html
    assert refused.status_code == 400


def test_customers_and_visitors_are_kept_out(client, world):
    assert client.get(reverse("desk:analytics")).status_code == 302
    customer = CustomerFactory()
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get(reverse("desk:analytics")).status_code == 403
    assert client.get(reverse("desk:analytics_daily")).status_code == 403
    assert customer.pk


def test_bad_filters_get_a_clear_400(client, world):
    client.force_login(world.lead)
    response = client.get(reverse("desk:analytics"), {"start": "2026-03-05", "end": "2026-03-01"})
    assert response.status_code == 400
    assert "start date must be on or before" in response.content.decode()
    assert client.get(reverse("desk:analytics"), {"start": "nope"}).status_code == 400
    assert client.get(reverse("desk:analytics_daily"), {"category": "nope"}).status_code == 400


def test_dashboard_query_count_does_not_grow_with_data(
    client, world, django_assert_num_queries, django_capture_on_commit_callbacks
):
    client.force_login(world.lead)
    url = reverse("desk:analytics")
    with time_machine.travel(NOW, tick=False):
        client.get(url)  # warm caches (session, content types)
        with django_assert_num_queries(12) as small:
            client.get(url, headers={"HX-Request": "true"})
    for hour in range(6):
        world.step(at(3, 16 + hour), ticket_create, customer=CustomerFactory(), subject="More",
                   body="B", tags=[f"tag{hour}"], classify=False)  # fmt: skip
    metrics_backfill(days=5, now=NOW)
    with (
        time_machine.travel(NOW, tick=False),
        django_assert_num_queries(len(small.captured_queries)),
    ):
        client.get(url, headers={"HX-Request": "true"})


def test_daily_report_page_and_csv(client, world):
    client.force_login(world.lead)
    params = {"start": "2026-03-02", "end": "2026-03-03"}
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("desk:analytics_daily"), params)
        export = client.get(reverse("desk:analytics_daily"), {**params, "format": "csv"})
        export_path = client.get(reverse("desk:analytics_daily_csv"), params)
    assert page.status_code == 200
    assert "66.7 %" in page.content.decode()
    assert export["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.content.decode())))
    assert rows[0][0] == "Date"
    assert rows[2] == ["2026-03-02", "3", "2", "2", "33.3", "12.0", "1", "66.7"]
    assert export_path.content == export.content


def test_csv_cells_cannot_run_formulas():
    assert csv_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert csv_safe("+1") == "'+1"
    assert csv_safe("@x") == "'@x"
    assert csv_safe(None) == ""
    assert csv_safe(12.5) == "12.5"


def test_sla_digest_includes_the_daily_ticket_report(world, django_capture_on_commit_callbacks,
                                                      mailoutbox):  # fmt: skip
    from sla.services.reports import sla_daily_report_create

    with django_capture_on_commit_callbacks(execute=True):
        report = sla_daily_report_create(team=world.alpha, date=datetime(2026, 3, 3).date())
    # 03-02 09:00 to 03-03 09:00, Alpha: T1 and T2 created, both critical, T1 resolved.
    assert report.data["tickets"]["total"] == 2
    assert report.data["tickets"]["critical"] == 2
    assert report.data["tickets"]["resolved"] == 1
    assert report.data["tickets"]["breaches"] == 1
    assert report.data["tickets"]["avg_first_response_minutes"] == 20.0
    assert "Tickets created in the period: 2 (2 critical)" in mailoutbox[-1].body
