"""`Idempotency-Key` on create endpoints: a retried request gets the first answer and never
creates a second object.

The record is inserted first, in the same transaction as the creation, under a unique
constraint on (who, endpoint, key). A concurrent duplicate blocks on that insert until the
first commits, then fails it and replays the stored answer; if the first rolls back, nothing
was stored and the duplicate proceeds as the first. Only successful answers are stored: a
refused request saved nothing, so trying again is safe.
"""

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import exceptions, status
from rest_framework.response import Response

from api.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
REPLAY_HEADER = "Idempotent-Replayed"


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = (
        "This Idempotency-Key was already used with a different request body. "
        "Use a new key for a new request."
    )


class _KeyTaken(Exception):
    pass


def request_scope(request) -> str:
    if request.user and request.user.is_authenticated:
        return f"user:{request.user.pk}"
    from ratelimits.limits import client_ip

    return f"ip:{client_ip(request)}"


def request_fingerprint(request) -> str:
    """SHA-256 over the parsed body: fields (all values of repeated keys) and each file's
    name, size and content hash. The same request sent twice has the same fingerprint."""
    data = request.data
    if hasattr(data, "lists"):
        fields = {key: values for key, values in data.lists() if key not in request.FILES}
    else:
        fields = data
    files = []
    for name, upload in sorted(request.FILES.lists()) if request.FILES else []:
        for item in upload:
            digest = hashlib.sha256()
            for chunk in item.chunks():
                digest.update(chunk)
            item.seek(0)
            files.append([name, item.name, item.size, digest.hexdigest()])
    canonical = json.dumps(
        {"fields": fields, "files": files}, sort_keys=True, default=str, ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    return Response(
        record.response_body, status=record.response_status, headers={REPLAY_HEADER: "true"}
    )


def idempotent(request, *, endpoint: str, perform: Callable[[], tuple[int, dict]]) -> Response:
    """Run `perform` (which creates and returns status and body) at most once per key."""
    key = (request.headers.get(HEADER) or "").strip()
    if not key:
        status_code, body = perform()
        return Response(body, status=status_code)
    if len(key) > MAX_KEY_LENGTH:
        raise exceptions.ValidationError(
            {HEADER: [f"An {HEADER} must be at most {MAX_KEY_LENGTH} characters."]}
        )
    scope = request_scope(request)
    fingerprint = request_fingerprint(request)
    lookup = {"scope": scope, "endpoint": endpoint, "key": key}
    existing = IdempotencyRecord.objects.filter(**lookup).first()
    if existing is not None:
        return _replay(existing, fingerprint)
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        **lookup, fingerprint=fingerprint, response_status=0, response_body={}
                    )
            except IntegrityError:
                raise _KeyTaken from None
            status_code, body = perform()
            record.response_status = status_code
            record.response_body = body
            record.save(update_fields=["response_status", "response_body"])
    except _KeyTaken:
        # A concurrent request with this key committed first: answer as it did.
        return _replay(IdempotencyRecord.objects.get(**lookup), fingerprint)
    return Response(body, status=status_code)


def idempotency_records_delete_expired(*, now: datetime | None = None) -> int:
    """Delete the records older than IDEMPOTENCY_KEY_TTL_HOURS and return how many.

    Without this the table grows by one row per keyed request forever. After the TTL a retry
    with an old key is treated as a new request, which is the promise docs/api.md makes. One
    DELETE on the indexed `created_at`: running it twice deletes nothing the second time.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
