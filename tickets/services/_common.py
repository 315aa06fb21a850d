"""Pieces every ticket verb shares: locking, the audit row, actor checks."""

from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from agents.permissions import is_agent
from common.exceptions import ApplicationError
from tickets.models import Status, Ticket, TicketEvent


def lock_ticket(ticket: Ticket | int) -> Ticket:
    """Re-read the ticket with its row locked for the rest of the transaction."""
    pk = ticket.pk if isinstance(ticket, Ticket) else ticket
    return Ticket.objects.select_for_update().get(pk=pk)


def record_event(
    ticket: Ticket,
    kind: str,
    *,
    actor=None,
    from_value: Any = "",
    to_value: Any = "",
    data: dict | None = None,
    at=None,
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        actor=actor,
        from_value="" if from_value is None else str(from_value)[:200],
        to_value="" if to_value is None else str(to_value)[:200],
        data=data or {},
        created_at=at or timezone.now(),
    )


def ensure_agent(actor, *, allow_system: bool = True) -> None:
    if actor is None and allow_system:
        return
    if actor is None or not is_agent(actor):
        raise ApplicationError("Only agents can do this.", code="not_agent")


def ensure_not_closed(ticket: Ticket) -> None:
    if ticket.status == Status.CLOSED:
        raise ApplicationError(
            f"{ticket.reference} is closed and can no longer be changed.", code="ticket_closed"
        )


def require_text(value: str, *, field: str, label: str, max_length: int | None = None) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: f"{label} is required."})
    if max_length is not None and len(text) > max_length:
        raise ValidationError({field: f"{label} must be at most {max_length} characters."})
    return text
