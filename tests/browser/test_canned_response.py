"""A canned response in a real browser: the agent searches the picker on the ticket page,
inserts a response with its placeholders filled into the reply box, and sends it."""

import re

import pytest
from playwright.sync_api import expect

from knowledge.models import CannedResponse
from knowledge.services import canned_response_create
from tests.factories import AgentFactory, CategoryFactory, CustomerFactory, TicketFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_agent_inserts_a_canned_response_and_sends_it(live_server, page, console_errors):
    agent = AgentFactory(username="riley", agent_profile__display_name="Riley Agent")
    ticket = TicketFactory(
        customer=CustomerFactory(name="Ada Lovelace"),
        category=CategoryFactory(),
        subject="Refund for last month",
    )
    canned = canned_response_create(
        name="Refund policy",
        slug="refund_policy",
        category=ticket.category,
        content="Hi {customer_name}, refunds for {ticket_id} take 5 days. {agent_name}",
    )
    canned_response_create(name="Welcome aboard", content="Welcome {customer_name}!")

    page.goto(f"{live_server.url}/login/?next=/desk/tickets/{ticket.reference}/")
    page.get_by_label("Username or email").fill(agent.username)
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(rf"/desk/tickets/{ticket.reference}/"))

    reply = page.get_by_label("Reply to Ada Lovelace")
    reply.fill("Thanks for waiting.\n")
    search = page.get_by_role("searchbox", name="Canned response")
    search.click()
    search.press_sequentially("refund")
    results = page.locator("#canned-results")
    expect(results.get_by_role("button", name=re.compile("Refund policy"))).to_be_visible()
    expect(results).not_to_contain_text("Welcome aboard")

    results.get_by_role("button", name=re.compile("Refund policy")).click()
    filled = f"Hi Ada Lovelace, refunds for {ticket.reference} take 5 days. Riley Agent"
    expect(reply).to_have_value(f"Thanks for waiting.\n\n{filled}")
    expect(results.locator(".canned-option")).to_have_count(0)

    page.get_by_role("button", name="Send reply").click()
    expect(page.locator(".conversation")).to_contain_text(filled)
    assert ticket.messages.filter(author_kind="agent", body__contains=filled).exists()
    assert CannedResponse.objects.get(pk=canned.pk).usage_count == 1
    assert console_errors == []
