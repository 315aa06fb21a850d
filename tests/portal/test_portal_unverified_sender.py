"""Filing signed out under the address of a customer with an account: the filer must prove the
address before seeing anything. The confirmation page has no link (nor the public id in its
URL), the secure link goes by email only, the desk and the agent API mark the ticket
"unverified sender", it stays out of the real customer's "My tickets", and the mark comes off
(one `sender_verified` event) when the customer replies by the emailed link, replies to our
email, or opens the ticket signed in."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from mail.services import inbound_email_receive
from tests.factories import AgentFactory, CustomerFactory, CustomerWithAccountFactory
from tests.mail.conftest import build_email
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_reply

pytestmark = pytest.mark.django_db

HOME = "/portal/"
SECRET_REPLY = "Your invoice address is 12 Baker Street."


def form_data(**overrides) -> dict:
    data = {
        "name": "Mallory",
        "email": "mallory@example.net",
        "subject": "Please send me my invoices",
        "description": "I lost them, send everything you have on my account.",
    }
    data.update(overrides)
    return data


@pytest.fixture
def registered(db):
    return CustomerWithAccountFactory(email="grace@example.org", name="Grace Hopper")


def file_signed_out(client: Client, email: str, capture) -> tuple[Ticket, object]:
    with capture(execute=True):
        response = client.post(HOME, form_data(email=email))
    assert response.status_code == 302
    return Ticket.objects.latest("pk"), response


def secure_path_from(message) -> str:
    return re.search(r"/portal/t/[\w-]+/", message.body).group(0)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def verified_events(ticket: Ticket) -> list[TicketEvent]:
    return list(ticket.events.filter(kind=TicketEvent.Kind.SENDER_VERIFIED))


# The confirmation page ----------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["grace@example.org", "GRACE@Example.ORG", " Grace@example.org"])
def test_signed_out_filing_under_a_registered_address_shows_no_link_to_the_ticket(
    client, registered, typed, django_capture_on_commit_callbacks
):
    ticket, response = file_signed_out(client, typed, django_capture_on_commit_callbacks)

    assert ticket.customer == registered
    assert ticket.sender_unverified is True
    # Not even the redirect names the public id: the filer never learns the link.
    assert ticket.public_id not in response["Location"]
    assert response["Location"] == f"/portal/submitted/check-email/{ticket.reference}/"
    page = client.get(response["Location"])
    content = page.content.decode()
    assert page.status_code == 200
    assert ticket.reference in content
    assert "Check your email" in content
    assert ticket.public_id not in content
    assert "/portal/t/" not in content
    assert "View your ticket" not in content
    assert "no-store" in page["Cache-Control"]
    # The link went to the registered address only, saying what happened.
    [message] = mail.outbox
    assert message.to == [registered.email]
    assert f"/portal/t/{ticket.public_id}/" in message.body
    assert "someone who was not signed in" in message.body


def test_the_confirmation_never_shows_agent_replies_and_is_only_for_the_filing_session(
    client, registered, django_capture_on_commit_callbacks
):
    ticket, response = file_signed_out(client, registered.email, django_capture_on_commit_callbacks)
    ticket_reply(ticket=ticket, actor=AgentFactory(), body=SECRET_REPLY)

    assert SECRET_REPLY not in client.get(response["Location"]).content.decode()
    assert Client().get(response["Location"]).status_code == 404
    # The public-id confirmation URL does not open for it either.
    assert client.get(f"/portal/submitted/{ticket.public_id}/").status_code == 404


def test_a_new_address_keeps_the_link_on_the_confirmation_page(
    client, django_capture_on_commit_callbacks
):
    ticket, response = file_signed_out(
        client, "new@example.org", django_capture_on_commit_callbacks
    )

    assert ticket.sender_unverified is False
    assert response["Location"] == f"/portal/submitted/{ticket.public_id}/"
    content = client.get(response["Location"]).content.decode()
    assert f"/portal/t/{ticket.public_id}/" in content
    assert "View your ticket" in content
    assert "someone who was not signed in" not in mail.outbox[0].body


def test_a_known_address_without_an_account_keeps_the_link(
    client, django_capture_on_commit_callbacks
):
    # A customer without an account follows each request by its own emailed link, and has
    # no "My tickets" to plant a ticket in: filing under that address works as before.
    customer = CustomerFactory(email="walkin@example.org")

    ticket, response = file_signed_out(
        client, "Walkin@example.org", django_capture_on_commit_callbacks
    )

    assert ticket.customer == customer
    assert ticket.sender_unverified is False
    assert response["Location"] == f"/portal/submitted/{ticket.public_id}/"


def test_the_customer_signed_in_files_a_verified_ticket_with_its_link(
    registered, django_capture_on_commit_callbacks
):
    client = signed_in(registered.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(HOME, form_data())

    ticket = Ticket.objects.get()
    assert ticket.customer == registered
    assert ticket.sender_unverified is False
    assert response["Location"] == f"/portal/submitted/{ticket.public_id}/"


def test_someone_else_signed_in_is_no_proof_of_the_address(
    registered, django_capture_on_commit_callbacks
):
    other = CustomerWithAccountFactory(email="other@example.org")

    # An account without a customer record types the address in the form.
    client = signed_in(AgentFactory())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(HOME, form_data(email=registered.email))

    ticket = Ticket.objects.get()
    assert (ticket.customer, ticket.sender_unverified) == (registered, True)
    assert ticket.public_id not in response["Location"]
    # Opening the link signed in as another customer does not verify it.
    signed_in(other.user).get(f"/portal/t/{ticket.public_id}/")
    ticket.refresh_from_db()
    assert ticket.sender_unverified is True


# My tickets ---------------------------------------------------------------------------------


def test_an_unverified_ticket_stays_out_of_the_customers_my_tickets_until_verified(
    client, registered, django_capture_on_commit_callbacks
):
    ticket, _ = file_signed_out(client, registered.email, django_capture_on_commit_callbacks)
    owner = signed_in(registered.user)

    assert ticket.subject not in owner.get("/portal/tickets/").content.decode()
    api = APIClient()
    api.force_authenticate(registered.user)
    assert api.get("/api/v1/tickets").json()["results"] == []

    # The owner opens the emailed link while signed in: now it is theirs.
    owner.get(secure_path_from(mail.outbox[0]))

    assert ticket.subject in owner.get("/portal/tickets/").content.decode()
    assert [row["reference"] for row in api.get("/api/v1/tickets").json()["results"]] == [
        ticket.reference
    ]


# Verification -------------------------------------------------------------------------------


def test_replying_by_the_emailed_link_verifies_the_sender_with_one_event(
    client, registered, django_capture_on_commit_callbacks
):
    ticket, _ = file_signed_out(client, registered.email, django_capture_on_commit_callbacks)
    link = secure_path_from(mail.outbox[0])
    reader = Client()  # the customer, signed out, from their mailbox

    # Opening the link signed out verifies nothing (a mail scanner opens links too), and
    # the page tells the reader what happened.
    page = reader.get(link).content.decode()
    assert "someone who was not signed in" in page
    ticket.refresh_from_db()
    assert ticket.sender_unverified is True

    with django_capture_on_commit_callbacks(execute=True):
        response = reader.post(link + "reply/", {"body": "Yes, that was me."})
    assert response.status_code == 302

    ticket.refresh_from_db()
    assert ticket.sender_unverified is False
    [event] = verified_events(ticket)
    assert event.data == {"via": "reply"}
    assert event.actor == registered.user

    # A second reply changes nothing more.
    reader.post(link + "reply/", {"body": "And one more thing."})
    assert len(verified_events(ticket)) == 1
    assert "someone who was not signed in" not in reader.get(link).content.decode()


def test_opening_the_ticket_signed_in_verifies_the_sender(
    client, registered, django_capture_on_commit_callbacks
):
    ticket, _ = file_signed_out(client, registered.email, django_capture_on_commit_callbacks)
    link = secure_path_from(mail.outbox[0])

    assert signed_in(registered.user).get(link).status_code == 200
    signed_in(registered.user).get(link)

    ticket.refresh_from_db()
    assert ticket.sender_unverified is False
    [event] = verified_events(ticket)
    assert event.data == {"via": "signed_in"}
    assert event.actor == registered.user


def test_a_reply_to_our_email_verifies_but_a_typed_reference_does_not(
    client, registered, django_capture_on_commit_callbacks
):
    ticket, _ = file_signed_out(client, registered.email, django_capture_on_commit_callbacks)
    [confirmation] = mail.outbox

    # Anyone can put the reference in a subject (and forge a From).
    with django_capture_on_commit_callbacks(execute=True):
        tagged = build_email(sender=registered.email, subject=f"Re: [{ticket.reference}]")
        assert inbound_email_receive(raw=tagged, source="webhook").inbound.ticket == ticket
    ticket.refresh_from_db()
    assert ticket.sender_unverified is True

    # A reply threaded under our confirmation email comes from the mailbox it went to.
    with django_capture_on_commit_callbacks(execute=True):
        reply = build_email(
            sender=registered.email.upper(),
            subject=f"Re: {confirmation.subject}",
            in_reply_to=confirmation.extra_headers["Message-ID"],
        )
        assert inbound_email_receive(raw=reply, source="webhook").inbound.ticket == ticket
    ticket.refresh_from_db()
    assert ticket.sender_unverified is False
    [event] = verified_events(ticket)
    assert event.data == {"via": "reply"}


# The desk -----------------------------------------------------------------------------------


def test_the_desk_marks_the_ticket_and_its_queue_row_until_verified(
    client, registered, django_capture_on_commit_callbacks
):
    ticket, _ = file_signed_out(client, registered.email, django_capture_on_commit_callbacks)
    desk = signed_in(AgentFactory())

    page = desk.get(reverse("desk:ticket", args=[ticket.reference])).content.decode()
    assert 'class="badge unverified-sender"' in page
    assert "Unverified sender" in page
    queue = desk.get(reverse("desk:queue")).content.decode()
    row = re.search(rf'<tr [^>]*data-ref="{ticket.reference}".*?</tr>', queue, re.S).group(0)
    assert "Unverified sender" in row

    signed_in(registered.user).get(secure_path_from(mail.outbox[0]))

    page = desk.get(reverse("desk:ticket", args=[ticket.reference])).content.decode()
    assert "Unverified sender" not in page
    assert "confirmed the email address" in page
    assert "Unverified sender" not in desk.get(reverse("desk:queue")).content.decode()


def test_the_agent_api_says_whether_the_sender_is_verified(
    client, registered, django_capture_on_commit_callbacks
):
    ticket, _ = file_signed_out(client, registered.email, django_capture_on_commit_callbacks)
    api = APIClient()
    api.force_authenticate(AgentFactory())

    assert api.get(f"/api/v1/agent/tickets/{ticket.reference}").json()["sender_unverified"]
    [row] = api.get("/api/v1/agent/tickets").json()["results"]
    assert row["sender_unverified"] is True
