"""API tokens in the Django admin: listed read-only (hash and prefix, never a key), not
creatable or deletable there, and revocable in bulk through the token service."""

import pytest
from django.urls import reverse

from api.models import ApiToken
from api.tokens import api_token_create, api_token_revoke
from tests.factories import UserFactory

CHANGELIST = reverse("admin:api_apitoken_changelist")


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.mark.django_db
def test_the_list_shows_prefixes_and_owners_with_bounded_queries(
    staff_client, customer_a, agent, django_assert_max_num_queries
):
    keys = [
        api_token_create(user=user, name=f"ci-{user.pk}")[1] for user in (customer_a.user, agent)
    ]

    with django_assert_max_num_queries(12):
        response = staff_client.get(CHANGELIST)

    assert response.status_code == 200
    for key in keys:
        assert key[:10] in response.text
        assert key not in response.text


@pytest.mark.django_db
def test_the_change_page_is_read_only_and_shows_no_key(staff_client, customer_a):
    token, key = api_token_create(user=customer_a.user, name="billing sync")

    page = staff_client.get(reverse("admin:api_apitoken_change", args=[token.pk]))
    posted = staff_client.post(
        reverse("admin:api_apitoken_change", args=[token.pk]),
        {"name": "renamed", "key_hash": "0" * 64},
    )

    assert page.status_code == 200
    assert token.key_hash in page.text
    assert key not in page.text
    assert 'name="key_hash"' not in page.text
    assert posted.status_code in (200, 302)  # every field is read-only: nothing to save
    token.refresh_from_db()
    assert token.name == "billing sync"
    assert token.key_hash != "0" * 64


@pytest.mark.django_db
def test_tokens_cannot_be_added_or_deleted_in_the_admin(staff_client, customer_a):
    token, _ = api_token_create(user=customer_a.user, name="x")

    assert staff_client.get(reverse("admin:api_apitoken_add")).status_code == 403
    assert (
        staff_client.post(
            reverse("admin:api_apitoken_delete", args=[token.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert ApiToken.objects.filter(pk=token.pk).exists()


@pytest.mark.django_db
def test_the_revoke_action_revokes_through_the_service_and_the_key_stops_working(
    staff_client, customer_a, agent
):
    kept, kept_key = api_token_create(user=agent, name="kept")
    leaked, leaked_key = api_token_create(user=customer_a.user, name="leaked")
    before, _ = api_token_create(user=customer_a.user, name="already revoked")
    api_token_revoke(token=before, actor=customer_a.user)
    before.refresh_from_db()
    revoked_at = before.revoked_at

    response = staff_client.post(
        CHANGELIST,
        {"action": "revoke", "_selected_action": [leaked.pk, before.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "Revoked 1 token(s)" in response.text
    leaked.refresh_from_db()
    before.refresh_from_db()
    kept.refresh_from_db()
    assert leaked.revoked_at is not None
    assert before.revoked_at == revoked_at  # a no-op on an already revoked token
    assert kept.revoked_at is None
    refused = staff_client.get("/api/v1/tickets", HTTP_AUTHORIZATION=f"Bearer {leaked_key}")
    assert refused.status_code == 401


@pytest.mark.django_db
def test_a_staff_user_without_the_change_permission_cannot_revoke(client, customer_a):
    viewer = UserFactory(is_staff=True)
    token, _ = api_token_create(user=customer_a.user, name="x")

    from common.exceptions import ApplicationError

    with pytest.raises(ApplicationError):
        api_token_revoke(token=token, actor=viewer)
    token.refresh_from_db()
    assert token.revoked_at is None
