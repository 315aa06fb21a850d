"""How the SLA engine follows the ticket lifecycle (registered in SlaConfig.ready())."""

from sla.services import apply_ticket_events
from tickets.hooks import HookContext

# The verbs whose events can start, pause, resume, meet or recompute an SLA clock.
SLA_VERBS = ("create", "transition", "reply", "customer_reply", "change_priority", "escalate")


def on_ticket_changed(ctx: HookContext) -> None:
    """Move the clocks for the events the verb wrote: after commit, or for a new ticket in
    the filing transaction (atomic: `apply_ticket_events` is its own savepoint). A new
    ticket is passed as the creation saved it (with its customer), so it is not read back."""
    if ctx.events:
        ticket = ctx.ticket if ctx.verb == "create" else None
        apply_ticket_events(ticket_id=ctx.ticket.pk, events=list(ctx.events), ticket=ticket)
