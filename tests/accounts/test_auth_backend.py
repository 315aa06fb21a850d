"""The session's user comes with its agent profile in one query (accounts.auth)."""

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, get_user
from django.urls import reverse

from tests.factories import AgentFactory, CustomerWithAccountFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


def test_signing_in_reads_the_agent_and_profile_in_one_query(client, rf, django_assert_num_queries):
    agent = AgentFactory(agent_profile__display_name="Ada Agent")
    agent.set_password(PASSWORD)
    agent.save()

    response = client.post(reverse("login"), {"username": agent.username, "password": PASSWORD})

    assert response.status_code == 302
    assert client.session[BACKEND_SESSION_KEY] == "accounts.auth.UserWithProfileBackend"
    request = rf.get("/")
    request.session = client.session
    with django_assert_num_queries(2):  # the session, the user with the profile
        user = get_user(request)
        assert user.agent_profile.display_name == "Ada Agent"


def test_a_customer_has_no_profile_and_asking_costs_nothing(client, rf, django_assert_num_queries):
    customer = CustomerWithAccountFactory().user
    client.force_login(customer)
    request = rf.get("/")
    request.session = client.session

    user = get_user(request)

    with django_assert_num_queries(0):
        assert not hasattr(user, "agent_profile")


def test_a_session_signed_in_before_the_backend_existed_stays_signed_in(client):
    agent = AgentFactory()
    client.force_login(agent, backend="django.contrib.auth.backends.ModelBackend")

    assert client.get(reverse("desk:queue")).status_code == 200


def test_a_deactivated_user_is_signed_out(client):
    agent = AgentFactory()
    client.force_login(agent)
    agent.is_active = False
    agent.save()

    response = client.get(reverse("desk:queue"))

    assert response.status_code == 302
    assert reverse("login") in response["Location"]
