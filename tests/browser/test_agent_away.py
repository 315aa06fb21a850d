"""Routing in a real browser: an agent sets themselves away from the desk's top bar, a
customer files a ticket, and routing gives it to a teammate who is available; the ticket's
activity says why."""

import re

import pytest
from playwright.sync_api import expect

from agents.models import AgentProfile
from tests.factories import AgentFactory, CategoryFactory, TeamFactory
from tickets.models import Ticket

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_an_away_agent_is_skipped_and_a_teammate_gets_the_new_ticket(
    live_server, browser, page, console_errors
):
    billing = CategoryFactory()
    team = TeamFactory(name="Billing", assignment_strategy="skill_scored")
    team.categories.add(billing)
    riley = AgentFactory(
        username="riley", agent_profile__display_name="Riley Agent", agent_profile__expertise=5
    )
    riley.agent_profile.teams.add(team)
    riley.agent_profile.skills.add(billing)
    sam = AgentFactory(username="sam", agent_profile__display_name="Sam Teammate")
    sam.agent_profile.teams.add(team)

    # Riley, the best match, logs in to the desk and sets themselves away.
    desk_context = browser.new_context()
    desk = desk_context.new_page()
    desk_errors: list[str] = []
    desk.on("console", lambda msg: desk_errors.append(msg.text) if msg.type == "error" else None)
    desk.on("pageerror", lambda exc: desk_errors.append(str(exc)))
    desk.goto(f"{live_server.url}/login/?next=/desk/")
    desk.get_by_label("Username or email").fill("riley")
    desk.get_by_label("Password").fill("demo")
    desk.get_by_role("button", name="Log in").click()
    expect(desk).to_have_url(re.compile(r"/desk/"))
    # The URL changes when the navigation commits; htmx binds the select's change trigger
    # once the deferred scripts have run. A change before that is a plain select change
    # that posts nothing.
    desk.wait_for_load_state("load")
    status = desk.get_by_label("Availability")
    expect(status).to_have_value("available")
    status.select_option("away")
    expect(desk.locator("#agent-status.status-away")).to_be_visible()
    expect(desk.get_by_label("Availability")).to_have_value("away")
    assert AgentProfile.objects.get(user=riley).status == "away"

    # A customer files a billing ticket in the portal.
    page.goto(f"{live_server.url}/portal/")
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Email address").fill("ada@example.org")
    page.get_by_label("Subject").fill("Charged twice this month")
    page.get_by_label("Topic").select_option(label="Billing")
    page.get_by_label("Description").fill("Two identical charges on the 3rd.")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("heading", name="Thanks, we have your request")).to_be_visible()
    reference = page.locator(".portal-reference").inner_text().strip()

    # Routing skipped Riley (away): the teammate has it.
    ticket = Ticket.objects.get(reference=reference)
    assert ticket.team == team
    assert ticket.assignee == sam

    # The status stays visible on every desk page, and the ticket's activity says why.
    desk.goto(f"{live_server.url}/desk/tickets/{reference}/")
    expect(desk.get_by_label("Availability")).to_have_value("away")
    activity = desk.locator("#ticket-timeline")
    expect(activity).to_contain_text("Sam Teammate")
    expect(activity).to_contain_text("Assigned by skill score")

    desk_context.close()
    assert console_errors == []
    assert desk_errors == []
