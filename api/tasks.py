"""django-q2 tasks of the API plumbing. Each is safe to run twice."""

from api.idempotency import idempotency_records_delete_expired


def delete_expired_idempotency_records() -> int:
    """Scheduled daily (helpdesk.schedules): forget Idempotency-Keys past their TTL."""
    return idempotency_records_delete_expired()
