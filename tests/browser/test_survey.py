"""The satisfaction survey in a real browser: the customer opens the emailed link, rates 2 with a
comment and sees the thanks; the agent then finds the internal note on the desk ticket page and
follows the customer's organization to its health page. All under the nonce CSP."""

import os
import re
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import AgentFactory, CustomerFactory, OrganizationFactory, TeamFactory
from tickets.models import Notification, SatisfactionSurvey
from tickets.services import ticket_change_team, ticket_resolve, ticket_transition
from tickets.services.creation import ticket_create
from tickets.tasks import send_due_surveys

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

SCREENSHOTS = os.environ.get("SURVEY_SCREENSHOT_DIR", "")


def shot(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, name), full_page=True)


def test_customer_rates_2_and_the_desk_shows_the_note(live_server, page, console_errors):
    agent = AgentFactory(username="riley")
    lead = AgentFactory(username="morgan", agent_profile__seniority="team_lead")
    team = TeamFactory(name="Billing", lead=lead)
    org = OrganizationFactory(name="Northwind Traders", plan_tier="scale")
    customer = CustomerFactory(name="Ada North", organization=org)
    ticket = ticket_create(customer=customer, subject="Invoice shows the wrong VAT", body="Hi")
    ticket_change_team(ticket=ticket, team=team, actor=agent)
    ticket_transition(ticket=ticket, to_status="in_progress", actor=agent)
    ticket_resolve(ticket=ticket, actor=agent, resolution="Corrected the VAT rate.")

    # The resolve's after-hook recorded the survey; the send job emails it once it is due.
    survey = SatisfactionSurvey.objects.get(ticket=ticket)
    SatisfactionSurvey.objects.filter(pk=survey.pk).update(due_at=timezone.now())
    assert send_due_surveys() == 1
    link = Notification.objects.get(kind="survey", channel="email").link
    path = urlsplit(link).path

    page.goto(f"{live_server.url}{path}")
    expect(page.get_by_role("heading", name="How did we do?")).to_be_visible()
    expect(page.get_by_text("Invoice shows the wrong VAT")).to_be_visible()
    page.get_by_label("2 Dissatisfied").check()
    page.get_by_label("Anything you would like to tell us?").fill(
        "It took three emails to get the invoice fixed."
    )
    shot(page, "h2-survey-form.png")
    page.get_by_role("button", name="Send my rating").click()
    expect(page.get_by_role("heading", name="Thank you for your feedback")).to_be_visible()
    expect(page.get_by_text("2 out of 5")).to_be_visible()
    shot(page, "h2-survey-thanks.png")

    # The same link again: already answered, nothing to submit.
    page.goto(f"{live_server.url}{path}")
    expect(page.get_by_role("heading", name="This survey was already answered")).to_be_visible()
    expect(page.get_by_role("button", name="Send my rating")).to_have_count(0)

    page.goto(f"{live_server.url}/login/?next=/desk/tickets/{ticket.reference}/")
    page.get_by_label("Username or email").fill("riley")
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(rf"/desk/tickets/{ticket.reference}/"))
    note = page.locator(".message-internal").filter(has_text="Low satisfaction rating")
    expect(note).to_be_visible()
    expect(note).to_contain_text("It took three emails to get the invoice fixed.")
    shot(page, "h2-desk-ticket.png")

    page.get_by_role("link", name="Northwind Traders").click()
    expect(page.get_by_role("heading", name="Northwind Traders", level=1)).to_be_visible()
    expect(page.locator(".org-stat").filter(has_text="CSAT")).to_contain_text("0 %")
    expect(page.get_by_role("cell", name="Invoice shows the wrong VAT")).to_be_visible()
    shot(page, "h2-organization.png")

    survey.refresh_from_db()
    assert survey.rating == 2
    assert Notification.objects.filter(kind="low_rating", recipient_user=lead).exists()
    assert console_errors == []
