"""The foundation's end-to-end flow in a real browser: a customer files a ticket in the
portal, an agent finds it in the desk queue and replies, and the customer reads the reply
through the secure link from the confirmation email (never the agent's internal note)."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import AgentFactory
from tickets.models import Ticket

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def watch_console(page, errors):
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))


def test_customer_files_agent_replies_customer_reads_reply(
    live_server, browser, page, console_errors, mailoutbox
):
    agent_user = AgentFactory(username="riley", agent_profile__display_name="Riley Agent")

    # The customer files a ticket without an account.
    page.goto(f"{live_server.url}/portal/")
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Email address").fill("ada@example.org")
    page.get_by_label("Subject").fill("Invoice shows the wrong VAT number")
    page.get_by_label("Description").fill("Our VAT number is **DE123456789**, not the old one.")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("heading", name="Thanks, we have your request")).to_be_visible()
    reference = page.locator(".portal-reference").inner_text().strip()
    ticket = Ticket.objects.get(reference=reference)
    assert ticket.customer.email == "ada@example.org"

    # The confirmation email carries the secure link.
    assert len(mailoutbox) == 1
    link = re.search(r"https?://\S+/portal/t/[\w-]+/", mailoutbox[0].body).group(0)
    secure_path = link[link.index("/portal/") :]

    # The agent logs in, finds the ticket in the queue and opens it.
    agent_context = browser.new_context()
    desk = agent_context.new_page()
    desk_errors: list[str] = []
    watch_console(desk, desk_errors)
    desk.goto(f"{live_server.url}/login/?next=/desk/")
    desk.get_by_label("Username or email").fill(agent_user.username)
    desk.get_by_label("Password").fill("demo")
    desk.get_by_role("button", name="Log in").click()
    expect(desk).to_have_url(re.compile(r"/desk/"))
    row_link = desk.get_by_role("link", name="Invoice shows the wrong VAT number")
    expect(row_link).to_be_visible()
    row_link.click()
    expect(desk.get_by_role("heading", name="Invoice shows the wrong VAT number")).to_be_visible()

    # An internal note, then a public reply, both through HTMX.
    desk.locator("label[for=composer-mode-note]").click()
    desk.locator("textarea.note-input").fill("Finance confirmed the VAT change on Monday.")
    desk.get_by_role("button", name="Add internal note").click()
    expect(desk.locator(".message-internal")).to_contain_text("Finance confirmed")
    desk.locator("label[for=composer-mode-reply]").click()
    desk.get_by_label("Reply to Ada Lovelace").fill("Thanks Ada, the invoice is corrected.")
    desk.get_by_role("button", name="Send reply").click()
    expect(desk.locator(".conversation")).to_contain_text("the invoice is corrected")
    ticket.refresh_from_db()
    assert ticket.status == "in_progress" and ticket.first_response_at is not None

    # The customer follows the secure link and sees the reply, never the internal note.
    page.goto(f"{live_server.url}{secure_path}")
    expect(page.get_by_text("Thanks Ada, the invoice is corrected.")).to_be_visible()
    expect(page.get_by_text("DE123456789")).to_be_visible()
    assert "Finance confirmed" not in page.content()

    # The customer answers from the same page.
    page.get_by_label("Message").fill("Perfect, thank you!")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Perfect, thank you!")).to_be_visible()
    assert ticket.messages.filter(author_kind="customer").count() == 2

    agent_context.close()
    assert console_errors == []
    assert desk_errors == []
