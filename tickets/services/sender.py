"""Proving who filed a ticket: the "unverified sender" mark and its removal.

A ticket filed from the portal, signed out, with the address of a customer who has an
account is marked `sender_unverified` when it is created (portal.views.filing): anyone can
type an address. Until the mark comes off, the filer gets no link to it and it stays out of
the customer's "My tickets" (tickets.selectors.tickets_for_customer).

The mark comes off once the address's owner shows up: a reply through a channel only they
have (the secure link, which goes to that address only; a reply threaded to our email; their
own API token), or opening the ticket signed in to that customer's account.
"""

from django.db import transaction
from django.utils import timezone

from tickets.models import Ticket, TicketEvent
from tickets.services._common import lock_ticket, record_event


class VerifiedVia:
    """How the owner of the address showed up (the event's `data["via"]`)."""

    REPLY = "reply"
    SIGNED_IN = "signed_in"


def apply_sender_verified(ticket: Ticket, *, actor, via: str) -> TicketEvent | None:
    """Take the mark off a ticket the caller has locked; the `sender_verified` event, or None
    when the sender was already verified (no change, no event)."""
    if not ticket.sender_unverified:
        return None
    ticket.sender_unverified = False
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["sender_unverified", "updated_at"])
    return record_event(
        ticket,
        TicketEvent.Kind.SENDER_VERIFIED,
        actor=actor,
        from_value="unverified",
        to_value="verified",
        data={"via": via},
    )


@transaction.atomic
def ticket_verify_sender(*, ticket: Ticket, actor, via: str) -> Ticket:
    """The customer proved they own the ticket's address (`via`, a `VerifiedVia` value):
    the ticket is theirs from now on. Writes one `sender_verified` event; a verified ticket is
    left alone (no event)."""
    ticket = lock_ticket(ticket)
    apply_sender_verified(ticket, actor=actor, via=via)
    return ticket
