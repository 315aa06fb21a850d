import pytest
from django.core.mail import EmailMultiAlternatives

from tests.factories import TicketFactory
from tickets.models import CustomerNotification
from tickets.notifications import notification_queue, notification_send, ticket_link
from tickets.services import ticket_add_note, ticket_reply
from tickets.tasks import send_customer_notification


@pytest.fixture
def notification(ticket):
    return CustomerNotification.objects.create(
        ticket=ticket,
        kind=CustomerNotification.Kind.TICKET_CREATED,
        recipient=ticket.customer.email,
    )


def test_filing_a_ticket_sends_the_customer_one_confirmation(
    customer, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = TicketFactory(customer=customer)

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == [customer.email]
    assert email.subject.startswith(f"[{ticket.reference}]")
    assert ticket_link(ticket) in email.body
    assert ticket.public_id in ticket_link(ticket)
    notification = CustomerNotification.objects.get(ticket=ticket)
    assert notification.kind == CustomerNotification.Kind.TICKET_CREATED
    assert notification.sent_at is not None
    assert notification.attempts == 1


def test_an_agent_reply_emails_the_customer_and_an_internal_note_does_not(
    ticket, agent, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket_add_note(ticket=ticket, actor=agent, body="Checked the logs.")
    assert mailoutbox == []

    with django_capture_on_commit_callbacks(execute=True):
        message = ticket_reply(ticket=ticket, actor=agent, body="We are on it.")

    assert len(mailoutbox) == 1
    assert "We are on it." in mailoutbox[0].body
    notification = CustomerNotification.objects.get(ticket=ticket)
    assert notification.kind == CustomerNotification.Kind.AGENT_REPLIED
    assert notification.message == message


def test_queueing_the_same_reply_notification_twice_records_it_once(ticket, mailoutbox):
    message = ticket.messages.get()
    kind = CustomerNotification.Kind.AGENT_REPLIED

    first = notification_queue(ticket=ticket, kind=kind, message=message)
    second = notification_queue(ticket=ticket, kind=kind, message=message)

    assert first is not None
    assert second is None
    assert CustomerNotification.objects.filter(ticket=ticket).count() == 1


def test_queueing_the_same_confirmation_twice_records_it_once(ticket, mailoutbox):
    kind = CustomerNotification.Kind.TICKET_CREATED

    notification_queue(ticket=ticket, kind=kind)
    second = notification_queue(ticket=ticket, kind=kind)

    assert second is None
    assert CustomerNotification.objects.filter(ticket=ticket).count() == 1


def test_sending_twice_sends_once(notification, mailoutbox):
    assert notification_send(notification=notification) is True
    assert notification_send(notification=notification) is False
    assert send_customer_notification(notification.pk) is False

    assert len(mailoutbox) == 1
    notification.refresh_from_db()
    assert notification.attempts == 1


def test_a_failed_send_is_recorded_and_a_later_attempt_succeeds(
    notification, mailoutbox, monkeypatch
):
    def smtp_down(self, *args, **kwargs):
        raise ConnectionRefusedError("SMTP server refused the connection")

    with monkeypatch.context() as patched:
        patched.setattr(EmailMultiAlternatives, "send", smtp_down)
        with pytest.raises(ConnectionRefusedError):
            send_customer_notification(notification.pk)

    notification.refresh_from_db()
    assert notification.sent_at is None
    assert notification.attempts == 1
    assert "refused" in notification.last_error

    assert send_customer_notification(notification.pk) is True
    notification.refresh_from_db()
    assert notification.sent_at is not None
    assert notification.attempts == 2
    assert notification.last_error == ""
    assert len(mailoutbox) == 1


def test_the_send_task_does_nothing_for_a_notification_that_is_gone(db, mailoutbox):
    assert send_customer_notification(999_999) is False
    assert mailoutbox == []
