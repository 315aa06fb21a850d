"""Outbound webhooks: who is subscribed to which events, and every delivery made to them.

The service that writes these rows is `webhooks.services`; see docs/webhooks.md.
"""

import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from common import outbound

# The events a subscription can choose (seeds 002 and 003). `docs/webhooks.md` describes
# each payload.
WEBHOOK_EVENTS = (
    "ticket.created",
    "ticket.assigned",
    "ticket.escalated",
    "ticket.resolved",
    "message.created",
    "survey.submitted",
)


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


def validate_webhook_events(value) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError("Choose at least one event.")
    unknown = [item for item in value if item not in WEBHOOK_EVENTS]
    if unknown:
        raise ValidationError(
            f"Unknown events: {', '.join(map(str, unknown))}. Known: {', '.join(WEBHOOK_EVENTS)}."
        )
    if len(set(value)) != len(value):
        raise ValidationError("An event is listed twice.")


# Only http(s): never file:, ftp: or custom schemes.
validate_webhook_url = URLValidator(schemes=["http", "https"])


def validate_webhook_address(url: str) -> None:
    """Refuse, when it is saved, a URL whose host is or resolves to an internal address
    (loopback, private, link-local, metadata...) unless WEBHOOK_ALLOWED_NETWORKS allows it.
    Delivery checks the resolved address again when it connects; that check is the guard,
    this one is the early, clear message."""
    try:
        outbound.check_url(url, allowed_networks=settings.WEBHOOK_ALLOWED_NETWORKS)
    except outbound.AddressNotAllowed as exc:
        raise ValidationError(
            f"Webhooks may not reach internal addresses: {exc.host} is {exc.address} "
            f"({exc.reason}). For a receiver on your own network, an operator can allow it "
            "with the WEBHOOK_ALLOWED_NETWORKS setting.",
            code="address_not_allowed",
        ) from None
    except outbound.OutboundError:
        pass  # not an http(s) URL: validate_webhook_url says so


class WebhookSubscription(models.Model):
    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500, validators=[validate_webhook_url])
    secret = models.CharField(
        max_length=100,
        default=new_webhook_secret,
        help_text="Signs every delivery (X-Helpdesk-Signature). Rotate it from the list.",
    )
    events = models.JSONField(default=list, validators=[validate_webhook_events])
    active = models.BooleanField(default=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="webhook_subscriptions",
        help_text="Told when the subscription is disabled after repeated failures.",
    )
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.CharField(max_length=200, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "id"]
        # The table kept its name when the model moved out of the project package.
        db_table = "helpdesk_webhooksubscription"

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.url:
            try:
                validate_webhook_address(self.url)
            except ValidationError as exc:
                raise ValidationError({"url": exc.messages}) from None


class WebhookDelivery(models.Model):
    """One event for one subscription: the payload, its attempts and the last answer."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        # The last attempt failed; another is due at `next_attempt_at`.
        FAILED = "failed", "Failed, will retry"
        SUCCEEDED = "succeeded", "Succeeded"
        GIVEN_UP = "given_up", "Given up"

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.CharField(max_length=50)
    dedupe_key = models.CharField(
        max_length=255, help_text="The event and its source: one delivery per subscription."
    )
    ticket_reference = models.CharField(max_length=30, blank=True)
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    response_snippet = models.TextField(blank=True, help_text="The first 500 characters.")
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The table kept its name when the model moved out of the project package.
        db_table = "helpdesk_webhookdelivery"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "dedupe_key"], name="webhook_delivery_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "failed"]),
                name="webhook_delivery_due",
            ),
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_sub"),
        ]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event} to {self.subscription_id} ({self.status})"
