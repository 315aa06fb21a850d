"""Personal API tokens: create (the key is returned once), revoke, look up by key.

A key is `hd_` followed by 43 URL-safe random characters (256 bits). Only its SHA-256 is
stored, so a leaked database does not leak working keys; a fast hash is enough because the
key is high-entropy (nothing to brute-force, unlike a password).
"""

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from api.models import ApiToken
from common.exceptions import ApplicationError

KEY_PREFIX = "hd_"
PREFIX_LENGTH = 10
MAX_ACTIVE_TOKENS = 20
# last_used_at is written at most this often per token, so a busy integration does not turn
# every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


@transaction.atomic
def api_token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """Create a token for `user` and return it with its key, which is never stored or shown
    again. Refuses a blank name and more than MAX_ACTIVE_TOKENS active tokens."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the token a name, e.g. the integration using it."})
    if len(name) > 100:
        raise ValidationError({"name": "A token name must be at most 100 characters."})
    active = ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True)
    if len(active) >= MAX_ACTIVE_TOKENS:
        raise ApplicationError(
            f"You already have {MAX_ACTIVE_TOKENS} active tokens; revoke one first.",
            code="too_many_tokens",
        )
    key = new_key()
    token = ApiToken.objects.create(
        user=user, name=name, prefix=key[:PREFIX_LENGTH], key_hash=hash_key(key)
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor) -> ApiToken:
    """Revoke a token at once; it is refused from the next request on. A no-op when already
    revoked. The token's owner may revoke it (on the token pages, anyone else gets the 404 of
    a token they cannot see), and so may an administrator allowed to change tokens (the Django
    admin's revoke action), e.g. for a leaked key or a departed employee."""
    if token.user_id != actor.pk and not can_revoke_any_token(actor):
        raise ApplicationError("This token belongs to someone else.", code="not_owner")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def can_revoke_any_token(user) -> bool:
    return bool(user.is_active and user.is_staff and user.has_perm("api.change_apitoken"))


def tokens_for_user(*, user) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def token_for_key(key: str) -> ApiToken | None:
    """The active token with this key, its user joined, or None."""
    if not key or not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    return (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_key(key), revoked_at__isnull=True)
        .first()
    )


def api_token_touch(*, token: ApiToken, now=None) -> None:
    """Record use, at most once per LAST_USED_RESOLUTION (one UPDATE, no read)."""
    now = now or timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
