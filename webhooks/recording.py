"""Recording deliveries: one per subscription, event and source, queued on commit."""

import hashlib
import json
import re
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_q.tasks import async_task

from common.config_cache import ConfigCache
from tickets.models import Ticket
from tickets.notifications import absolute, desk_ticket_path
from webhooks.models import WEBHOOK_EVENTS, WebhookDelivery, WebhookSubscription, new_webhook_secret

PING_EVENT = "ping"
# Event names `webhook_send` accepts: the six subscribable events, "ping", or a caller's own
# dotted name ("rule.fired").
EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")


def _read_active_subscriptions() -> list[WebhookSubscription]:
    return list(WebhookSubscription.objects.filter(active=True).order_by("id"))


# Every ticket change asks which subscriptions want it: a per-process copy
# (common.config_cache). A delivery's failure count is saved on the subscription, which
# empties the copy of that process too; harmless, it is read again on the next change.
_active_subscriptions = ConfigCache(
    "webhook-subscriptions", _read_active_subscriptions, models=[WebhookSubscription]
)


def subscriptions_for(event: str) -> list[WebhookSubscription]:
    """Active subscriptions to `event`. Few rows: filtered in Python, which works on every
    database (JSON containment lookups do not on SQLite). Shared by the process: read,
    never change (a delivery reads its subscription afresh)."""
    return [s for s in _active_subscriptions.get() if event in s.events]


def _ticket_data(ticket: Ticket | None) -> dict[str, Any]:
    if ticket is None:
        return {}
    return {"reference": ticket.reference, "url": absolute(desk_ticket_path(ticket))}


def dedupe_key(event: str, source_key: str) -> str:
    """`event|source_key`; a key longer than the column keeps its start and a hash of the
    whole, so two long keys never collide by truncation."""
    key = f"{event}|{source_key}"
    limit = WebhookDelivery._meta.get_field("dedupe_key").max_length
    if len(key) > limit:
        digest = hashlib.sha256(key.encode()).hexdigest()
        key = f"{key[: limit - len(digest) - 1]}#{digest}"
    return key


def _record(
    subscription: WebhookSubscription,
    *,
    event: str,
    ticket: Ticket | None,
    data: dict[str, Any],
    source_key: str,
) -> WebhookDelivery | None:
    now = timezone.now()
    delivery = WebhookDelivery(
        subscription=subscription,
        event=event,
        dedupe_key=dedupe_key(event, source_key),
        ticket_reference=ticket.reference if ticket is not None else "",
        created_at=now,
        next_attempt_at=now,
    )
    envelope = {
        "id": str(delivery.uuid),
        "event": event,
        "created_at": now,
        "data": {**_ticket_data(ticket), **data},
    }
    # Round-trip through JSON now, so a value that cannot be sent fails the caller, not the
    # task, and every timestamp has the same ISO 8601 form.
    delivery.payload = json.loads(json.dumps(envelope, cls=DjangoJSONEncoder))
    try:
        with transaction.atomic():
            delivery.save()
    except IntegrityError:
        if WebhookDelivery.objects.filter(
            subscription=subscription, dedupe_key=delivery.dedupe_key
        ).exists():
            return None  # already recorded: the same event emitted again
        raise
    transaction.on_commit(partial(async_task, "webhooks.tasks.deliver_webhook", delivery.pk))
    return delivery


def webhook_emit(
    *, event: str, ticket: Ticket | None = None, data: dict[str, Any], source_key: str
) -> list[WebhookDelivery]:
    """Record `event` for every active subscription to it. Returns the deliveries recorded
    by this call (none for a repeat of the same `event` and `source_key`).

    `data` becomes the payload's `data`, after the ticket's `reference` and desk `url` when a
    ticket is given. `source_key` names what happened (`event:<TicketEvent id>`,
    `survey:<id>`). Side effects: queues `webhooks.tasks.deliver_webhook` per delivery, on
    commit.
    """
    if event not in WEBHOOK_EVENTS:
        raise ValueError(f"Unknown webhook event {event!r}; known: {', '.join(WEBHOOK_EVENTS)}")
    recorded = []
    for subscription in subscriptions_for(event):
        delivery = _record(
            subscription, event=event, ticket=ticket, data=data, source_key=source_key
        )
        if delivery is not None:
            recorded.append(delivery)
    return recorded


def webhook_send(
    *,
    subscription: WebhookSubscription,
    event: str,
    data: dict[str, Any],
    source_key: str,
    ticket: Ticket | None = None,
) -> WebhookDelivery | None:
    """Send `event` to one chosen subscription, whatever events it subscribes to (a rule's
    "fire a webhook" action, the admin's test ping). Returns the delivery, or None when the
    subscription is inactive or this `event` and `source_key` were already sent to it.

    `event` is one of the subscribable events, "ping", or the caller's own dotted name
    (e.g. "rule.fired"). Side effects: queues `webhooks.tasks.deliver_webhook`, on commit.
    """
    if not EVENT_NAME.match(event) or len(event) > 50:
        raise ValidationError({"event": f"{event!r} is not a valid event name."})
    if not subscription.active:
        return None
    return _record(subscription, event=event, ticket=ticket, data=data, source_key=source_key)


# ---------------------------------------------------------------------------------------------
# Subscriptions (admin actions)
# ---------------------------------------------------------------------------------------------


def webhook_subscription_rotate_secret(*, subscription: WebhookSubscription) -> str:
    """A new signing secret, effective for the next attempt. Returns it."""
    subscription.secret = new_webhook_secret()
    subscription.save(update_fields=["secret"])
    return subscription.secret


def webhook_subscription_enable(*, subscription: WebhookSubscription) -> bool:
    """Re-enable a subscription and clear its run of failures. Returns whether it was off."""
    if subscription.active:
        return False
    subscription.active = True
    subscription.consecutive_failures = 0
    subscription.disabled_at = None
    subscription.disabled_reason = ""
    subscription.save(
        update_fields=["active", "consecutive_failures", "disabled_at", "disabled_reason"]
    )
    return True


def webhook_ping(*, subscription: WebhookSubscription) -> WebhookDelivery | None:
    """Queue a signed test delivery ("ping") to one subscription."""
    now = timezone.now()
    return webhook_send(
        subscription=subscription,
        event=PING_EVENT,
        data={"subscription": subscription.name, "sent_at": now.isoformat()},
        source_key=f"ping:{now.isoformat()}",
    )
