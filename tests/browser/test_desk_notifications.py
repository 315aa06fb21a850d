"""Desk notifications in a real browser: the bell shows the unread count and refreshes over
HTMX, the list marks notifications read and the bell follows, all under the nonce CSP."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import AgentFactory, TicketFactory
from tickets.notifications import notify

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def escalate(ticket, agent, level: int) -> None:
    notify(
        kind="escalation",
        recipients=[agent],
        ticket=ticket,
        template="agent_notice",
        context={"headline": f"Escalated to level {level}", "text": "The customer is blocked."},
        dedupe=[level],
    )


def test_the_bell_counts_refreshes_and_follows_marking_read(live_server, page, console_errors):
    agent = AgentFactory(username="riley")
    ticket = TicketFactory(subject="Exports time out")
    escalate(ticket, agent, 1)

    page.goto(f"{live_server.url}/login/?next=/desk/")
    page.get_by_label("Username or email").fill("riley")
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/desk/"))
    bell = page.locator("#desk-bell")
    expect(bell.locator(".bell-count")).to_have_text("1")

    # A new notification arrives; the bell picks it up on its next poll (triggered here by
    # the same event the list sends, instead of waiting 30 seconds).
    escalate(ticket, agent, 2)
    page.wait_for_function("() => typeof window.htmx !== 'undefined'")
    page.evaluate("htmx.trigger(document.body, 'notifications-changed')")
    expect(bell.locator(".bell-count")).to_have_text("2")

    # The list: unread first; marking one read updates the list and the bell.
    bell.click()
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
    expect(page.locator(".notification-item.is-unread")).to_have_count(2)
    page.get_by_role("button", name="Mark read").first.click()
    expect(page.locator(".notification-item.is-unread")).to_have_count(1)
    expect(page.locator("#desk-bell .bell-count")).to_have_text("1")

    page.get_by_role("button", name="Mark all as read").click()
    expect(page.get_by_text("All caught up")).to_be_visible()
    expect(page.locator("#desk-bell .bell-count")).to_have_count(0)

    # Each notification links to its ticket in the desk.
    page.get_by_role("link", name=re.compile("Escalated to level 2")).click()
    expect(page.get_by_role("heading", name="Exports time out")).to_be_visible()
    assert console_errors == []
