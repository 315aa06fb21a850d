"""A long ticket in the browser: the agent sees that earlier messages exist, loads them with
one click (HTMX, no page reload), and the reply form still guards against collisions."""

import os
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from desk.views import ticket as ticket_page
from tests.factories import AgentFactory, TicketFactory
from tickets.models import TicketEvent, TicketMessage

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def shots_dir(tmp_path) -> str:
    """Where the screenshots go: SCREENSHOT_DIR to keep and look at them, else thrown away."""
    return os.environ.get("SCREENSHOT_DIR") or str(tmp_path)


def long_ticket(agent, count: int):
    ticket = TicketFactory(subject="Exports time out for our largest workspace")
    # A conversation of the last few hours, the ticket's own message first.
    start = timezone.now() - timedelta(minutes=count + 5)
    ticket.messages.update(created_at=start)
    TicketMessage.objects.bulk_create(
        TicketMessage(
            ticket=ticket,
            author_kind="agent" if index % 2 else "customer",
            author=agent if index % 2 else None,
            body=f"Update {index}",
            body_html=f"<p>Update {index}: still looking at the export logs.</p>",
            is_internal=index % 4 == 3,
            created_at=start + timedelta(minutes=index + 1),
        )
        for index in range(count)
    )
    TicketEvent.objects.bulk_create(
        TicketEvent(
            ticket=ticket,
            kind=TicketEvent.Kind.NOTE_ADDED if index % 7 == 3 else TicketEvent.Kind.REPLIED,
            actor=agent,
            created_at=start + timedelta(minutes=index + 1),
        )
        for index in range(count)
    )
    return ticket


def log_in(page, live_server, agent):
    page.goto(f"{live_server.url}/login/?next=/desk/")
    page.get_by_label("Username or email").fill(agent.username)
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/desk/"))


def test_earlier_messages_load_in_place(live_server, page, console_errors, tmp_path):
    agent = AgentFactory(username="riley", agent_profile__display_name="Riley Agent")
    ticket = long_ticket(agent, 199)  # 200 with the ticket's own message
    shots = shots_dir(tmp_path)
    log_in(page, live_server, agent)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(f"{live_server.url}/desk/tickets/{ticket.reference}/")
    messages = page.locator("#ticket-conversation article.message")
    expect(messages).to_have_count(ticket_page.PAGE_MESSAGES)
    control = page.locator("#conversation-earlier")
    expect(control).to_contain_text("170 earlier messages not shown")
    button = control.get_by_role("link", name="Show 100 earlier messages")
    expect(button).to_be_visible()
    page.screenshot(path=f"{shots}/perf-ticket-after.png")
    timeline = page.locator("#ticket-timeline")
    expect(timeline.locator(".timeline-item")).to_have_count(ticket_page.PAGE_EVENTS)
    expect(timeline).to_contain_text("170 earlier entries not shown")
    timeline.screenshot(path=f"{shots}/perf-ticket-activity.png")
    timeline.get_by_role("link", name="Show 100 earlier entries").click()
    expect(timeline.locator(".timeline-item")).to_have_count(ticket_page.PAGE_EVENTS + 100)

    button.click()
    expect(messages).to_have_count(ticket_page.PAGE_MESSAGES + 100)
    expect(page).to_have_url(re.compile(rf"/desk/tickets/{ticket.reference}/$"))
    expect(control).to_contain_text("70 earlier messages not shown")
    control.get_by_role("link", name="Show 70 earlier messages").click()
    expect(messages).to_have_count(200)
    expect(page.locator("#conversation-earlier")).to_have_count(0)
    expect(page.locator("#ticket-conversation")).to_contain_text("Update 0: still looking")
    # Internal notes loaded later are marked like the others.
    expect(page.locator("#ticket-conversation .message-internal")).to_have_count(49)
    page.screenshot(path=f"{shots}/perf-ticket-expanded.png")

    # The whole page as it rendered before paging (every message), for comparison.
    page.goto(f"{live_server.url}/desk/tickets/{ticket.reference}/?conversation=all&activity=all")
    expect(messages).to_have_count(200)
    page.screenshot(path=f"{shots}/perf-ticket-before.png")
    assert console_errors == []
