"""The SLA summary stored on the ticket for queues: written by the SLA engine only."""

from tickets.models import SlaState, Ticket


def ticket_store_sla_summary(*, ticket_id: int, due_at, state: str) -> bool:
    """Store the next SLA deadline and the overall SLA state; returns whether they changed.

    Derived state, not a lifecycle change: no event here (the SLA timeline records why).
    """
    if state not in SlaState.values:
        raise ValueError(f"Unknown SLA state {state!r}")
    changed = (
        Ticket.objects.filter(pk=ticket_id)
        .exclude(sla_due_at=due_at, sla_state=state)
        .update(sla_due_at=due_at, sla_state=state)
    )
    return bool(changed)
