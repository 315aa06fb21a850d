"""Fixtures for the API tests: the five callers of the permissions matrix and token clients.
Throttle counters are rows in the database, rolled back with each test."""

import pytest
from rest_framework.test import APIClient

from api.tokens import api_token_create
from tests.factories import AgentFactory, CustomerWithAccountFactory, TicketFactory, UserFactory
from tests.knowledge.conftest import ai_settings, stub  # noqa: F401 - shared AI stub fixtures


@pytest.fixture
def throttles_off(settings):
    """Query-count tests count the endpoint's own queries: no throttle counts (each would be
    one statement, in a savepoint of its own inside the test's transaction)."""
    settings.API_THROTTLE_RATES = {}


@pytest.fixture
def customer_a(db):
    return CustomerWithAccountFactory(email="alice@example.org")


@pytest.fixture
def customer_b(db):
    return CustomerWithAccountFactory(email="bob@example.org")


@pytest.fixture
def admin_user(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def anon():
    return APIClient()


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def token_client(user) -> tuple[APIClient, str]:
    _, key = api_token_create(user=user, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client, key


@pytest.fixture
def alice(customer_a):
    return client_for(customer_a.user)


@pytest.fixture
def bob(customer_b):
    return client_for(customer_b.user)


@pytest.fixture
def agent_client(agent):
    return client_for(agent)


@pytest.fixture
def admin_client(admin_user):
    return client_for(admin_user)


@pytest.fixture
def ticket_a(customer_a):
    return TicketFactory(customer=customer_a, subject="Invoice is wrong")


@pytest.fixture
def ticket_b(customer_b):
    return TicketFactory(customer=customer_b, subject="Bob's secret problem")


@pytest.fixture
def second_agent(db):
    return AgentFactory()


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The one error format: {"error": {"code", "message", "fields"}}."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]
