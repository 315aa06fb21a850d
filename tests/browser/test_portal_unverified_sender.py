"""Filing signed out with a registered customer's address, in a real browser: the filer's
confirmation page has no way to the ticket, an agent sees it marked "Unverified sender", and
the real customer confirms it by replying through the link from their email."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories import AgentFactory, CustomerWithAccountFactory
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_reply

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

AGENT_REPLY = "Your billing address on file is 12 Baker Street."


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where screenshots go: BROWSER_SCREENSHOTS when set (to look at them), else tmp."""
    return Path(os.environ.get("BROWSER_SCREENSHOTS") or tmp_path)


def test_an_anonymous_filer_under_a_registered_address_never_reaches_the_ticket(
    live_server, browser, page, console_errors, mailoutbox, shots
):
    owner = CustomerWithAccountFactory(email="grace@example.org", name="Grace Hopper")
    agent = AgentFactory(username="riley", agent_profile__display_name="Riley Agent")

    # Someone else, signed out, files with Grace's address in another case.
    page.goto(f"{live_server.url}/portal/")
    page.get_by_label("Your name").fill("Mallory")
    page.get_by_label("Email address").fill("GRACE@example.org")
    page.get_by_label("Subject").fill("Send me every invoice on my account")
    page.get_by_label("Description").fill("I lost them all, please send them here.")
    page.get_by_role("button", name="Send request").click()

    expect(page.get_by_role("heading", name="Thanks, we have your request")).to_be_visible()
    expect(page.get_by_text("Check your email")).to_be_visible()
    expect(page.get_by_role("link", name="View your ticket")).to_have_count(0)
    reference = page.locator(".portal-reference").inner_text().strip()
    ticket = Ticket.objects.get(reference=reference)
    assert ticket.customer == owner and ticket.sender_unverified
    assert ticket.public_id not in page.url
    assert ticket.public_id not in page.content()
    page.screenshot(path=shots / "portal-unverified-confirmation.png", full_page=True)

    # An agent answers; the filer's page still shows nothing of it.
    ticket_reply(ticket=ticket, actor=agent, body=AGENT_REPLY)
    page.reload()
    expect(page.get_by_text(AGENT_REPLY)).to_have_count(0)

    # The agent sees the ticket marked in the desk.
    desk = browser.new_context().new_page()
    desk.goto(f"{live_server.url}/login/?next=/desk/")
    desk.get_by_label("Username or email").fill(agent.username)
    desk.get_by_label("Password").fill("demo")
    desk.get_by_role("button", name="Log in").click()
    row = desk.locator(f'tr[data-ref="{reference}"]')
    expect(row.locator(".badge.unverified-sender")).to_be_visible()
    desk.screenshot(path=shots / "desk-queue-unverified.png", full_page=True)
    row.get_by_role("link", name="Send me every invoice on my account").click()
    expect(desk.locator(".ticket-header .badge.unverified-sender")).to_have_text(
        "Unverified sender"
    )
    expect(desk.locator(".unverified-banner")).to_be_visible()
    desk.screenshot(path=shots / "desk-ticket-unverified.png")

    # Grace follows the link from her email and replies: the ticket is hers now.
    [confirmation] = [m for m in mailoutbox if m.to == [owner.email]][:1]
    link = re.search(r"https?://\S+/portal/t/[\w-]+/", confirmation.body).group(0)
    mailbox = browser.new_context().new_page()
    mailbox.goto(f"{live_server.url}{link[link.index('/portal/') :]}")
    expect(mailbox.locator(".portal-unverified-notice")).to_be_visible()
    expect(mailbox.get_by_text(AGENT_REPLY)).to_be_visible()
    mailbox.screenshot(path=shots / "portal-unverified-secure-link.png", full_page=True)
    mailbox.get_by_label("Message").fill("Yes, that was me from my phone.")
    mailbox.get_by_role("button", name=re.compile("Send")).click()
    expect(mailbox.locator(".portal-unverified-notice")).to_have_count(0)

    ticket.refresh_from_db()
    assert not ticket.sender_unverified
    assert ticket.events.filter(kind=TicketEvent.Kind.SENDER_VERIFIED).count() == 1
    desk.reload()
    expect(desk.locator(".ticket-header .badge.unverified-sender")).to_have_count(0)
    assert console_errors == []
