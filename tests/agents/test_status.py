"""The agent's own status: the service and the top-bar control (agents only, own status only)."""

import pytest
from django.urls import reverse

from agents.models import AgentProfile, AssignmentStrategy
from agents.services import agent_set_status
from common.exceptions import ApplicationError
from tests.factories import CustomerWithAccountFactory, TeamFactory, TicketFactory, UserFactory
from tickets.services import ticket_change_team

HTMX = {"HTTP_HX_REQUEST": "true"}
URL = "/desk/notifications/status/"

# Session, user, agent profile (is the user an agent?); then the service's savepoint, the
# profile row locked, the update, the release. Becoming available queues the waiting-tickets
# task on commit; that is not counted here.
STATUS_QUERIES = 7


def status_of(user) -> str:
    return AgentProfile.objects.get(user=user).status


def test_the_url_is_named():
    assert reverse("notifications:agent_status") == URL


def test_the_service_sets_the_status_and_a_repeat_is_a_noop(agent, django_assert_num_queries):
    agent_set_status(agent=agent.agent_profile, status="away", actor=agent)
    assert status_of(agent) == "away"
    with django_assert_num_queries(3):  # savepoint, the locked read, release: no write
        agent_set_status(agent=agent.agent_profile, status="away", actor=agent)


def test_the_service_refuses_someone_elses_status_and_unknown_values(agent, other_agent):
    with pytest.raises(ApplicationError):
        agent_set_status(agent=other_agent.agent_profile, status="away", actor=agent)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        agent_set_status(agent=agent.agent_profile, status="asleep", actor=agent)
    assert status_of(other_agent) == "available"


def test_the_desk_shows_the_agents_status_control(client, agent):
    agent.agent_profile.status = "away"
    agent.agent_profile.save()
    client.force_login(agent)
    html = client.get(reverse("desk:queue")).content.decode()
    assert 'id="agent-status"' in html
    assert '<option value="away" selected>Away</option>' in html


def test_htmx_post_sets_my_status_and_returns_the_control(
    client, agent, django_assert_max_num_queries
):
    client.force_login(agent)
    with django_assert_max_num_queries(STATUS_QUERIES):
        response = client.post(URL, {"agent_status": "away"}, **HTMX)
    assert response.status_code == 200
    assert "agent-status-changed" in response["HX-Trigger"]
    html = response.content.decode()
    assert 'class="agent-status status-away"' in html
    assert '<option value="away" selected>' in html
    assert status_of(agent) == "away"


def test_a_plain_post_redirects_back(client, agent):
    client.force_login(agent)
    response = client.post(URL, {"agent_status": "offline", "next": "/desk/?mine=1"})
    assert response.status_code == 302 and response["Location"] == "/desk/?mine=1"
    response = client.post(URL, {"agent_status": "away", "next": "https://evil.example/"})
    assert response["Location"] == reverse("desk:queue")
    assert status_of(agent) == "away"


def test_only_my_own_status_changes_whatever_is_posted(client, agent, other_agent):
    client.force_login(agent)
    client.post(URL, {"agent_status": "away", "agent": other_agent.pk, "user": other_agent.pk})
    assert status_of(agent) == "away"
    assert status_of(other_agent) == "available"


def test_an_unknown_status_is_a_400(client, agent):
    client.force_login(agent)
    response = client.post(URL, {"agent_status": "asleep"}, **HTMX)
    assert response.status_code == 400
    assert status_of(agent) == "available"


def test_customers_and_visitors_cannot_set_a_status(client, db):
    response = client.post(URL, {"agent_status": "away"})
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(CustomerWithAccountFactory().user)
    assert client.post(URL, {"agent_status": "away"}).status_code == 403


def test_a_superuser_without_a_profile_has_no_status(client, db):
    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    assert client.post(URL, {"agent_status": "away"}).status_code == 403
    assert 'id="agent-status"' not in client.get(reverse("desk:queue")).content.decode()


def test_get_is_not_allowed(client, agent):
    client.force_login(agent)
    assert client.get(URL).status_code == 405


def test_coming_back_hands_out_waiting_tickets(client, agent, django_capture_on_commit_callbacks):
    team = TeamFactory(assignment_strategy=AssignmentStrategy.LEAST_BUSY)
    agent.agent_profile.teams.add(team)
    agent_set_status(agent=agent.agent_profile, status="away", actor=agent)
    ticket = ticket_change_team(ticket=TicketFactory(), team=team)
    client.force_login(agent)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, {"agent_status": "available"}, **HTMX)
    ticket.refresh_from_db()
    assert ticket.assignee == agent
