"""The analytics dashboard in a real browser: a team lead opens it, the cards and the three
charts render, a filter changes the URL, and nothing is logged to the console."""

import os
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from analytics.rollup import metrics_backfill
from tests.factories import AgentFactory, CategoryFactory, CustomerFactory, TeamFactory
from tickets.services import (
    ticket_assign,
    ticket_change_team,
    ticket_create,
    ticket_reply,
    ticket_resolve,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

SCREENSHOTS = os.environ.get("DASHBOARD_SCREENSHOTS", "")


def some_history(lead):
    """A few tickets over the last days, filed and handled through the services."""
    team = TeamFactory(name="Payments", slug="payments", lead=lead)
    agent = AgentFactory(username="ann", agent_profile__display_name="Ann Agent")
    agent.agent_profile.teams.add(team)
    categories = [
        CategoryFactory(slug="billing", name="Billing", prefix="BIL"),
        CategoryFactory(slug="technical", name="Technical", prefix="TEC"),
        CategoryFactory(slug="account", name="Account", prefix="ACC"),
    ]
    for n in range(12):
        ticket = ticket_create(
            customer=CustomerFactory(),
            subject=f"Question {n}",
            body="Body",
            category=categories[n % 3],
            priority=["low", "medium", "high", "critical"][n % 4],
            tags=["refund"] if n % 2 else ["login"],
            classify=False,
        )
        ticket_change_team(ticket=ticket, team=team, actor=lead)
        ticket_assign(ticket=ticket, assignee=agent, actor=lead)
        if n % 3:
            ticket_reply(ticket=ticket, actor=agent, body="Hello")
        if n % 3 == 1:
            ticket_resolve(ticket=ticket, actor=agent, resolution="Done")
    metrics_backfill(days=3, now=timezone.now() + timedelta(minutes=1))


def test_lead_sees_cards_and_charts_without_console_errors(live_server, page, console_errors):
    lead = AgentFactory(username="lead", agent_profile__seniority="team_lead")
    some_history(lead)

    page.goto(f"{live_server.url}/login/?next=/desk/analytics/")
    page.get_by_label("Username or email").fill(lead.username)
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/desk/analytics/"))

    expect(page.get_by_role("heading", name="Analytics")).to_be_visible()
    expect(page.locator("svg.chart")).to_have_count(3)
    expect(page.locator("svg.chart-line path.line")).to_have_count(3)  # 2 volume + backlog
    expect(page.locator("svg.chart-bars rect.bar")).to_have_count(3)
    expect(page.locator("[data-metric=first_response] .status-pill")).to_have_text(
        re.compile("On target|Near target|Off target")
    )
    expect(
        page.get_by_role("cell", name="Ann Agent").or_(page.get_by_text("Ann Agent"))
    ).to_be_visible()
    if SCREENSHOTS:
        page.set_viewport_size({"width": 1440, "height": 1300})
        page.screenshot(path=f"{SCREENSHOTS}-dashboard.png", full_page=True)

    # A filter swaps the body in place and puts the state in the URL.
    page.get_by_label("Team").select_option("payments")
    expect(page).to_have_url(re.compile(r"team=payments"))
    expect(page.locator(".period-note")).to_contain_text("Payments")
    expect(page.locator("svg.chart")).to_have_count(3)

    page.get_by_role("link", name="Daily ticket report").click()
    expect(page.get_by_role("heading", name="Daily ticket report")).to_be_visible()
    expect(page.get_by_role("link", name="Export CSV")).to_be_visible()
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}-daily.png", full_page=True)
    assert console_errors == []
