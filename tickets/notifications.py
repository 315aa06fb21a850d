"""The notification service: every email, desk notification and manager webhook goes here.

`notify()` decides the channels for each recipient (seed 001: customer by email; agent in
the desk and by email; team lead and manager in the desk, by email, and by the manager
webhook when `MANAGER_WEBHOOK_URL` is set), renders the content once, and records one
`Notification` per recipient and channel. Its `dedupe_key` is unique, so calling `notify()`
again for the same event records nothing new. Email and webhook deliveries are queued on
commit (`tickets.tasks.deliver_notification`), except inside `deliveries_in_this_task()`
(a change's follow-up task), where they are sent at its end, in that task; desk
notifications need no delivery and count as sent when created.

`notification_deliver()` sends one notification at most once: it locks the row, returns
early when `sent_at` is set, and records each attempt (`attempts`, `last_error`). The
scheduled `retry_unsent_notifications` re-queues what is still unsent.

Emails carry threading headers (`email_threading`): a Message-ID of their own, fixed when the
row is recorded so retries resend the same one, In-Reply-To/References to the ticket's root id
and the customer's own emails, and for customers a support+REF@… Reply-To, so answers thread
in the mail client and route back to the ticket (docs/email.md).

Templates: `templates/emails/<template>_subject.txt`, `<template>.txt` and `<template>.html`
for email; an optional `<template>_short.txt` (a line or two) for the desk and the webhook,
which otherwise use the start of the text body. The `.txt` templates are plain text, rendered
without HTML escaping (`render_plain_text`); the `.html` part is escaped as any page.
"""

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, models, transaction
from django.template import Context, Engine, TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django_q.tasks import async_task

from mail.identifiers import new_message_id, reply_address, ticket_root_message_id
from tickets.hooks import HookContext
from tickets.models import Customer, Notification, Ticket, TicketMessage

logger = logging.getLogger(__name__)

Channel = Notification.Channel

# Who gets which channel (seed 001 `notifications`). Leads work the desk too, so they also
# get desk notifications; the webhook is only used while MANAGER_WEBHOOK_URL is set.
CUSTOMER, AGENT, LEAD = "customer", "agent", "lead"
ROUTES: dict[str, tuple[str, ...]] = {
    CUSTOMER: (Channel.EMAIL,),
    AGENT: (Channel.DESK, Channel.EMAIL),
    LEAD: (Channel.DESK, Channel.EMAIL, Channel.WEBHOOK),
}

SHORT_TEXT_LENGTH = 280
WEBHOOK_TIMEOUT_SECONDS = 5
# The webhook goes to one configured endpoint, not to a person: one POST per event however
# many leads are notified.
WEBHOOK_RECIPIENT_KEY = "webhook"


class DeliveryError(Exception):
    """A delivery that did not go through; the message is stored as `last_error`."""


# ---------------------------------------------------------------------------------------------
# Links
# ---------------------------------------------------------------------------------------------


def ticket_link(ticket: Ticket) -> str:
    """The customer's secure link to a ticket (absolute)."""
    return settings.SITE_URL + reverse("portal:ticket", args=[ticket.public_id])


def desk_ticket_path(ticket: Ticket) -> str:
    return reverse("desk:ticket", args=[ticket.reference])


def absolute(link: str) -> str:
    return settings.SITE_URL + link if link.startswith("/") else link


# ---------------------------------------------------------------------------------------------
# Recipients and routing
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    role: str
    key: str  # stable identity in the dedupe key
    name: str
    email: str
    user: Any = None  # the user, for agents and leads
    customer: Customer | None = None


def recipient_target(recipient: Customer | Any) -> Target | None:
    """Who a recipient is and in what role. Inactive users are not notified (None)."""
    if isinstance(recipient, Customer):
        return Target(
            CUSTOMER, f"customer:{recipient.pk}", recipient.name, recipient.email, None, recipient
        )
    user = recipient
    if not user.is_active:
        return None
    profile = getattr(user, "agent_profile", None)
    name = user.get_full_name() or user.get_username()
    if profile is not None:
        role = LEAD if profile.is_lead else AGENT
        return Target(role, f"user:{user.pk}", profile.display_name or name, user.email, user)
    if user.is_superuser:
        return Target(AGENT, f"user:{user.pk}", name, user.email, user)
    # A customer's login: they hear from us by email like any customer.
    customer = getattr(user, "customer", None)
    if customer is not None:
        return recipient_target(customer)
    return Target(CUSTOMER, f"user:{user.pk}", name, user.email, None)


def channels_for(role: str) -> list[str]:
    """The channels a role is notified on right now (reads MANAGER_WEBHOOK_URL)."""
    webhook_on = bool(settings.MANAGER_WEBHOOK_URL)
    return [c for c in ROUTES[role] if c != Channel.WEBHOOK or webhook_on]


def build_dedupe_key(
    *, kind: str, channel: str, recipient_key: str, parts: Sequence[object]
) -> str:
    """`kind|channel|recipient|part|…`; model instances count by their label and id. Keys
    longer than the column keep a readable start and end in a hash of the whole."""
    pieces = [kind, channel, recipient_key]
    for part in parts:
        if isinstance(part, models.Model):
            pieces.append(f"{part._meta.model_name}:{part.pk}")
        else:
            pieces.append(str(part))
    key = "|".join(pieces)
    limit = Notification._meta.get_field("dedupe_key").max_length
    if len(key) > limit:
        digest = hashlib.sha256(key.encode()).hexdigest()
        key = f"{key[: limit - len(digest) - 1]}#{digest}"
    return key


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _template_exists(name: str) -> bool:
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return False
    return True


def render_plain_text(name: str, context: dict[str, Any]) -> str:
    """A plain-text template (email subjects and bodies, desk and webhook text) rendered with
    autoescaping off: `&` stays `&` in a subject or a text body, where HTML entities would
    show as written. What shows these texts in a page escapes them there; HTML email parts
    are rendered with `render_to_string` and stay escaped."""
    return Engine.get_default().get_template(name).render(Context(context, autoescape=False))


@dataclass
class Rendered:
    subject: str
    short: str
    text: str = ""
    html: str = ""


def render_notification(
    template: str, context: dict[str, Any], *, ticket: Ticket | None, email: bool
) -> Rendered:
    base = f"emails/{template}"
    subject = _one_line(render_plain_text(f"{base}_subject.txt", context))
    if ticket is not None:
        subject = f"[{ticket.reference}] {subject}"
    subject = Truncator(subject).chars(Notification._meta.get_field("subject").max_length)
    text = render_plain_text(f"{base}.txt", context)
    if _template_exists(f"{base}_short.txt"):
        short = render_plain_text(f"{base}_short.txt", context).strip()
    else:
        short = Truncator(_one_line(text)).chars(SHORT_TEXT_LENGTH)
    html = render_to_string(f"{base}.html", context) if email else ""
    return Rendered(subject=subject, short=short, text=text, html=html)


# ---------------------------------------------------------------------------------------------
# Queueing
# ---------------------------------------------------------------------------------------------


def notify(
    *,
    kind: str,
    recipients: Iterable[Customer | Any],
    ticket: Ticket | None = None,
    message: TicketMessage | None = None,
    template: str,
    context: dict[str, Any] | None = None,
    dedupe: Sequence[object] = (),
    link: str = "",
) -> list[Notification]:
    """Notify each recipient (customers or users) on their role's channels.

    Records one `Notification` per recipient and channel, unless one with the same
    `dedupe_key` exists: the key is the kind, channel, recipient, the ticket and message
    passed, and the extra `dedupe` parts (objects or values) that tell this event apart from
    an earlier one of the same kind (an SLA target, an escalation level, a report date).
    Returns the notifications recorded by this call; already recorded ones are skipped.

    Content is rendered now from `emails/<template>*`, with `ticket`, `message`, `customer`
    (the ticket's), `recipient`, `recipient_name`, `role` and `link` (the customer's secure
    link, or the desk page for agents, unless `link` is given) plus `context`.

    Side effects: queues `tickets.tasks.deliver_notification` for each email and webhook,
    on commit. Desk notifications are stored as sent.
    """
    created: list[Notification] = []
    object_parts = [obj for obj in (ticket, message) if obj is not None]
    for recipient in recipients:
        target = recipient_target(recipient)
        if target is None:
            continue
        channels = [c for c in channels_for(target.role) if c != Channel.EMAIL or target.email]
        if not channels:
            continue
        if link:
            path = link
        elif ticket is None:
            path = ""
        elif target.role == CUSTOMER:
            path = ticket_link(ticket)
        else:
            path = desk_ticket_path(ticket)
        full_context = {
            "kind": kind,
            "ticket": ticket,
            "message": message,
            "customer": ticket.customer if ticket is not None else target.customer,
            "recipient": recipient,
            "recipient_name": target.name,
            "role": target.role,
            "link": absolute(path),
            **(context or {}),
        }
        rendered = render_notification(
            template, full_context, ticket=ticket, email=Channel.EMAIL in channels
        )
        for channel in channels:
            recipient_key = WEBHOOK_RECIPIENT_KEY if channel == Channel.WEBHOOK else target.key
            key = build_dedupe_key(
                kind=kind,
                channel=channel,
                recipient_key=recipient_key,
                parts=[*object_parts, *dedupe],
            )
            fields: dict[str, Any] = {
                "kind": kind,
                "channel": channel,
                "ticket": ticket,
                "message": message,
                "subject": rendered.subject,
                "dedupe_key": key,
            }
            if channel == Channel.EMAIL:
                fields |= {
                    "recipient_user": target.user,
                    "recipient_email": target.email,
                    "body_text": rendered.text,
                    "body_html": rendered.html,
                    "link": absolute(path),
                    # Fixed now, so every retry of this email carries the same Message-ID.
                    "email_message_id": new_message_id(),
                }
            elif channel == Channel.DESK:
                fields |= {
                    "recipient_user": target.user,
                    "body_text": rendered.short,
                    "link": path,
                    "sent_at": timezone.now(),
                }
            else:
                fields |= {"body_text": rendered.short, "link": absolute(path)}
            notification, is_new = _record_once(fields)
            if channel == Channel.DESK:
                if is_new:
                    created.append(notification)
                continue
            if is_new:
                created.append(notification)
                transaction.on_commit(partial(_queue_delivery, notification.pk))
            elif notification.sent_at is None and _deliveries_here.get() is not None:
                # A re-run of a follow-up task whose first run recorded this delivery and died
                # before sending it (the worker killed): send it now, not when the retry job
                # comes round. Sending checks `sent_at` under the row lock, so one the first
                # run did send, or a queued retry sends meanwhile, goes out once.
                transaction.on_commit(partial(_queue_delivery, notification.pk))
    return created


# The deliveries recorded inside `deliveries_in_this_task()`, by id (None outside it).
_deliveries_here: ContextVar[list[int] | None] = ContextVar("deliveries_here", default=None)


def _queue_delivery(notification_id: int) -> None:
    pending = _deliveries_here.get()
    if pending is not None:
        pending.append(notification_id)
    else:
        async_task("tickets.tasks.deliver_notification", notification_id)


@contextmanager
def deliveries_in_this_task() -> Iterator[None]:
    """For a task that is already in the background (a change's follow-up): the email and
    webhook deliveries recorded inside are not queued as tasks of their own but sent when the
    block ends, in order, here. A task per delivery cost more in the queue's own work (a
    queue row, a worker hand-off, a result row) than the sending itself. A delivery that fails
    is recorded on its row and left to `retry_unsent_notifications`, as one queued would be.
    One never sent (the worker killed mid-task) is sent by the task's re-run (the broker hands
    it out again): `notify()` there finds the row recorded and still unsent, and sends it at
    the end of the block like a new one.

    Inside a transaction (never so in a worker, but so in a test's) the commits, and with
    them the deliveries, come after the block: they are queued as anywhere else."""
    if transaction.get_connection().in_atomic_block:
        yield
        return
    pending: list[int] = []
    token = _deliveries_here.set(pending)
    try:
        yield
    finally:
        _deliveries_here.reset(token)
        for notification_id in pending:
            try:
                notification_deliver_by_id(notification_id)
            except Exception:  # noqa: BLE001 - recorded on the row and logged; retried later
                logger.info("Notification %s is left to the retry job", notification_id)


def _record_once(fields: dict[str, Any]) -> tuple[Notification, bool]:
    """The notification with this dedupe key, and whether it was recorded now (False: this
    is a repeat of the same event, and the row is the one recorded the first time)."""
    try:
        with transaction.atomic():
            return Notification.objects.create(**fields), True
    except IntegrityError:
        existing = (
            Notification.objects.filter(dedupe_key=fields["dedupe_key"])
            .only("pk", "sent_at")
            .first()
        )
        if existing is not None:
            return existing, False
        raise


# ---------------------------------------------------------------------------------------------
# Delivery
# ---------------------------------------------------------------------------------------------


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


def webhook_signature(body: bytes, secret: str) -> str:
    """`sha256=<hex HMAC-SHA256 of the raw body>`, as sent in X-Helpdesk-Signature. Webhook
    subscriptions sign `<timestamp>.<body>` with the same helper."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


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


# ---------------------------------------------------------------------------------------------
# Desk notifications: read state
# ---------------------------------------------------------------------------------------------


def notification_mark_read(*, notification: Notification) -> bool:
    """Mark one desk notification read. Returns whether it was unread (a no-op otherwise)."""
    return bool(
        Notification.objects.filter(
            pk=notification.pk, channel=Channel.DESK, read_at__isnull=True
        ).update(read_at=timezone.now())
    )


def notifications_mark_all_read(*, user) -> int:
    """Mark all of a user's unread desk notifications read. Returns how many."""
    return Notification.objects.filter(
        recipient_user=user, channel=Channel.DESK, read_at__isnull=True
    ).update(read_at=timezone.now())


# ---------------------------------------------------------------------------------------------
# Lifecycle after-hooks (registered in tickets.hooks.install_default_hooks)
# ---------------------------------------------------------------------------------------------


def on_ticket_created(ctx: HookContext) -> None:
    ticket = ctx.ticket
    notify(
        kind="ticket_created",
        recipients=[ticket.customer],
        ticket=ticket,
        template="ticket_created",
    )


def on_agent_replied(ctx: HookContext) -> None:
    ticket = ctx.ticket
    notify(
        kind="agent_replied",
        recipients=[ticket.customer],
        ticket=ticket,
        message=ctx.message,
        template="agent_replied",
    )
