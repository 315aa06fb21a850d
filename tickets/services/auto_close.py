"""Auto-close: a resolved ticket nobody reopened closes by itself after
`AUTO_CLOSE_RESOLVED_DAYS` (default 7; 0 turns it off).

The hourly job `tickets.tasks.auto_close_resolved_tickets` is the one mechanism (it replaced
the demo automation rule "Close resolved tickets after 7 days"). Each ticket is closed through
the lifecycle verb `ticket_close`, so it gets its `status_changed` event and after-hooks like
any other close.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tickets.models import Status, Ticket
from tickets.services._common import lock_ticket
from tickets.services.lifecycle import ticket_close

AUTO_CLOSE_REASON = "Resolved for {days} days with no reply: closed automatically."
# Upper bound per run, so a first run on a large backlog is spread over several hours.
AUTO_CLOSE_BATCH = 500


def auto_close_cutoff(*, now: datetime | None = None) -> datetime | None:
    """Tickets resolved at or before this moment are due to close; None when auto-close is
    off."""
    days = settings.AUTO_CLOSE_RESOLVED_DAYS
    if days <= 0:
        return None
    return (now or timezone.now()) - timedelta(days=days)


def tickets_due_for_auto_close(*, cutoff: datetime, limit: int = AUTO_CLOSE_BATCH) -> list[int]:
    return list(
        Ticket.objects.filter(status=Status.RESOLVED, resolved_at__lte=cutoff)
        .order_by("resolved_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


@transaction.atomic
def ticket_auto_close(*, ticket: Ticket | int, cutoff: datetime) -> bool:
    """Close one ticket if, under its row lock, it is still resolved since before `cutoff`.
    Returns whether it closed now: a ticket reopened or closed in the meantime is left alone."""
    ticket = lock_ticket(ticket)
    if ticket.status != Status.RESOLVED or ticket.resolved_at is None:
        return False
    if ticket.resolved_at > cutoff:
        return False
    days = settings.AUTO_CLOSE_RESOLVED_DAYS
    ticket_close(ticket=ticket, actor=None, reason=AUTO_CLOSE_REASON.format(days=days))
    return True
