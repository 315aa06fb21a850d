"""The customer's satisfaction rating on a ticket: the one write path for
`Ticket.satisfaction_rating` and `Ticket.satisfaction_comment`.

Called by `tickets.surveys.survey_answer` when a survey is answered. The ticket keeps the rating
of its latest answered resolution, so the automation condition "customer's average
satisfaction" (seed 001's at-risk rule) reads one number per ticket.
"""

from datetime import datetime

from django.db import transaction

from tickets.models import Ticket, TicketEvent
from tickets.services._common import lock_ticket, record_event


@transaction.atomic
def ticket_record_satisfaction(
    *, ticket: Ticket, rating: int, comment: str, resolved_at: datetime, survey_id: int
) -> Ticket:
    """Store the customer's rating for the resolution of `resolved_at`.

    Writes one `satisfaction_rated` event (actor: None, the customer answered by link). The
    ticket's own fields change only when this resolution is the latest one rated: a late answer
    about an earlier resolution is recorded in the event and on its survey, not over a newer
    rating. Works on closed tickets too: surveys are often answered after the ticket closed.
    """
    ticket = lock_ticket(ticket)
    newer_rated = (
        ticket.surveys.filter(answered_at__isnull=False, resolved_at__gt=resolved_at)
        .exclude(pk=survey_id)
        .exists()
    )
    previous = ticket.satisfaction_rating
    if not newer_rated:
        ticket.satisfaction_rating = rating
        ticket.satisfaction_comment = comment
        ticket.save(update_fields=["satisfaction_rating", "satisfaction_comment"])
    record_event(
        ticket,
        TicketEvent.Kind.SATISFACTION_RATED,
        actor=None,
        from_value=previous,
        to_value=rating,
        data={
            "survey_id": survey_id,
            "resolved_at": resolved_at.isoformat(),
            "comment": comment,
            "current": not newer_rated,
        },
    )
    return ticket
