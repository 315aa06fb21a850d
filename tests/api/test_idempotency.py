"""Idempotency-Key on ticket creation: a retry returns the first answer and creates nothing;
the same key with another body is 422; two concurrent requests create one ticket."""

import threading

import pytest
from django.db import close_old_connections, connection
from rest_framework.test import APIClient

from api.models import IdempotencyRecord
from tests.api.conftest import assert_error
from tests.factories import CustomerWithAccountFactory
from tickets.models import Ticket

BODY = {"subject": "Printer on fire", "description": "Smoke everywhere."}


@pytest.mark.django_db
def test_retry_returns_the_first_answer_without_a_duplicate(alice):
    first = alice.post("/api/v1/tickets", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    retry = alice.post("/api/v1/tickets", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_same_key_with_another_body_is_422(alice):
    alice.post("/api/v1/tickets", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-2")

    response = alice.post(
        "/api/v1/tickets",
        {**BODY, "subject": "Different"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-2",
    )

    assert_error(response, 422, "idempotency_key_reused")
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_keys_are_per_user(alice, bob):
    alice.post("/api/v1/tickets", BODY, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    response = bob.post("/api/v1/tickets", BODY, format="json", HTTP_IDEMPOTENCY_KEY="shared")

    assert response.status_code == 201
    assert Ticket.objects.count() == 2


@pytest.mark.django_db
def test_a_refused_request_stores_nothing_so_a_fixed_retry_works(alice):
    bad = alice.post("/api/v1/tickets", {"subject": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert_error(bad, 400)
    assert not IdempotencyRecord.objects.exists()

    good = alice.post("/api/v1/tickets", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert good.status_code == 201


@pytest.mark.django_db
def test_overlong_key_is_400(alice):
    response = alice.post("/api/v1/tickets", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k" * 256)
    assert "Idempotency-Key" in assert_error(response, 400)["fields"]


@pytest.mark.django_db
def test_without_a_key_each_request_creates(alice):
    alice.post("/api/v1/tickets", BODY, format="json")
    alice.post("/api/v1/tickets", BODY, format="json")
    assert Ticket.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_with_one_key_create_one_ticket():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent inserts are checked on PostgreSQL")
    customer = CustomerWithAccountFactory()
    barrier = threading.Barrier(2)
    answers = []

    def send():
        try:
            client = APIClient()
            client.force_authenticate(customer.user)
            barrier.wait(timeout=10)
            response = client.post(
                "/api/v1/tickets", BODY, format="json", HTTP_IDEMPOTENCY_KEY="race"
            )
            answers.append((response.status_code, response.json()))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert [status for status, _ in answers] == [201, 201]
    assert answers[0][1] == answers[1][1]
    assert Ticket.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
