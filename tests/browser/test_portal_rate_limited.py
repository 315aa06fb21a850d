"""Past the portal's filing limit, in a real browser: the customer's text is all still in the
form, with the reason and when to try again; files must be attached again."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tickets.models import Ticket

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

DESCRIPTION = "Step 1: open reports.\nStep 2: click Export.\nIt spins forever."


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where screenshots go: BROWSER_SCREENSHOTS when set (to look at them), else tmp."""
    return Path(os.environ.get("BROWSER_SCREENSHOTS") or tmp_path)


def fill(page, subject: str) -> None:
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Email address").fill("ada@example.org")
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Description").fill(DESCRIPTION)


def test_the_limited_customer_keeps_what_they_typed(
    live_server, page, console_errors, settings, shots
):
    settings.RATELIMIT_TICKET_CREATE_IP = "1/h"
    page.goto(f"{live_server.url}/portal/")
    fill(page, "First request")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("heading", name="Thanks, we have your request")).to_be_visible()

    page.goto(f"{live_server.url}/portal/")
    fill(page, "Export spins forever")
    page.get_by_label("Attachments").set_input_files(
        files=[{"name": "trace.txt", "mimeType": "text/plain", "buffer": b"trace"}]
    )
    page.get_by_role("button", name="Send request").click()

    alert = page.locator(".portal-rate-limited")
    expect(alert).to_contain_text("Too many attempts: your request was not sent.")
    expect(alert).to_contain_text("try again in 60 minutes")
    expect(alert).to_contain_text("Your files were not kept")
    expect(page.get_by_label("Subject")).to_have_value("Export spins forever")
    expect(page.get_by_label("Description")).to_have_value(DESCRIPTION)
    expect(page.get_by_label("Email address")).to_have_value("ada@example.org")
    page.screenshot(path=shots / "portal-rate-limited.png", full_page=True)
    assert Ticket.objects.count() == 1
    # The 429 shows in the console as a failed resource load; nothing else may.
    assert [error for error in console_errors if "429" not in error] == []
