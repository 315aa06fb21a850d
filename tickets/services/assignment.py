"""Who works a ticket: its assignee and its team (assign, claim, change team).

Each verb locks the ticket, checks its guard, runs the before-hooks and writes one
`TicketEvent` per effective change, as every lifecycle verb does (`tickets.services.lifecycle`).
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from agents.models import Team
from agents.permissions import agent_display_name, is_agent
from common.exceptions import ApplicationError
from tickets import hooks
from tickets.models import Ticket, TicketEvent
from tickets.services._common import ensure_agent, ensure_not_closed, lock_ticket, record_event

User = get_user_model()


@transaction.atomic
def ticket_assign(
    *, ticket: Ticket, assignee, actor=None, via: str = "assign", details: dict | None = None
) -> Ticket:
    """Give the ticket to an agent (or to nobody with `assignee=None`).

    Writes one `assigned` event with the previous and new assignee; `details` (routing's
    strategy and scores) are merged into the event data so the timeline can say why.
    """
    ensure_agent(actor)
    if assignee is not None and not is_agent(assignee):
        raise ValidationError({"assignee": "Tickets can only be assigned to agents."})
    ticket = lock_ticket(ticket)
    ensure_not_closed(ticket)
    return _assign_locked(ticket, assignee=assignee, actor=actor, via=via, details=details)


def _assign_locked(
    ticket: Ticket, *, assignee, actor, via: str, details: dict | None = None
) -> Ticket:
    new_id = assignee.pk if assignee is not None else None
    if ticket.assignee_id == new_id:
        return ticket
    previous = ticket.assignee
    ctx = hooks.HookContext(
        verb="assign", ticket=ticket, actor=actor, changes={"assignee": assignee, "via": via}
    )
    hooks.run_before(ctx)
    assignee = ctx.changes["assignee"]
    ticket.assignee = assignee
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["assignee", "updated_at"])
    ctx.events.append(
        record_event(
            ticket,
            TicketEvent.Kind.ASSIGNED,
            actor=actor,
            from_value=agent_display_name(previous) if previous else "",
            to_value=agent_display_name(assignee) if assignee else "",
            data={
                **(details or {}),
                "from_id": previous.pk if previous else None,
                "to_id": assignee.pk if assignee else None,
                "via": ctx.changes.get("via", via),
            },
        )
    )
    hooks.schedule_after(ctx)
    return ticket


@transaction.atomic
def ticket_claim(*, ticket: Ticket, agent) -> Ticket:
    """An agent takes an unassigned ticket. When two claim at once exactly one wins: the row
    lock serialises them and the second sees the first one's claim and is refused."""
    ensure_agent(agent, allow_system=False)
    ticket = lock_ticket(ticket)
    ensure_not_closed(ticket)
    if ticket.assignee_id == agent.pk:
        return ticket
    if ticket.assignee_id is not None:
        raise ApplicationError(
            f"{ticket.reference} was already claimed by {agent_display_name(ticket.assignee)}.",
            code="already_claimed",
        )
    return _assign_locked(ticket, assignee=agent, actor=agent, via="claim")


@transaction.atomic
def ticket_change_team(*, ticket: Ticket, team: Team | None, actor=None) -> Ticket:
    ensure_agent(actor)
    ticket = lock_ticket(ticket)
    ensure_not_closed(ticket)
    new_id = team.pk if team else None
    if ticket.team_id == new_id:
        return ticket
    previous = ticket.team
    ctx = hooks.HookContext(verb="change_team", ticket=ticket, actor=actor, changes={"team": team})
    hooks.run_before(ctx)
    team = ctx.changes["team"]
    ticket.team = team
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["team", "updated_at"])
    ctx.events.append(
        record_event(
            ticket,
            TicketEvent.Kind.TEAM_CHANGED,
            actor=actor,
            from_value=previous.name if previous else "",
            to_value=team.name if team else "",
            data={"from_id": previous.pk if previous else None, "to_id": team.pk if team else None},
        )
    )
    hooks.schedule_after(ctx)
    return ticket
