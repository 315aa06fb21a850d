"""Self-service on the portal form in a real browser: while the customer types the subject a
matching article is suggested; "This answered my question" counts a deflection and files
no ticket."""

import pytest
from playwright.sync_api import expect

from knowledge.models import Deflection
from knowledge.services import article_create
from tickets.models import Ticket

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_customer_finds_an_answer_while_typing_and_files_no_ticket(
    live_server, page, console_errors
):
    article = article_create(
        title="Download an invoice",
        slug="download-invoice",
        summary="Where to find your invoices as PDF.",
        body="Open Billing, then Invoices, and choose Download PDF.",
        published=True,
    )
    article_create(
        title="Invoice draft notes", slug="invoice-draft", body="Internal invoice notes."
    )

    page.goto(f"{live_server.url}/portal/")
    page.get_by_label("Email address").fill("ada@example.org")
    page.get_by_label("Subject").press_sequentially("Cannot download my invoice", delay=20)

    suggestions = page.locator("#portal-suggestions")
    link = suggestions.get_by_role("link", name="Download an invoice")
    expect(link).to_be_visible()
    expect(link).to_have_attribute("target", "_blank")
    expect(suggestions).to_contain_text("Where to find your invoices as PDF.")
    expect(suggestions).not_to_contain_text("Invoice draft notes")

    suggestions.get_by_role("button", name="This answered my question").click()
    expect(page.locator("#portal-suggestions")).to_contain_text(
        "Glad that helped — no ticket needed. Still stuck? Send the form anyway."
    )

    deflection = Deflection.objects.get()
    assert deflection.article == article
    assert deflection.query == "Cannot download my invoice"
    assert deflection.email == "ada@example.org"
    assert Ticket.objects.count() == 0
    # The form is still there for whoever is still stuck.
    expect(page.get_by_role("button", name="Send request")).to_be_visible()
    assert console_errors == []
