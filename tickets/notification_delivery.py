"""Delivering recorded notifications: email and the manager webhook.

`notification_deliver()` sends one notification at most once: it locks the row, returns
early when `sent_at` is set, and records each attempt (`attempts`, `last_error`). The
scheduled `retry_unsent_notifications` re-queues what is still unsent.

Emails carry threading headers (`email_threading`): a Message-ID of their own, fixed when the
row is recorded so retries resend the same one, In-Reply-To/References to the ticket's root id
and the customer's own emails, and for customers a support+REF@… Reply-To, so answers thread
in the mail client and route back to the ticket (docs/email.md).
"""

import json
import logging
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from mail.identifiers import new_message_id, reply_address, ticket_root_message_id
from tickets.models import Notification, Ticket
from tickets.notifications import webhook_signature

logger = logging.getLogger(__name__)

Channel = Notification.Channel


WEBHOOK_TIMEOUT_SECONDS = 5


class DeliveryError(Exception):
    """A delivery that did not go through; the message is stored as `last_error`."""


# Emails a person wrote (an agent's reply): no Auto-Submitted header, so the customer's mail
# client treats them as normal mail. Every other email is automatic (RFC 3834).
HUMAN_KINDS = {"agent_replied"}
# Automatic answers to a customer's message; any other automatic email is "auto-generated".
AUTO_REPLY_KINDS = {"ticket_created"}


def _inbound_thread_ids(ticket: Ticket) -> list[str]:
    """The Message-IDs of the customer's first and latest emails filed on the ticket, so our
    emails thread under theirs in the customer's mail client."""
    from mail.models import InboundEmail

    inbound = InboundEmail.objects.filter(
        ticket=ticket, status=InboundEmail.Status.PROCESSED
    ).order_by("received_at", "pk")
    first = inbound.values_list("message_id", flat=True).first()
    last = inbound.values_list("message_id", flat=True).last()
    return [item for item in dict.fromkeys([first, last]) if item]


def email_threading(notification: Notification) -> tuple[dict[str, str], list[str]]:
    """The headers and Reply-To of one email (docs/email.md).

    Message-ID: the notification's own. On a ticket: In-Reply-To the customer's latest email
    (else the ticket's root id) and References the root id plus the customer's first and
    latest emails, so Gmail and Outlook keep the ticket in one thread; customer emails reply
    to support+REF@…, which routes the answer back to the ticket even when a mail client
    drops the threading headers.
    """
    headers = {
        "Message-ID": notification.email_message_id,
        # Ask Exchange/Outlook not to send out-of-office and other auto-replies to us.
        "X-Auto-Response-Suppress": "All",
    }
    if notification.kind not in HUMAN_KINDS:
        headers["Auto-Submitted"] = (
            "auto-replied" if notification.kind in AUTO_REPLY_KINDS else "auto-generated"
        )
    reply_to: list[str] = []
    ticket = notification.ticket
    if ticket is not None:
        root = ticket_root_message_id(ticket)
        customer_facing = notification.recipient_email.lower() == ticket.customer.email.lower()
        inbound = _inbound_thread_ids(ticket) if customer_facing else []
        headers["In-Reply-To"] = inbound[-1] if inbound else root
        headers["References"] = " ".join([root, *inbound])
        headers["X-Helpdesk-Ticket"] = ticket.reference
        if customer_facing:
            address = reply_address(ticket.reference)
            if address:
                reply_to = [address]
    return headers, reply_to


def _send_email(notification: Notification) -> None:
    if not notification.recipient_email:
        raise DeliveryError("No recipient email address.")
    headers, reply_to = email_threading(notification)
    email = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body_text,
        to=[notification.recipient_email],
        headers=headers,
        reply_to=reply_to,
    )
    if notification.body_html:
        email.attach_alternative(notification.body_html, "text/html")
    email.send()


class NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is a failure: urllib would silently turn the POST into a GET."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def webhook_payload(notification: Notification) -> bytes:
    ticket = notification.ticket
    return json.dumps(
        {
            "kind": notification.kind,
            "subject": notification.subject,
            "text": notification.body_text or notification.subject,
            "link": notification.link,
            "ticket": ticket.reference if ticket is not None else None,
        },
        separators=(",", ":"),
    ).encode()


def _post_webhook(notification: Notification) -> None:
    url = settings.MANAGER_WEBHOOK_URL
    if not url:
        raise DeliveryError("MANAGER_WEBHOOK_URL is not set.")
    if not url.lower().startswith(("http://", "https://")):
        raise DeliveryError("MANAGER_WEBHOOK_URL must be an http:// or https:// URL.")
    body = webhook_payload(notification)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "helpdesk-webhook",
        "X-Helpdesk-Timestamp": str(int(time.time())),
        "X-Helpdesk-Delivery": str(notification.pk),
    }
    secret = settings.MANAGER_WEBHOOK_SECRET
    if secret:
        headers["X-Helpdesk-Signature"] = webhook_signature(body, secret)
    # The scheme was checked above: only http(s), never file: or custom schemes.
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    opener = urllib.request.build_opener(NoRedirects)
    try:
        with opener.open(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        exc.close()
        raise DeliveryError(f"Webhook answered HTTP {exc.code}.") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"Webhook unreachable: {reason}") from exc
    if not 200 <= status < 300:
        raise DeliveryError(f"Webhook answered HTTP {status}.")


SENDERS = {
    Channel.EMAIL: _send_email,
    Channel.WEBHOOK: _post_webhook,
    Channel.DESK: lambda notification: None,  # shown in the desk: nothing to send
}


def notification_deliver(*, notification: Notification) -> bool:
    """Deliver one notification unless it was already sent. Returns whether it sent now.

    The row stays locked while sending, so two deliveries of the same task cannot both send.
    A failure is recorded on the row (attempts, last_error) and re-raised, after the record
    is committed, for the task queue.
    """
    return notification_deliver_by_id(notification.pk)


def notification_deliver_by_id(notification_id: int) -> bool:
    """`notification_deliver` by id; also False when the notification is gone."""
    failure = None
    with transaction.atomic():
        # The ticket and its customer (for the email's threading headers) in the same read;
        # only the notification's row is locked.
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("ticket__customer")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.sent_at is not None:
            return False
        notification.attempts += 1
        if notification.channel == Channel.EMAIL and not notification.email_message_id:
            # Recorded before this field existed: fix one now, kept for the retries.
            notification.email_message_id = new_message_id()
            notification.save(update_fields=["email_message_id"])
        try:
            SENDERS[notification.channel](notification)
        except Exception as exc:  # noqa: BLE001 - any transport error is recorded and re-raised
            failure = exc
            notification.last_error = str(exc)[:1000] or exc.__class__.__name__
            notification.save(update_fields=["attempts", "last_error"])
        else:
            notification.sent_at = timezone.now()
            notification.last_error = ""
            notification.save(update_fields=["attempts", "last_error", "sent_at"])
    if failure is not None:
        logger.warning(
            "Delivering %s notification %s failed: %s",
            notification.channel,
            notification.pk,
            failure,
        )
        raise failure
    return True
