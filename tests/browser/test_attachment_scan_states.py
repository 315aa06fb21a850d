"""What agents and customers see of files the virus scanner holds back: one file waiting for
the scanner and one quarantined, on the desk ticket page and on the customer's page."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from tests.factories import AgentFactory, CustomerWithAccountFactory, TicketFactory
from tests.tickets.attachment_channels import EICAR, closed_port, require_clamd
from tickets import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_and_customer_see_pending_and_quarantined_files(
    live_server, page, console_errors, settings, tmp_path
):
    settings.CLAMD_ADDRESS = require_clamd()
    agent = AgentFactory(username="riley")
    ticket = TicketFactory(customer=CustomerWithAccountFactory(name="Ada Lovelace"))
    services.ticket_customer_reply(
        ticket=ticket,
        customer=ticket.customer,
        body="The invoice and the export log.",
        files=[SimpleUploadedFile("invoice.txt", EICAR)],
    )
    settings.CLAMD_ADDRESS = f"127.0.0.1:{closed_port()}"  # the scanner goes down
    services.ticket_customer_reply(
        ticket=ticket,
        customer=ticket.customer,
        body="And the log from this morning.",
        files=[SimpleUploadedFile("export-log.txt", b"step 3 failed\n")],
    )

    page.goto(f"{live_server.url}/login/?next=/desk/")
    page.get_by_label("Username or email").fill(agent.username)
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/desk/tickets/{ticket.reference}/")

    quarantined = page.locator(".attachment-quarantined")
    expect(quarantined).to_contain_text("invoice.txt")
    expect(quarantined).to_contain_text("Quarantined: virus found")
    expect(page.locator(".attachment-pending")).to_contain_text("Pending virus scan")
    timeline = page.locator("#ticket-timeline")
    expect(timeline).to_contain_text("quarantined the attachment invoice.txt")
    assert page.locator("a.attachment").count() == 0  # nothing held back is a link
    page.screenshot(path=tmp_path / "desk-scan-states.png", full_page=True)

    page.goto(f"{live_server.url}/portal/t/{ticket.public_id}/")
    expect(page.locator(".attachment-quarantined")).to_contain_text("removed")
    expect(page.locator(".attachment-pending")).to_contain_text("waiting for a virus scan")
    page.screenshot(path=tmp_path / "portal-scan-states.png", full_page=True)
    assert console_errors == []
