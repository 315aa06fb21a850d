"""How the SLA engine follows the ticket lifecycle (registered in tickets.hooks)."""

from sla.services import apply_ticket_events
from tickets.hooks import HookContext


def on_ticket_changed(ctx: HookContext) -> None:
    """After commit: move the clocks for the events the verb wrote."""
    if ctx.events:
        apply_ticket_events(ticket_id=ctx.ticket.pk, events=list(ctx.events))
