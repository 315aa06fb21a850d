"""Delivering: signed POSTs, the answer logged, retries with backoff, disabling."""

import json
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from common import outbound
from tickets.notifications import notify, webhook_signature
from webhooks.models import WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5
# Wait before attempt 2, 3, 4, 5 and 6; the sixth failure gives up.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=10),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
DISABLE_AFTER_FAILURES = 10
# A claimed delivery is not claimed again for this long: longer than any POST can take, so
# a second run of the task skips it; short enough that a worker crash mid-POST is retried.
CLAIM_LEASE = timedelta(minutes=2)
SNIPPET_LENGTH = 500
RETRY_BATCH = 500

Outcome = WebhookDelivery.Status
RETRYABLE = (Outcome.PENDING, Outcome.FAILED)


def encode_payload(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), cls=DjangoJSONEncoder).encode()


def sign(*, secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`: binding the timestamp into the
    signature lets a receiver refuse replays of an old delivery."""
    return webhook_signature(timestamp.encode() + b"." + body, secret)


@dataclass
class Answer:
    status_code: int | None
    snippet: str
    error: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _snippet(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")[:SNIPPET_LENGTH]


def post(url: str, *, body: bytes, headers: dict[str, str]) -> Answer:
    """POST once through the guarded fetch (`common.outbound`): a timeout, no redirects,
    and never to an internal address unless WEBHOOK_ALLOWED_NETWORKS allows it. A refused
    address records only the refusal, nothing from the target. Never raises for transport
    errors."""
    try:
        response = outbound.fetch(
            "POST",
            url,
            body=body,
            headers=headers,
            timeout=TIMEOUT_SECONDS,
            max_body=SNIPPET_LENGTH,
            allowed_networks=settings.WEBHOOK_ALLOWED_NETWORKS,
        )
    except outbound.OutboundError as exc:
        # AddressNotAllowed included: "refused: address not allowed (...)", nothing sent.
        return Answer(None, "", str(exc)[:500])
    answer = Answer(response.status, _snippet(response.body), "")
    if not answer.ok:
        answer.error = f"HTTP {response.status}"
    return answer


def webhook_deliver(*, delivery: WebhookDelivery) -> bool:
    """Attempt one delivery if it is pending (or failed) and due. Returns whether it
    succeeded in this call.

    The row is claimed under a lock (its `next_attempt_at` moves by `CLAIM_LEASE`), so two
    runs of the task cannot both post; the POST itself holds no lock. The answer is then
    recorded: status code, the start of the body, the attempt count, the next attempt or
    `given_up`, and the subscription's run of failures (which may disable it).
    """
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("subscription")
            .get(pk=delivery.pk)
        )
        if delivery.status not in RETRYABLE:
            return False
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
            return False
        subscription = delivery.subscription
        if not subscription.active:
            delivery.status = Outcome.GIVEN_UP
            delivery.next_attempt_at = None
            delivery.last_error = "The subscription is disabled."
            delivery.save(update_fields=["status", "next_attempt_at", "last_error"])
            return False
        delivery.next_attempt_at = now + CLAIM_LEASE
        delivery.save(update_fields=["next_attempt_at"])

    body = encode_payload(delivery.payload)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "helpdesk-webhook",
        "X-Helpdesk-Event": delivery.event,
        "X-Helpdesk-Delivery": str(delivery.uuid),
        "X-Helpdesk-Timestamp": timestamp,
        "X-Helpdesk-Signature": sign(secret=subscription.secret, timestamp=timestamp, body=body),
    }
    answer = post(subscription.url, body=body, headers=headers)
    _record_answer(delivery.pk, answer)
    if not answer.ok:
        logger.warning("Webhook delivery %s failed: %s", delivery.pk, answer.error)
    return answer.ok


@transaction.atomic
def _record_answer(delivery_id: int, answer: Answer) -> None:
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
    subscription = WebhookSubscription.objects.select_for_update().get(pk=delivery.subscription_id)
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_status_code = answer.status_code
    delivery.response_snippet = answer.snippet
    delivery.last_error = answer.error
    if answer.ok:
        delivery.status = Outcome.SUCCEEDED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        if subscription.consecutive_failures:
            subscription.consecutive_failures = 0
            subscription.save(update_fields=["consecutive_failures"])
    else:
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = Outcome.GIVEN_UP
            delivery.next_attempt_at = None
        else:
            delivery.status = Outcome.FAILED
            delivery.next_attempt_at = now + BACKOFF[delivery.attempts - 1]
        subscription.consecutive_failures += 1
        subscription.save(update_fields=["consecutive_failures"])
        if subscription.consecutive_failures >= DISABLE_AFTER_FAILURES and subscription.active:
            _disable(subscription, at=now)
    delivery.save(
        update_fields=[
            "attempts",
            "last_status_code",
            "response_snippet",
            "last_error",
            "status",
            "delivered_at",
            "next_attempt_at",
        ]
    )


def _disable(subscription: WebhookSubscription, *, at) -> None:
    subscription.active = False
    subscription.disabled_at = at
    subscription.disabled_reason = (
        f"{subscription.consecutive_failures} deliveries failed in a row."
    )
    subscription.save(update_fields=["active", "disabled_at", "disabled_reason"])
    if subscription.owner is not None:
        notify(
            kind="webhook_disabled",
            recipients=[subscription.owner],
            template="agent_notice",
            context={
                "headline": f"Webhook “{subscription.name}” was disabled",
                "text": (
                    f"{subscription.disabled_reason} Its pending deliveries will not be sent. "
                    f"Check {subscription.url}, then re-enable the subscription in admin."
                ),
            },
            dedupe=[subscription.pk, at.isoformat()],
            link=reverse("admin:webhooks_webhooksubscription_change", args=[subscription.pk]),
        )


def due_deliveries(*, limit: int = RETRY_BATCH) -> list[int]:
    """Ids of deliveries pending or failed whose next attempt is due, oldest first."""
    return list(
        WebhookDelivery.objects.filter(status__in=RETRYABLE, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
