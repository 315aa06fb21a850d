"""Webhook subscriptions through the API: administrators only; the secret is shown once."""

import pytest

from tests.api.conftest import assert_error
from webhooks.models import WebhookSubscription

pytestmark = pytest.mark.django_db


def test_admin_crud(admin_client, admin_user):
    created = admin_client.post(
        "/api/v1/webhooks",
        {"name": "CRM", "url": "https://crm.example.com/hook", "events": ["ticket.created"]},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    subscription = WebhookSubscription.objects.get(pk=body["id"])
    assert body["secret"] == subscription.secret
    assert subscription.owner == admin_user

    url = f"/api/v1/webhooks/{subscription.pk}"
    read = admin_client.get(url).json()
    assert "secret" not in read and read["events"] == ["ticket.created"]
    assert admin_client.get("/api/v1/webhooks").json()["results"][0]["id"] == subscription.pk

    changed = admin_client.patch(
        url, {"events": ["ticket.resolved", "ticket.created"], "active": False}, format="json"
    )
    assert changed.json()["events"] == ["ticket.created", "ticket.resolved"]
    assert changed.json()["active"] is False

    rotated = admin_client.patch(url, {"rotate_secret": True}, format="json").json()
    assert rotated["secret"] != body["secret"]

    assert admin_client.delete(url).status_code == 204
    assert not WebhookSubscription.objects.exists()
    assert_error(admin_client.get(url), 404)


def test_bad_subscription_is_400(admin_client):
    response = admin_client.post(
        "/api/v1/webhooks",
        {"name": "", "url": "ftp://example.com", "events": ["ticket.exploded"]},
        format="json",
    )
    assert set(assert_error(response, 400)["fields"]) == {"name", "url", "events"}
    assert not WebhookSubscription.objects.exists()


def test_agents_and_customers_cannot_manage_webhooks(agent_client, alice, anon):
    for client in (agent_client, alice):
        assert_error(client.get("/api/v1/webhooks"), 403)
    assert_error(anon.get("/api/v1/webhooks"), 401)


def test_list_query_count_does_not_grow(admin_client, throttles_off, django_assert_max_num_queries):
    for n in range(12):
        WebhookSubscription.objects.create(
            name=f"h{n}", url="https://example.com/h", events=["ticket.created"]
        )
    with django_assert_max_num_queries(1):
        response = admin_client.get("/api/v1/webhooks?page_size=12")
    assert len(response.json()["results"]) == 12


def test_the_api_answers_400_for_an_internal_url_and_saves_nothing(admin_client):
    response = admin_client.post(
        "/api/v1/webhooks",
        {"name": "CRM", "url": "http://localhost:8080/hook", "events": ["ticket.created"]},
        format="json",
    )

    error = assert_error(response, 400)
    assert "Webhooks may not reach internal addresses" in error["fields"]["url"][0]
    assert not WebhookSubscription.objects.exists()


def test_the_api_refuses_changing_a_url_to_an_internal_one(admin_client):
    subscription = WebhookSubscription.objects.create(
        name="CRM", url="https://93.184.215.14/in", events=["ticket.created"]
    )

    response = admin_client.patch(
        f"/api/v1/webhooks/{subscription.pk}", {"url": "http://10.0.0.5/in"}, format="json"
    )

    assert_error(response, 400)
    subscription.refresh_from_db()
    assert subscription.url == "https://93.184.215.14/in"
