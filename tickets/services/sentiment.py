"""The customer's sentiment on a ticket (seed 002), as the AI classification read it."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tickets.models import Sentiment, Ticket, TicketEvent
from tickets.services._common import ensure_agent, ensure_not_closed, lock_ticket, record_event


@transaction.atomic
def ticket_set_sentiment(
    *, ticket: Ticket, sentiment: str | None, actor=None, source: str = ""
) -> Ticket:
    """Record how the customer sounds: negative, neutral, positive, or None (unknown).
    Writes one `sentiment_changed` event for an effective change (none for the same value);
    `source` says who read it (e.g. "ai"). Priority rules read the stored sentiment
    (tickets.classification.default_priority); this function changes nothing else."""
    ensure_agent(actor)
    if sentiment is not None and sentiment not in Sentiment.values:
        raise ValidationError({"sentiment": f"Unknown sentiment {sentiment!r}."})
    ticket = lock_ticket(ticket)
    ensure_not_closed(ticket)
    if ticket.sentiment == sentiment:
        return ticket
    previous = ticket.sentiment
    ticket.sentiment = sentiment
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["sentiment", "updated_at"])
    record_event(
        ticket,
        TicketEvent.Kind.SENTIMENT_CHANGED,
        actor=actor,
        from_value=previous or "",
        to_value=sentiment or "",
        data={"source": source} if source else {},
    )
    return ticket
