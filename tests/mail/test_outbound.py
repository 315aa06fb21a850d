"""Outgoing email: threading headers, the reply address, Auto-Submitted, stable Message-IDs
across retries, and a backend that fails then succeeds without losing anything."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from mail.identifiers import parse_root_message_id, reply_address, ticket_root_message_id
from tests.factories import TicketFactory
from tests.mail.backends import FlakyBackend
from tests.mail.conftest import build_email
from tickets.models import Notification
from tickets.notifications import notify
from tickets.services import ticket_reply
from tickets.tasks import deliver_notification, retry_unsent_notifications


@pytest.fixture
def web_ticket(customer, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        return TicketFactory(customer=customer)


def test_the_confirmation_carries_our_message_id_root_and_reply_address(web_ticket, mailoutbox):
    [email] = mailoutbox
    notification = Notification.objects.get(ticket=web_ticket)
    headers = email.extra_headers
    root = ticket_root_message_id(web_ticket)

    assert headers["Message-ID"] == notification.email_message_id
    assert headers["Message-ID"].endswith("@example.com>")
    assert headers["In-Reply-To"] == root
    assert headers["References"] == root
    assert headers["Auto-Submitted"] == "auto-replied"
    assert headers["X-Auto-Response-Suppress"] == "All"
    assert headers["X-Helpdesk-Ticket"] == web_ticket.reference
    assert email.reply_to == [f"support+{web_ticket.reference}@example.com"]
    # The headers really go out on the wire.
    raw = email.message().as_string()
    assert f"Message-ID: {notification.email_message_id}" in raw
    assert f"Reply-To: support+{web_ticket.reference}@example.com" in raw
    assert "Or simply reply to this email" in email.body


def test_the_root_id_is_stable_and_never_reveals_the_public_id(web_ticket):
    root = ticket_root_message_id(web_ticket)

    assert root == ticket_root_message_id(web_ticket)
    assert web_ticket.public_id not in root
    assert root.startswith(f"<ticket.{web_ticket.reference}.")
    assert parse_root_message_id(root)[0] == web_ticket.reference


def test_every_email_has_its_own_message_id_and_all_share_the_root(
    web_ticket, agent, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=web_ticket, actor=agent, body="First answer.")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=web_ticket, actor=agent, body="Second answer.")

    ids = [email.extra_headers["Message-ID"] for email in mailoutbox]
    assert len(ids) == 3 and len(set(ids)) == 3
    assert {email.extra_headers["References"] for email in mailoutbox} == {
        ticket_root_message_id(web_ticket)
    }
    # Agent replies are written by a person: no Auto-Submitted.
    assert all("Auto-Submitted" not in email.extra_headers for email in mailoutbox[1:])


def test_agent_emails_thread_but_do_not_get_the_customer_reply_address(
    web_ticket, agent, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            kind="escalation",
            recipients=[agent],
            ticket=web_ticket,
            template="agent_notice",
            context={"headline": "Escalated", "text": "Look"},
        )
    email = mailoutbox[-1]
    assert email.to == [agent.email]
    assert email.reply_to == []
    assert email.extra_headers["References"] == ticket_root_message_id(web_ticket)
    assert email.extra_headers["Auto-Submitted"] == "auto-generated"


def test_reply_address_keeps_the_base_address_and_uses_the_default_sender(settings):
    settings.SUPPORT_REPLY_ADDRESS = ""
    settings.DEFAULT_FROM_EMAIL = "Help Desk <help@example.net>"
    assert reply_address("TKT-00042") == "help+TKT-00042@example.net"
    settings.SUPPORT_REPLY_ADDRESS = "support+inbox@example.com"
    assert reply_address("TKT-00042") == "support+TKT-00042@example.com"


def test_a_failed_send_keeps_the_ticket_and_the_retry_sends_the_same_message_id(
    settings, customer, django_capture_on_commit_callbacks, db
):
    """A flaky SMTP backend: the email that failed stays queued (unsent, with the error),
    what triggered it is kept, and the retry job sends it with its original Message-ID."""
    settings.MAILERS = {"default": {"BACKEND": "tests.mail.backends.FlakyBackend"}}
    mail.outbox = []
    FlakyBackend.failures_left = 1
    from mail.services import inbound_email_receive

    # Tests run tasks inline, so the failed delivery task raises here; the worker would
    # record it and retry. The message and the ticket were committed before it ran.
    with (
        pytest.raises(ConnectionRefusedError),
        django_capture_on_commit_callbacks(execute=True),
    ):
        received = inbound_email_receive(raw=build_email(), source="webhook")

    ticket = received.inbound.ticket
    assert ticket is not None and received.inbound.status == "processed"
    notification = Notification.objects.get(ticket=ticket)
    assert notification.sent_at is None
    assert notification.attempts == 1
    assert "refused" in notification.last_error
    assert mail.outbox == []
    message_id = notification.email_message_id

    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        assert retry_unsent_notifications() == 1

    notification.refresh_from_db()
    assert notification.sent_at is not None and notification.last_error == ""
    assert notification.attempts == 2
    [email] = mail.outbox
    assert email.extra_headers["Message-ID"] == message_id
    assert deliver_notification(notification.pk) is False
    assert len(mail.outbox) == 1


def test_a_notification_recorded_before_message_ids_gets_one_kept_for_retries(
    web_ticket, mailoutbox
):
    notification = Notification.objects.get(ticket=web_ticket)
    Notification.objects.filter(pk=notification.pk).update(email_message_id="", sent_at=None)
    mailoutbox.clear()

    assert deliver_notification(notification.pk) is True
    notification.refresh_from_db()
    assert notification.email_message_id.startswith("<n.")
    assert mailoutbox[0].extra_headers["Message-ID"] == notification.email_message_id
