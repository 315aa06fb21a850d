"""Who an escalation level reaches: the agent it reassigns to (a senior, the team lead or a
manager, whoever is available and least loaded) and the people it notifies.
"""

from datetime import datetime

from django.contrib.auth import get_user_model

from agents.models import AgentProfile
from agents.selectors import on_call_agent, open_ticket_count
from sla.models import EscalationLevel
from tickets.models import Ticket

User = get_user_model()


def _available(profiles):
    return profiles.exclude(status=AgentProfile.Status.OFFLINE).filter(user__is_active=True)


def _least_loaded(profiles) -> User | None:
    profile = (
        profiles.annotate(open_load=open_ticket_count())
        .order_by("open_load", "pk")
        .select_related("user")
        .first()
    )
    return profile.user if profile else None


def _managers():
    return _available(AgentProfile.objects.filter(seniority=AgentProfile.Seniority.MANAGER))


def _team_lead(ticket: Ticket):
    return ticket.team.lead if ticket.team_id and ticket.team.lead_id else None


def is_covered(ticket: Ticket) -> bool:
    """Whether the ticket has an assignee who is at work (active, neither away nor offline)."""
    if not ticket.assignee_id or not ticket.assignee.is_active:
        return False
    status = (
        AgentProfile.objects.filter(user_id=ticket.assignee_id)
        .values_list("status", flat=True)
        .first()
    )
    return status == AgentProfile.Status.AVAILABLE


def reassign_target(kind: str, ticket: Ticket, now: datetime):
    """The agent a level reassigns to, or None when nobody fits."""
    if kind == EscalationLevel.Reassign.SENIOR:
        seniors = _available(AgentProfile.objects.filter(seniority=AgentProfile.Seniority.SENIOR))
        if ticket.team_id:
            in_team = seniors.filter(teams=ticket.team_id)
            if in_team.exists():
                seniors = in_team
        return _least_loaded(seniors.exclude(user_id=ticket.assignee_id))
    if kind == EscalationLevel.Reassign.TEAM_LEAD:
        return _team_lead(ticket)
    if kind == EscalationLevel.Reassign.MANAGER:
        return _least_loaded(_managers())
    if kind == EscalationLevel.Reassign.ON_CALL:
        return on_call_agent(priority=ticket.priority, at=now, team=ticket.team)
    return None


def level_recipients(level: EscalationLevel, ticket: Ticket, now: datetime) -> list:
    people = []
    if level.notify_assignee and ticket.assignee_id:
        people.append(ticket.assignee)
    if level.notify_team_lead and (lead := _team_lead(ticket)):
        people.append(lead)
    if level.notify_manager:
        people += [profile.user for profile in _managers().select_related("user")]
    if level.notify_on_call and (
        on_call := on_call_agent(priority=ticket.priority, at=now, team=ticket.team)
    ):
        people.append(on_call)
    unique = []
    for person in people:
        if person not in unique:
            unique.append(person)
    return unique
