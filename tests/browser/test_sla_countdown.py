"""The SLA clock in a real browser: an agent opens a ticket, sees each target with its
countdown ticking, puts the ticket on hold for the customer and watches the clock pause on
the card and in the SLA timeline."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import AgentFactory, CustomerFactory
from tickets import services

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_agent_sees_the_sla_countdown_and_the_clock_pause(live_server, page, console_errors):
    agent = AgentFactory(username="sam", agent_profile__display_name="Sam Agent")
    customer = CustomerFactory(name="Grace Hopper", plan_tier="enterprise")
    # Enterprise, high: first response within 1 h, resolution within 8 h, round the clock.
    ticket = services.ticket_create(
        customer=customer, subject="Checkout returns 502", body="Since 09:00.", priority="high"
    )
    services.ticket_transition(ticket=ticket, to_status="in_progress", actor=agent)

    page.clock.install()
    page.goto(f"{live_server.url}/login/?next=/desk/")
    page.get_by_label("Username or email").fill(agent.username)
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/desk/"))

    # The queue lists it with its SLA state and the time left.
    row = page.locator("tr", has=page.get_by_role("link", name="Checkout returns 502"))
    expect(row.locator(".sla-badge")).to_have_text(re.compile("On track"))
    expect(row.locator(".sla-countdown")).to_have_text(re.compile(r"^in (59|60)m$|^in 1h$"))

    page.get_by_role("link", name="Checkout returns 502").click()
    card = page.locator("#sla-card")
    first = card.locator(".sla-clock", has_text="First response")
    resolution = card.locator(".sla-clock", has_text="Resolution")
    expect(first.locator(".sla-badge")).to_have_text(re.compile("On track"))
    expect(first.locator(".sla-remaining")).to_have_text(re.compile(r"^(59m|1h) left$"))
    expect(resolution.locator(".sla-remaining")).to_have_text(re.compile(r"^(7h 59m|8h) left$"))

    # Round the clock, the time left is wall time: it ticks in the browser without a reload.
    countdown = first.locator(".sla-remaining[data-deadline]")
    expect(countdown).to_have_text(re.compile(r"^(59m|1h) left$"))
    page.clock.fast_forward("20:00")
    expect(countdown).to_have_text(re.compile(r"^(39|40)m left$"))

    # Waiting on the customer pauses every running clock, on the card and in the timeline.
    page.get_by_label("Status").select_option("waiting_customer")
    expect(resolution.locator(".sla-badge")).to_have_text(re.compile("Paused"))
    expect(resolution.locator(".sla-remaining")).to_have_text(re.compile(r"^paused, "))
    expect(card.locator("[data-deadline]")).to_have_count(0)
    timeline = page.locator("#ticket-sla-timeline")
    expect(timeline).to_contain_text("Resolution clock paused")
    expect(timeline).to_contain_text("Ticket moved to Waiting on customer")
    expect(timeline.locator(".sla-event-started")).to_have_count(2)

    assert console_errors == []
