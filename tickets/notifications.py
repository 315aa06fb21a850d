"""Customer emails about their tickets: queued by after-hooks, sent by a django-q2 task.

The notification row is created first (unique per ticket, kind and message), then the task
sends it once and stamps `sent_at`; a failed send keeps the row for the retry.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_q.tasks import async_task

from tickets.hooks import HookContext
from tickets.models import CustomerNotification, Ticket

logger = logging.getLogger(__name__)


def ticket_link(ticket: Ticket) -> str:
    return settings.SITE_URL + reverse("portal:ticket", args=[ticket.public_id])


def notification_queue(*, ticket: Ticket, kind: str, message=None) -> CustomerNotification | None:
    """Record the email and queue its delivery. Idempotent: a second call queues nothing."""
    try:
        with transaction.atomic():
            notification = CustomerNotification.objects.create(
                ticket=ticket, kind=kind, message=message, recipient=ticket.customer.email
            )
    except IntegrityError:
        return None
    transaction.on_commit(
        lambda: async_task("tickets.tasks.send_customer_notification", notification.pk)
    )
    return notification


def on_ticket_created(ctx: HookContext) -> None:
    notification_queue(ticket=ctx.ticket, kind=CustomerNotification.Kind.TICKET_CREATED)


def on_agent_replied(ctx: HookContext) -> None:
    notification_queue(
        ticket=ctx.ticket, kind=CustomerNotification.Kind.AGENT_REPLIED, message=ctx.message
    )


def _build_email(notification: CustomerNotification) -> EmailMultiAlternatives:
    ticket = notification.ticket
    context = {
        "ticket": ticket,
        "customer": ticket.customer,
        "message": notification.message,
        "link": ticket_link(ticket),
    }
    template = f"emails/{notification.kind}"
    subject = render_to_string(f"{template}_subject.txt", context).strip()
    email = EmailMultiAlternatives(
        subject=f"[{ticket.reference}] {subject}",
        body=render_to_string(f"{template}.txt", context),
        to=[notification.recipient],
    )
    email.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return email


def notification_send(*, notification: CustomerNotification) -> bool:
    """Send one customer email unless it was already sent. Returns whether it sent now.

    The row stays locked while sending, so two deliveries of the same task cannot both send.
    A failure is recorded on the row (attempts, last_error) and re-raised for the task queue.
    """
    failure = None
    with transaction.atomic():
        notification = CustomerNotification.objects.select_for_update().get(pk=notification.pk)
        if notification.sent_at is not None:
            return False
        notification.attempts += 1
        try:
            _build_email(notification).send()
        except Exception as exc:  # noqa: BLE001 - any transport error is recorded and re-raised
            failure = exc
            notification.last_error = str(exc)[:1000]
            notification.save(update_fields=["attempts", "last_error"])
        else:
            notification.sent_at = timezone.now()
            notification.last_error = ""
            notification.save(update_fields=["attempts", "last_error", "sent_at"])
    if failure is not None:
        logger.warning("Sending notification %s failed: %s", notification.pk, failure)
        raise failure
    return True
