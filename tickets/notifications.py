"""The notification service: every email, desk notification and manager webhook goes here.

`notify()` decides the channels for each recipient (seed 001: customer by email; agent in
the desk and by email; team lead and manager in the desk, by email, and by the manager
webhook when `MANAGER_WEBHOOK_URL` is set), renders the content once, and records one
`Notification` per recipient and channel. Its `dedupe_key` is unique, so calling `notify()`
again for the same event records nothing new. Email and webhook deliveries are queued on
commit (`tickets.tasks.deliver_notification`), except inside `deliveries_in_this_task()`
(a change's follow-up task), where they are sent at its end, in that task; desk
notifications need no delivery and count as sent when created.

Sending is `tickets.notification_delivery`; the content comes from
`tickets.notification_rendering`.
"""

import hashlib
import hmac
import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone
from django_q.tasks import async_task

from mail.identifiers import new_message_id
from tickets.hooks import HookContext
from tickets.models import Customer, Notification, Ticket, TicketMessage
from tickets.notification_rendering import render_notification

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


# The webhook goes to one configured endpoint, not to a person: one POST per event however
# many leads are notified.
WEBHOOK_RECIPIENT_KEY = "webhook"


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
    # Imported here: delivery imports this module (for the webhook signature).
    from tickets.notification_delivery import notification_deliver_by_id

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


def webhook_signature(body: bytes, secret: str) -> str:
    """`sha256=<hex HMAC-SHA256 of the raw body>`, as sent in X-Helpdesk-Signature. Webhook
    subscriptions sign `<timestamp>.<body>` with the same helper."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


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
# Lifecycle after-hooks (registered in tickets.hooks.install_ticket_hooks)
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
