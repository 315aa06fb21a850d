"""API tokens and idempotency records."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 hash of the key is stored: the key itself is shown
    once, when the token is created. The prefix (the key's first characters) tells tokens
    apart in lists without revealing them."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        # The table kept its name when the model moved out of the project package.
        db_table = "helpdesk_apitoken"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="api_token_user")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class IdempotencyRecord(models.Model):
    """The first answer to a request sent with an `Idempotency-Key`, kept so a retry gets the
    same answer. Written in the same transaction as what the request created; the unique
    constraint makes two concurrent requests with one key create one thing."""

    scope = models.CharField(max_length=100, help_text="user:<id> or ip:<address>.")
    endpoint = models.CharField(max_length=100)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the request body.")
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField(encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        # The table kept its name when the model moved out of the project package.
        db_table = "helpdesk_idempotencyrecord"
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "endpoint", "key"], name="idempotency_key_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.key} ({self.scope})"
