"""Outbound webhooks: subscriptions per event, signed POSTs, retries with backoff.

`webhook_emit()` records one `WebhookDelivery` per active subscription to an event and
queues `webhooks.tasks.deliver_webhook` on commit; `webhook_send()` does the same for one
chosen subscription (the rules engine's "fire a webhook" action, the admin's test ping).
Either way the delivery's `dedupe_key` (event and source) is unique per subscription, so an
event emitted twice is delivered once. (`recording.py`)

`webhook_deliver()` POSTs one delivery at most once at a time: it claims the row under a
lock (skipping it unless pending or failed and due), posts without holding the lock, then
records the answer. A 2xx succeeds; anything else (redirects included) is a failure retried
after `BACKOFF` and given up after `MAX_ATTEMPTS`. A subscription failing
`DISABLE_AFTER_FAILURES` times in a row is disabled and its owner notified. (`delivery.py`)

`on_ticket_changed()`, a lifecycle after-hook, maps ticket events to webhook events and
builds their payloads (`events.py`). Payloads never carry a ticket's `public_id` (the
customer's secret link) nor internal notes.

This module is the webhooks app's published interface: other apps import these names from
here, not from the modules behind it.
"""

from webhooks.delivery import (
    BACKOFF,
    DISABLE_AFTER_FAILURES,
    MAX_ATTEMPTS,
    due_deliveries,
    sign,
    webhook_deliver,
)
from webhooks.events import HOOK_VERBS, on_ticket_changed, webhook_event_for
from webhooks.recording import (
    subscriptions_for,
    webhook_emit,
    webhook_ping,
    webhook_send,
    webhook_subscription_enable,
    webhook_subscription_rotate_secret,
)

__all__ = [
    "BACKOFF",
    "DISABLE_AFTER_FAILURES",
    "HOOK_VERBS",
    "MAX_ATTEMPTS",
    "due_deliveries",
    "on_ticket_changed",
    "sign",
    "subscriptions_for",
    "webhook_deliver",
    "webhook_emit",
    "webhook_event_for",
    "webhook_ping",
    "webhook_send",
    "webhook_subscription_enable",
    "webhook_subscription_rotate_secret",
]
