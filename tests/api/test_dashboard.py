"""The dashboard metrics through the API: agents only, the page's scoping."""

import pytest

from tests.api.conftest import assert_error
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


def test_lead_gets_every_card(lead, ticket_a):
    from tests.api.conftest import client_for

    response = client_for(lead).get(
        "/api/v1/agent/dashboard?since=2026-01-01T00:00:00Z&until=2026-01-08T00:00:00Z"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    # The figures are analytics' own (tested there); the API passes the period on.
    assert body["since"].startswith("2026-01-01") and body["until"].startswith("2026-01-08")
    assert {"open", "first_response", "ai_spend", "deflection"} <= set(body["cards"])


def test_plain_agent_sees_own_teams_and_no_desk_wide_cards(agent_client):
    other_team = TeamFactory(slug="elsewhere")

    body = agent_client.get("/api/v1/agent/dashboard").json()
    refused = agent_client.get(f"/api/v1/agent/dashboard?team={other_team.slug}")

    assert "ai_spend" not in body["cards"] and "deflection" not in body["cards"]
    assert "team" in assert_error(refused, 400)["fields"]


def test_bad_period_is_400(agent_client):
    response = agent_client.get(
        "/api/v1/agent/dashboard?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z"
    )
    assert "until" in assert_error(response, 400)["fields"]
    assert (
        "since" in assert_error(agent_client.get("/api/v1/agent/dashboard?since=x"), 400)["fields"]
    )


def test_customers_cannot_see_the_dashboard(alice, anon):
    assert_error(alice.get("/api/v1/agent/dashboard"), 403)
    assert_error(anon.get("/api/v1/agent/dashboard"), 401)
