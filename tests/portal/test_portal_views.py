"""The customer portal: filing, the confirmation page, the secure link page, replies,
attachment downloads and My tickets."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from common.exceptions import ApplicationError
from knowledge.models import PortalFiling
from tests.factories import CategoryFactory, CustomerWithAccountFactory, TicketFactory, UserFactory
from tickets import hooks
from tickets.models import (
    Attachment,
    Customer,
    Status,
    Ticket,
    TicketEvent,
    TicketMessage,
)
from tickets.services import (
    ticket_add_note,
    ticket_change_team,
    ticket_close,
    ticket_reply,
    ticket_resolve,
    ticket_set_tags,
    ticket_transition,
)
from tickets.services.attachments import store_attachments

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
HOME = "/portal/"


def form_data(**overrides) -> dict:
    data = {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "subject": "Cannot download my invoice",
        "description": "The **download** button does nothing on the billing page.",
    }
    data.update(overrides)
    return data


def upload(name: str = "screenshot.png", size: int = 64) -> SimpleUploadedFile:
    # A PNG must start with the PNG signature: the content is checked as well as the name.
    head = b"\x89PNG\r\n\x1a\n" if name.endswith(".png") else b""
    return SimpleUploadedFile(
        name, head + b"x" * (size - len(head)), content_type="application/octet-stream"
    )


def no_rows_written() -> bool:
    return (
        Ticket.objects.count() == 0
        and Customer.objects.count() == 0
        and TicketMessage.objects.count() == 0
        and Attachment.objects.count() == 0
    )


def ticket_url(ticket: Ticket, suffix: str = "") -> str:
    return f"/portal/t/{ticket.public_id}/{suffix}"


def resolved(ticket: Ticket, agent) -> Ticket:
    ticket_transition(ticket=ticket, to_status=Status.IN_PROGRESS, actor=agent)
    return ticket_resolve(ticket=ticket, actor=agent, resolution="Cleared the stuck export job.")


# The new-ticket form ------------------------------------------------------------------------


def test_home_shows_the_form_with_active_categories_and_upload_limits(client, settings):
    settings.ATTACHMENT_MAX_FILES = 3
    CategoryFactory(slug="billing", name="Billing", prefix="BIL")
    CategoryFactory(slug="legacy", name="Legacy plans", prefix="LEG", active=False)

    response = client.get(HOME)

    assert response.status_code == 200
    content = response.content.decode()
    assert "How can we help?" in content
    assert "Markdown" in content
    assert "Up to 3 files, 10.0\xa0MB each" in content
    assert "PNG" in content and "PDF" in content
    assert "Billing" in content
    assert "Legacy plans" not in content
    assert 'enctype="multipart/form-data"' in content


def test_filing_a_ticket_anonymously_redirects_to_its_confirmation_and_emails_the_link(
    client, category, django_capture_on_commit_callbacks
):
    data = form_data(category=category.pk, attachments=[upload("screenshot.png")])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(HOME, data)

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/portal/submitted/{ticket.public_id}/"
    assert ticket.channel == "web"
    assert ticket.category == category
    assert ticket.reference.startswith("BIL-")
    assert ticket.customer.email == "ada@example.com"
    assert ticket.customer.name == "Ada Lovelace"
    message = ticket.messages.get()
    assert message.author_kind == "customer"
    assert message.attachments.get().filename == "screenshot.png"
    assert list(ticket.events.values_list("kind", flat=True)) == ["created"]

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ada@example.com"]
    assert ticket_url(ticket) in mail.outbox[0].body

    confirmation = client.get(response["Location"])
    assert confirmation.status_code == 200
    assert ticket.reference in confirmation.content.decode()
    assert ticket_url(ticket) in confirmation.content.decode()
    assert Client().get(response["Location"]).status_code == 404


def test_filing_a_ticket_records_a_portal_filing_for_the_deflection_rate(client):
    response = client.post(HOME, form_data())

    assert response.status_code == 302
    filing = PortalFiling.objects.get()
    assert filing.ticket == Ticket.objects.get()
    assert filing.session_key == client.session.session_key


def test_a_refused_ticket_records_no_filing(client):
    def refuse(ctx):
        raise ApplicationError("New tickets are paused for maintenance.")

    hooks.register_before("create", refuse)
    try:
        client.post(HOME, form_data())
    finally:
        hooks.unregister("create", refuse)

    assert PortalFiling.objects.count() == 0


def test_the_subject_asks_for_suggested_articles_while_typing(client):
    content = client.get(HOME).content.decode()

    assert 'hx-get="/portal/suggestions/"' in content
    assert 'hx-trigger="keyup changed delay:400ms, search"' in content
    assert 'id="portal-suggestions"' in content


def test_confirmation_page_is_404_for_a_ticket_not_filed_in_this_session(client, ticket):
    assert client.get(f"/portal/submitted/{ticket.public_id}/").status_code == 404
    assert client.get("/portal/submitted/not-a-real-id/").status_code == 404


def test_filing_with_an_existing_customers_email_reuses_the_customer(client, customer):
    client.post(HOME, form_data(email=customer.email.upper()))

    assert Customer.objects.count() == 1
    assert Ticket.objects.get().customer == customer


@pytest.mark.parametrize(
    ("overrides", "field_message"),
    [
        ({"subject": ""}, "Add a subject"),
        ({"email": "not-an-email"}, "Enter a valid email address"),
        ({"description": "   "}, "Describe the problem"),
        ({"name": ""}, "Tell us your name"),
    ],
)
def test_invalid_submission_is_400_keeps_the_values_and_writes_nothing(
    client, overrides, field_message, django_capture_on_commit_callbacks
):
    data = form_data(**overrides)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(HOME, data)

    assert response.status_code == 400
    content = response.content.decode()
    assert field_message in content
    assert "Please check the form" in content
    for field in ("name", "email", "subject"):
        if data[field]:
            assert f'value="{data[field]}"' in content, field
    if data["description"].strip():
        assert data["description"] in content
    assert no_rows_written()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ([upload("huge.png", size=2048)], "huge.png is larger than"),
        ([upload("report.exe")], "report.exe: this type of file cannot be attached"),
        ([upload("page.html")], "page.html: this type of file cannot be attached"),
        ([upload(f"shot{i}.png") for i in range(3)], "Attach at most 2 files"),
    ],
    ids=["too-large", "refused-type", "html-refused", "too-many"],
)
def test_bad_attachments_are_400_and_save_no_ticket_and_no_customer(
    client, settings, files, expected
):
    settings.ATTACHMENT_MAX_BYTES = 1024
    settings.ATTACHMENT_MAX_FILES = 2

    response = client.post(HOME, form_data(attachments=files))

    assert response.status_code == 400
    content = response.content.decode()
    assert expected in content
    assert "attach them again" in content
    assert 'value="Cannot download my invoice"' in content
    assert "The **download** button does nothing on the billing page." in content
    assert no_rows_written()


def test_a_ticket_refused_by_the_service_rolls_back_the_new_customer(client):
    def refuse(ctx):
        raise ApplicationError("New tickets are paused for maintenance.")

    hooks.register_before("create", refuse)
    try:
        response = client.post(HOME, form_data())
    finally:
        hooks.unregister("create", refuse)

    assert response.status_code == 409
    assert "New tickets are paused for maintenance." in response.content.decode()
    assert no_rows_written()


def test_a_field_error_raised_by_the_service_lands_on_the_form_field(client):
    def reject_subject(ctx):
        raise ValidationError({"body": "That description looks like spam."})

    hooks.register_before("create", reject_subject)
    try:
        response = client.post(HOME, form_data())
    finally:
        hooks.unregister("create", reject_subject)

    assert response.status_code == 400
    assert 'id="id_description_error"' in response.content.decode()
    assert "That description looks like spam." in response.content.decode()
    assert no_rows_written()


# Logged-in customers ------------------------------------------------------------------------


def test_logged_in_customer_files_a_ticket_on_their_own_customer_record(
    client, django_capture_on_commit_callbacks
):
    customer = CustomerWithAccountFactory(name="Grace Hopper")
    client.force_login(customer.user)

    page = client.get(HOME).content.decode()
    assert "Grace Hopper" in page
    assert reverse("portal:my_tickets") in page

    # Name and email are fixed: whatever is posted for them is ignored.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(HOME, form_data(name="Mallory", email="mallory@example.com"))

    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.customer == customer
    assert Customer.objects.count() == 1
    assert mail.outbox[0].to == [customer.email]


def test_my_tickets_lists_only_the_logged_in_customers_tickets(client):
    customer = CustomerWithAccountFactory()
    mine = TicketFactory(customer=customer, subject="Export is slow")
    theirs = TicketFactory(subject="Someone else's invoice")
    client.force_login(customer.user)

    response = client.get("/portal/tickets/")

    assert response.status_code == 200
    content = response.content.decode()
    assert mine.reference in content
    assert "Export is slow" in content
    assert ticket_url(mine) in content
    assert "Received" in content
    assert theirs.reference not in content
    assert "Someone else" not in content


def test_my_tickets_needs_a_login(client):
    response = client.get("/portal/tickets/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_my_tickets_for_an_account_without_customer_record_is_an_empty_state(client, ticket):
    client.force_login(UserFactory())

    response = client.get("/portal/tickets/")

    assert response.status_code == 200
    assert "No tickets linked to this account" in response.content.decode()
    assert ticket.reference not in response.content.decode()


def test_my_tickets_paginates_with_a_constant_number_of_queries(
    client, django_assert_max_num_queries
):
    customer = CustomerWithAccountFactory()
    tickets = [TicketFactory(customer=customer) for _ in range(23)]
    client.force_login(customer.user)

    with django_assert_max_num_queries(6):
        first = client.get("/portal/tickets/")
    with django_assert_max_num_queries(6):
        second = client.get("/portal/tickets/?page=2", **HTMX)

    assert "Page 1 of 2" in first.content.decode()
    assert tickets[-1].reference in first.content.decode()
    assert tickets[0].reference not in first.content.decode()
    # The HTMX request gets the list region only.
    assert "<html" not in second.content.decode()
    assert 'id="ticket-list"' in second.content.decode()
    assert tickets[0].reference in second.content.decode()


# The secure link page -----------------------------------------------------------------------


def test_ticket_page_shows_public_messages_and_never_internal_notes_or_fields(
    client, ticket, agent, team
):
    ticket_reply(ticket=ticket, actor=agent, body="Could you send a screenshot?")
    ticket_add_note(ticket=ticket, actor=agent, body="SECRET-NOTE customer is on a legacy plan")
    ticket_set_tags(ticket=ticket, tags=["vip-secret-tag"], actor=agent)
    ticket_change_team(ticket=ticket, team=team, actor=agent)

    response = client.get(ticket_url(ticket))

    assert response.status_code == 200
    content = response.content.decode()
    assert ticket.reference in content
    assert ticket.subject in content
    assert "The export button spins forever." in content
    assert "Could you send a screenshot?" in content
    assert agent.agent_profile.display_name in content
    assert "In progress" in content
    assert "SECRET-NOTE" not in content
    assert "vip-secret-tag" not in content
    assert team.name not in content
    assert response["Cache-Control"].startswith("max-age=0")


def test_ticket_page_queries_do_not_grow_with_the_conversation(
    client, ticket, agent, other_agent, django_assert_max_num_queries
):
    for number in range(6):
        ticket_reply(
            ticket=ticket,
            actor=agent if number % 2 else other_agent,
            body=f"Update {number}",
            files=[upload(f"step{number}.png")],
        )

    with django_assert_max_num_queries(6):
        response = client.get(ticket_url(ticket))

    assert "Update 5" in response.content.decode()
    assert "step5.png" in response.content.decode()


def test_ticket_page_is_404_for_an_unknown_id(client, ticket):
    assert client.get("/portal/t/nope/").status_code == 404
    assert client.get(f"/portal/t/{ticket.public_id[:-1]}/").status_code == 404


def test_ticket_page_shows_the_resolution_of_a_resolved_ticket(client, ticket, agent):
    resolved(ticket, agent)

    content = client.get(ticket_url(ticket)).content.decode()

    assert "Cleared the stuck export job." in content
    assert "Resolved" in content
    assert "reopens it" in content


def test_closed_ticket_page_has_no_reply_form(client, ticket, agent):
    ticket_close(ticket=resolved(ticket, agent), actor=agent)

    content = client.get(ticket_url(ticket)).content.decode()

    assert "This ticket is closed" in content
    assert ticket_url(ticket, "reply/") not in content


def test_htmx_get_of_the_ticket_page_returns_the_conversation_partial(client, ticket):
    response = client.get(ticket_url(ticket), **HTMX)

    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert 'id="conversation"' in content


# Attachments --------------------------------------------------------------------------------


def test_attachment_on_a_public_message_downloads_as_a_file(client, customer):
    ticket = TicketFactory(customer=customer, files=[upload("log.txt", size=12)])
    attachment = ticket.attachments.get()

    page = client.get(ticket_url(ticket)).content.decode()
    url = ticket_url(ticket, f"attachments/{attachment.pk}/")
    assert url in page

    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert "log.txt" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"].startswith("text/plain")
    assert b"".join(response.streaming_content) == b"x" * 12


def test_attachment_of_an_internal_note_or_another_ticket_is_404(client, ticket, agent):
    note = ticket_add_note(ticket=ticket, actor=agent, body="Internal log attached")
    [internal] = store_attachments(message=note, files=[upload("internal.txt")])
    other = TicketFactory(files=[upload("other.txt")])
    foreign = other.attachments.get()

    assert client.get(ticket_url(ticket, f"attachments/{internal.pk}/")).status_code == 404
    assert client.get(ticket_url(ticket, f"attachments/{foreign.pk}/")).status_code == 404
    assert "internal.txt" not in client.get(ticket_url(ticket)).content.decode()


# Replies ------------------------------------------------------------------------------------


def test_plain_reply_redirects_back_with_a_message(client, ticket):
    response = client.post(
        ticket_url(ticket, "reply/"),
        {"body": "Here is the screenshot.", "attachments": [upload("shot.png")]},
    )

    assert response.status_code == 302
    assert response["Location"] == ticket_url(ticket)
    reply = ticket.messages.get(body="Here is the screenshot.")
    assert reply.author_kind == "customer"
    assert reply.attachments.get().filename == "shot.png"
    assert ticket.events.filter(kind=TicketEvent.Kind.CUSTOMER_REPLIED).count() == 1

    page = client.get(response["Location"]).content.decode()
    assert "Your reply was sent." in page
    assert "Here is the screenshot." in page


def test_htmx_reply_returns_the_refreshed_conversation(client, ticket):
    response = client.post(ticket_url(ticket, "reply/"), {"body": "Any news?"}, **HTMX)

    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content
    assert 'id="conversation"' in content
    assert "Any news?" in content
    assert "Your reply was sent." in content
    assert "ticket-changed" in response["HX-Trigger"]
    assert ticket.messages.filter(body="Any news?").exists()


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_empty_reply_is_400_and_saves_nothing(client, ticket, headers):
    response = client.post(ticket_url(ticket, "reply/"), {"body": "  "}, **headers)

    assert response.status_code == 400
    assert "Write a message before sending." in response.content.decode()
    assert ticket.messages.count() == 1


def test_reply_with_a_refused_file_is_400_and_keeps_the_text(client, ticket):
    response = client.post(
        ticket_url(ticket, "reply/"),
        {"body": "See the attached program.", "attachments": [upload("tool.exe")]},
    )

    assert response.status_code == 400
    content = response.content.decode()
    assert "See the attached program." in content
    assert "tool.exe: this type of file cannot be attached" in content
    assert "attach them again" in content
    assert ticket.messages.count() == 1


def test_reply_on_a_resolved_ticket_reopens_it(client, ticket, agent):
    resolved(ticket, agent)

    response = client.post(ticket_url(ticket, "reply/"), {"body": "Still broken."}, **HTMX)

    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    event = ticket.events.filter(kind=TicketEvent.Kind.STATUS_CHANGED).last()
    assert (event.from_value, event.to_value) == (Status.RESOLVED, Status.IN_PROGRESS)
    assert "open again" in response.content.decode()


def test_reply_on_a_closed_ticket_is_409_and_saves_nothing(client, ticket, agent):
    ticket_close(ticket=resolved(ticket, agent), actor=agent)
    messages_before = ticket.messages.count()

    for headers in ({}, HTMX):
        response = client.post(ticket_url(ticket, "reply/"), {"body": "Hello?"}, **headers)
        assert response.status_code == 409
        assert "is closed" in response.content.decode()

    assert ticket.messages.count() == messages_before


def test_reply_to_an_unknown_ticket_is_404(client):
    assert client.post("/portal/t/nope/reply/", {"body": "Hi"}).status_code == 404
