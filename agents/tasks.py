"""django-q2 tasks for routing. Each takes ids, re-fetches, and is safe to run twice: a
ticket already assigned is left alone, so a second run finds nothing more to do."""

from agents import routing
from agents.models import AgentProfile, Team


def route_ticket(ticket_id: int) -> bool:
    """Route a ticket that is still without team and assignee (queued when it gets its
    category after filing; a new ticket is routed in its follow-up task). Returns whether it
    got an assignee."""
    ticket = routing.ticket_route(ticket=ticket_id)
    return ticket is not None and ticket.assignee_id is not None


def assign_waiting_tickets(user_id: int | None = None) -> int:
    """Hand waiting tickets out, oldest deadline first: for one agent's teams when they became
    available or freed capacity, or for every routed team (the 5-minute schedule). Returns how
    many tickets were assigned."""
    if user_id is None:
        teams = Team.objects.exclude(assignment_strategy="manual").order_by("pk")
    else:
        profile = AgentProfile.objects.filter(user_id=user_id).first()
        if profile is None or profile.status != AgentProfile.Status.AVAILABLE:
            return 0
        teams = profile.teams.exclude(assignment_strategy="manual").order_by("pk")
    return sum(routing.team_assign_waiting(team=team) for team in teams)
