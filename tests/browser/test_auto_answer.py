"""The auto-answer cascade and the suggested reply in a real browser, with the AI against the
OpenAI-compatible stub server (tests/knowledge/conftest.py).

A customer files a ticket in the portal; the policy holds the model's answer as a draft; an
agent edits and approves it at /desk/approvals/; the customer's page shows the answer marked
as automatic. And an agent's "Suggest a reply" polls for the model's draft and inserts it."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from knowledge.models import AIInteraction, AutoAnswer, AutoAnswerPolicy, ReplySuggestion
from knowledge.services import article_create
from knowledge.tasks import auto_answer_ticket
from tests.factories import AgentFactory, TicketFactory
from tests.knowledge.conftest import ai_settings, stub  # noqa: F401 - fixtures
from tickets.models import Ticket

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

ANSWER = "Annual plans can be refunded within 30 days of payment: reply here and we refund you."
EDITED = "Annual plans can be refunded within 30 days. I have started your refund today."


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where screenshots go: BROWSER_SCREENSHOTS when set (to look at them), else tmp."""
    return Path(os.environ.get("BROWSER_SCREENSHOTS") or tmp_path)


def log_in(page, live_server, user, next_path: str) -> None:
    page.goto(f"{live_server.url}/login/?next={next_path}")
    page.get_by_label("Username or email").fill(user.username)
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(re.escape(next_path)))


def test_customer_gets_an_approved_draft_marked_as_automatic(
    live_server,
    browser,
    page,
    console_errors,
    shots,
    mailoutbox,
    ai_settings,  # noqa: F811
    stub,  # noqa: F811
):
    stub.answer = {"answer": ANSWER, "confidence": 0.95}
    AutoAnswerPolicy.objects.update_or_create(
        category=None, defaults={"mode": AutoAnswerPolicy.Mode.DRAFT_ONLY, "active": True}
    )
    article_create(
        title="Refunds for annual plans",
        summary="Annual plans are refundable in the first 30 days.",
        body="Ask for a refund within 30 days of paying for an annual plan.",
        published=True,
    )

    # The customer files a ticket without an account.
    page.goto(f"{live_server.url}/portal/")
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Email address").fill("ada@example.org")
    page.get_by_label("Subject").fill("Refund for my annual plan")
    page.get_by_label("Description").fill("I paid for a year last week; can I get my money back?")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("heading", name="Thanks, we have your request")).to_be_visible()
    reference = page.locator(".portal-reference").inner_text().strip()
    ticket = Ticket.objects.get(reference=reference)
    auto_answer_ticket(ticket.pk)  # idempotent: a no-op when the worker already ran it
    draft = AutoAnswer.objects.get(ticket=ticket)
    assert draft.status == AutoAnswer.Status.PENDING and draft.body == ANSWER
    link = re.search(r"https?://\S+/portal/t/[\w-]+/", mailoutbox[0].body).group(0)
    secure_path = link[link.index("/portal/") :]

    # The agent edits and approves the draft.
    agent_context = browser.new_context(viewport={"width": 1280, "height": 900})
    desk = agent_context.new_page()
    desk_errors: list[str] = []
    desk.on("console", lambda msg: desk_errors.append(msg.text) if msg.type == "error" else None)
    desk.on("pageerror", lambda exc: desk_errors.append(str(exc)))
    log_in(desk, live_server, AgentFactory(username="riley"), "/desk/approvals/")
    item = desk.locator(f"#draft-{draft.pk}")
    expect(item).to_contain_text("Refund for my annual plan")
    expect(item).to_contain_text("Model draft")
    desk.screenshot(path=shots / "approvals.png", full_page=True)

    item.get_by_label("Draft answer").fill(EDITED)
    item.get_by_role("button", name="Approve and send").click()
    expect(desk.locator(f"#draft-{draft.pk}")).to_contain_text(f"Your edit was sent to {reference}")
    desk.screenshot(path=shots / "approvals-sent.png", full_page=True)
    draft.refresh_from_db()
    assert draft.status == AutoAnswer.Status.EDITED and draft.message.body == EDITED
    assert draft.interaction.outcome == AIInteraction.Outcome.EDITED

    # The customer reads it, marked as an automatic answer a person checked.
    page.goto(f"{live_server.url}{secure_path}")
    message = page.locator(f"#message-{draft.message_id}")
    expect(message).to_contain_text(EDITED)
    expect(message.locator(".portal-auto-tag")).to_have_text(
        "Automatic answer · checked by Support"
    )
    page.screenshot(path=shots / "portal-answer.png", full_page=True)

    agent_context.close()
    assert console_errors == [], console_errors
    assert desk_errors == []


def test_agent_gets_the_model_suggestion_by_polling_and_inserts_it(
    live_server,
    page,
    console_errors,
    shots,
    ai_settings,  # noqa: F811
    stub,  # noqa: F811
):
    stub.answer = {
        "reply": "Hello Ada, your export is ready again: please retry.",
        "confidence": 0.7,
    }
    AutoAnswerPolicy.objects.filter(category=None).update(active=False)
    ticket = TicketFactory(subject="Export spins forever", body="The export never finishes.")
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server, AgentFactory(), f"/desk/tickets/{ticket.reference}/")

    page.get_by_role("button", name="Suggest a reply").click()
    panel = page.locator("#reply-suggestion")
    expect(panel).to_contain_text("AI draft", timeout=10_000)
    expect(panel).to_contain_text("your export is ready again")
    panel.screenshot(path=shots / "suggestion.png")
    page.screenshot(path=shots / "suggestion-page.png", full_page=True)

    panel.get_by_role("button", name="Insert").click()
    reply_box = page.get_by_role("textbox", name=re.compile("^Reply to"))
    expect(reply_box).to_have_value(re.compile("your export is ready again"))
    row = ReplySuggestion.objects.get()
    for _ in range(50):  # the used-mark is a background POST
        row.refresh_from_db()
        if row.used_at:
            break
        page.wait_for_timeout(100)
    assert row.used_at is not None
    assert row.interaction.outcome == AIInteraction.Outcome.USED
    assert console_errors == [], console_errors
