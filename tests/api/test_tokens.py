"""Personal API tokens: hashed storage, Bearer authentication, revocation, last-used time, and
the desk and portal pages that create and revoke them."""

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import ApiToken
from api.tokens import api_token_create, api_token_revoke
from tests.api.conftest import assert_error, token_client

pytestmark = pytest.mark.django_db


def test_only_the_hash_is_stored(customer_a):
    token, key = api_token_create(user=customer_a.user, name="CRM")

    row = ApiToken.objects.get(pk=token.pk)
    assert key.startswith("hd_") and len(key) > 40
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(ApiToken.objects.values().get(pk=token.pk))
    assert row.prefix == key[:10]


def test_bearer_token_authenticates_as_its_user(customer_a, ticket_a):
    client, _ = token_client(customer_a.user)

    response = client.get("/api/v1/tickets")

    assert response.status_code == 200
    assert [t["reference"] for t in response.json()["results"]] == [ticket_a.reference]


def test_token_requests_need_no_csrf(customer_a):
    client, _ = token_client(customer_a.user)
    client.handler.enforce_csrf_checks = True

    response = client.post("/api/v1/tickets", {"subject": "s", "description": "d"})

    assert response.status_code == 201


def test_session_posts_need_csrf(customer_a):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(customer_a.user)

    response = client.post("/api/v1/tickets", {"subject": "s", "description": "d"})

    assert_error(response, 403)


def test_revoked_token_is_refused(customer_a):
    client, key = token_client(customer_a.user)
    token = ApiToken.objects.get(user=customer_a.user)
    api_token_revoke(token=token, actor=customer_a.user)

    response = client.get("/api/v1/tickets")

    assert_error(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_unknown_or_malformed_token_is_401(anon):
    for header in ("Bearer hd_nope", "Bearer", "Bearer a b"):
        anon.credentials(HTTP_AUTHORIZATION=header)
        assert_error(anon.get("/api/v1/tickets"), 401)


def test_inactive_user_token_is_refused(customer_a):
    client, _ = token_client(customer_a.user)
    customer_a.user.is_active = False
    customer_a.user.save()

    assert_error(client.get("/api/v1/tickets"), 401)


def test_last_used_is_written_at_most_once_a_minute(customer_a):
    client, _ = token_client(customer_a.user)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.get("/api/v1/tickets")
    first = ApiToken.objects.get().last_used_at
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        client.get("/api/v1/tickets")
    assert ApiToken.objects.get().last_used_at == first
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        client.get("/api/v1/tickets")
    assert ApiToken.objects.get().last_used_at == start + timedelta(seconds=61)


def test_revoking_someone_elses_token_is_refused(customer_a, customer_b):
    token, _ = api_token_create(user=customer_a.user, name="a")
    from common.exceptions import ApplicationError

    with pytest.raises(ApplicationError):
        api_token_revoke(token=token, actor=customer_b.user)


# Pages ---------------------------------------------------------------------------------------


def test_desk_page_creates_shows_once_and_revokes(client, agent):
    client.force_login(agent)

    created = client.post("/desk/api-tokens/", {"name": "Zapier"}, follow=True)
    assert created.redirect_chain == [("/desk/api-tokens/", 302)]
    key = created.context["new_key"]
    assert key in created.content.decode()
    assert "no-store" in created["Cache-Control"]
    token = ApiToken.objects.get(user=agent)
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()

    listing = client.get("/desk/api-tokens/").content.decode()
    assert key not in listing and token.prefix in listing

    revoked = client.post(f"/desk/api-tokens/{token.pk}/revoke/")
    assert revoked.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_desk_page_blank_name_is_400(client, agent):
    client.force_login(agent)
    response = client.post("/desk/api-tokens/", {"name": " "})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_desk_page_is_for_agents(client, customer_a):
    client.force_login(customer_a.user)
    assert client.get("/desk/api-tokens/").status_code == 403


def test_portal_page_for_customers_with_an_account(client, customer_a, customer_b):
    client.force_login(customer_a.user)
    response = client.post("/portal/api-tokens/", {"name": "Script"})
    assert response.status_code == 302
    token = ApiToken.objects.get(user=customer_a.user)

    client.force_login(customer_b.user)
    assert client.post(f"/portal/api-tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_portal_page_needs_login(client):
    response = client.get("/portal/api-tokens/")
    assert response.status_code == 302 and "/login/" in response["Location"]
