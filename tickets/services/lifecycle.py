"""The ticket lifecycle: status changes (transition, resolve, close, reopen).

This module, `tickets.services.assignment` (assignee, team) and `tickets.services.triage`
(priority, category, type, tags, escalation) are the only code that changes those fields.

Each verb re-reads the ticket with its row locked, checks its guard, runs the before-hooks,
saves with `update_fields` and writes exactly one `TicketEvent` per effective change in the
same transaction; a no-op writes nothing. After-hooks run on commit (see `tickets.hooks`).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from common.exceptions import ApplicationError
from tickets import hooks
from tickets.models import Status, Ticket, TicketEvent
from tickets.services._common import ensure_agent, lock_ticket, record_event, require_text

# The allowed moves (product.md): open → in_progress → waiting_customer / waiting_internal
# → in_progress → resolved → closed, and resolved → in_progress when reopened.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.OPEN: frozenset({Status.IN_PROGRESS}),
    Status.IN_PROGRESS: frozenset(
        {Status.WAITING_CUSTOMER, Status.WAITING_INTERNAL, Status.RESOLVED}
    ),
    Status.WAITING_CUSTOMER: frozenset({Status.IN_PROGRESS}),
    Status.WAITING_INTERNAL: frozenset({Status.IN_PROGRESS}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.IN_PROGRESS}),
    Status.CLOSED: frozenset(),
}


def allowed_next_statuses(status: str) -> list[str]:
    """The statuses a ticket may move to next, in lifecycle order."""
    allowed = ALLOWED_TRANSITIONS.get(status, frozenset())
    return [value for value in Status.values if value in allowed]


def _label(status: str) -> str:
    return Status(status).label


def apply_status_change(
    ticket: Ticket, to_status: str, *, actor, reason: str = "", data: dict | None = None
) -> TicketEvent | None:
    """Move a locked ticket to `to_status`: guard, timestamps and the event. No hooks, no save
    of unrelated fields; callers hold the lock and save `update_fields` returned on the ticket."""
    from_status = ticket.status
    if to_status == from_status:
        return None
    if to_status not in Status.values:
        raise ValidationError({"status": f"Unknown status {to_status!r}."})
    if to_status not in ALLOWED_TRANSITIONS[from_status]:
        allowed = ", ".join(_label(s) for s in allowed_next_statuses(from_status)) or "none"
        raise ApplicationError(
            f"{ticket.reference} cannot move from {_label(from_status)} to {_label(to_status)}. "
            f"Allowed next: {allowed}.",
            code="transition_refused",
        )
    now = timezone.now()
    fields = ["status", "updated_at"]
    ticket.status = to_status
    ticket.updated_at = now
    if to_status == Status.RESOLVED:
        ticket.resolved_at = now
        fields.append("resolved_at")
    elif from_status == Status.RESOLVED and to_status == Status.IN_PROGRESS:
        ticket.resolved_at = None
        ticket.resolution = ""
        fields += ["resolved_at", "resolution"]
    if to_status == Status.CLOSED:
        ticket.closed_at = now
        fields.append("closed_at")
    ticket.save(update_fields=fields)
    event_data = dict(data or {})
    if reason:
        event_data["reason"] = reason
    return record_event(
        ticket,
        TicketEvent.Kind.STATUS_CHANGED,
        actor=actor,
        from_value=from_status,
        to_value=to_status,
        data=event_data,
        at=now,
    )


def close_merged_locked(ticket: Ticket, *, actor, reason: str) -> TicketEvent | None:
    """Close a locked ticket that was just merged into another, from any status but closed.

    The one move outside the table (docs/lifecycle.md, "Merging"): a merged duplicate has
    nothing left to resolve, so it goes straight to closed with one `status_changed` event
    (`data.via` = merge). Only `ticket_merge` calls it; the caller schedules the hooks.
    """
    from_status = ticket.status
    if from_status == Status.CLOSED:
        return None
    now = timezone.now()
    ticket.status = Status.CLOSED
    ticket.closed_at = now
    ticket.updated_at = now
    ticket.save(update_fields=["status", "closed_at", "updated_at"])
    return record_event(
        ticket,
        TicketEvent.Kind.STATUS_CHANGED,
        actor=actor,
        from_value=from_status,
        to_value=Status.CLOSED,
        data={"reason": reason, "via": "merge"},
        at=now,
    )


@transaction.atomic
def ticket_transition(
    *, ticket: Ticket, to_status: str, actor=None, reason: str = "", resolution: str = ""
) -> Ticket:
    """Move a ticket along the lifecycle table; anything else is refused with the reason.

    Moving to resolved needs a resolution text. Writes one `status_changed` event.
    """
    ensure_agent(actor)
    ticket = lock_ticket(ticket)
    if to_status == ticket.status:
        return ticket
    ctx = hooks.HookContext(
        verb="transition",
        ticket=ticket,
        actor=actor,
        changes={"status": to_status, "reason": reason},
    )
    if to_status == Status.RESOLVED:
        ctx.changes["resolution"] = require_text(
            resolution, field="resolution", label="A resolution"
        )
    hooks.run_before(ctx)
    to_status = ctx.changes["status"]
    data = {}
    if to_status == Status.RESOLVED:
        ticket.resolution = ctx.changes["resolution"]
        ticket.save(update_fields=["resolution"])
        data["resolution"] = ticket.resolution
    event = apply_status_change(
        ticket, to_status, actor=actor, reason=ctx.changes.get("reason", ""), data=data
    )
    if event is not None:
        ctx.events.append(event)
        hooks.schedule_after(ctx)
    return ticket


def ticket_resolve(*, ticket: Ticket, actor=None, resolution: str) -> Ticket:
    """Resolve with a resolution text the customer will see."""
    return ticket_transition(
        ticket=ticket, to_status=Status.RESOLVED, actor=actor, resolution=resolution
    )


def ticket_close(*, ticket: Ticket, actor=None, reason: str = "") -> Ticket:
    return ticket_transition(ticket=ticket, to_status=Status.CLOSED, actor=actor, reason=reason)


def ticket_reopen(*, ticket: Ticket, actor=None, reason: str = "") -> Ticket:
    """Reopen a resolved ticket: it goes back to in progress and loses its resolution."""
    if ticket.status != Status.RESOLVED:
        raise ApplicationError(
            f"Only resolved tickets can be reopened; {ticket.reference} is "
            f"{_label(ticket.status).lower()}.",
            code="transition_refused",
        )
    return ticket_transition(
        ticket=ticket, to_status=Status.IN_PROGRESS, actor=actor, reason=reason
    )
