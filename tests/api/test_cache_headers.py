"""No API answer may be kept by a browser or a shared cache: each one carries
`Cache-Control: no-store, private`, like the portal's pages, whether it holds a customer's
tickets, an agent's view of them, an error or a throttled answer."""

import pytest

from tests.api.conftest import client_for, token_client

pytestmark = pytest.mark.django_db


def assert_not_stored(response) -> None:
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= directives, response["Cache-Control"]


def test_every_customer_ticket_answer_is_no_store(customer_a, ticket_a):
    client, _ = token_client(customer_a.user)
    base = f"/api/v1/tickets/{ticket_a.public_id}"

    answers = [
        client.get("/api/v1/tickets"),
        client.get(base),
        client.post(base + "/messages", {"body": "Any news?"}, format="json"),
        client.post("/api/v1/tickets", {"subject": "Second", "description": "More"}, format="json"),
    ]

    assert [response.status_code for response in answers] == [200, 200, 201, 201]
    for response in answers:
        assert_not_stored(response)


def test_errors_and_refusals_are_no_store_too(customer_a, customer_b, ticket_a, anon):
    answers = [
        client_for(customer_b.user).get(f"/api/v1/tickets/{ticket_a.public_id}"),
        anon.get("/api/v1/tickets"),
        client_for(customer_a.user).post("/api/v1/tickets", {}, format="json"),
        anon.get("/api/v1/no-such-endpoint"),
    ]

    assert [response.status_code for response in answers] == [404, 401, 400, 404]
    for response in answers:
        assert_not_stored(response)


def test_a_throttled_answer_is_no_store(customer_a, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "user": "1/hour"}
    client = client_for(customer_a.user)
    client.get("/api/v1/tickets")

    response = client.get("/api/v1/tickets")

    assert response.status_code == 429
    assert_not_stored(response)


def test_the_agents_view_of_customer_tickets_is_no_store(agent, ticket_a):
    client = client_for(agent)

    for path in ("/api/v1/agent/tickets", f"/api/v1/agent/tickets/{ticket_a.reference}"):
        response = client.get(path)
        assert response.status_code == 200
        assert_not_stored(response)
