"""A ticket filed without a category is routed when it gets one later (the AI classification
task answering after the routing task ran, found by the load-and-faults harness): it reaches
its category's team instead of staying in the unassigned queue."""

from agents.models import AssignmentStrategy
from agents.tasks import route_ticket
from tests.factories import AgentFactory, CategoryFactory, TeamFactory, TicketFactory
from tickets.services import ticket_change_category, ticket_change_team


def round_robin_team_for(category):
    team = TeamFactory(assignment_strategy=AssignmentStrategy.ROUND_ROBIN)
    team.categories.add(category)
    agent = AgentFactory()
    agent.agent_profile.teams.add(team)
    return team, agent


def test_a_category_given_after_routing_routes_the_ticket(db, django_capture_on_commit_callbacks):
    category = CategoryFactory()
    team, agent = round_robin_team_for(category)
    ticket = TicketFactory(category=None)
    route_ticket(ticket.pk)  # the routing task ran first: no category, no team
    ticket.refresh_from_db()
    assert ticket.team is None

    with django_capture_on_commit_callbacks(execute=True):
        ticket_change_category(ticket=ticket, category=category)

    ticket.refresh_from_db()
    assert ticket.team == team
    assert ticket.assignee == agent


def test_a_category_change_leaves_a_ticket_with_a_team_where_it_is(
    db, django_capture_on_commit_callbacks
):
    category = CategoryFactory()
    round_robin_team_for(category)
    other_team = TeamFactory()
    ticket = ticket_change_team(ticket=TicketFactory(category=None), team=other_team)

    with django_capture_on_commit_callbacks(execute=True):
        ticket_change_category(ticket=ticket, category=category)

    ticket.refresh_from_db()
    assert ticket.team == other_team
    assert ticket.assignee is None
