"""Idempotency records are deleted after IDEMPOTENCY_KEY_TTL_HOURS by a daily task; younger
ones stay and keep replaying."""

from datetime import timedelta

import pytest
from django.utils import timezone

from api.models import IdempotencyRecord
from api.tasks import delete_expired_idempotency_records
from helpdesk.schedules import SCHEDULES


def _record(key: str, age: timedelta) -> IdempotencyRecord:
    return IdempotencyRecord.objects.create(
        scope="user:1",
        endpoint="tickets.create",
        key=key,
        fingerprint="0" * 64,
        response_status=201,
        response_body={"id": key},
        created_at=timezone.now() - age,
    )


@pytest.mark.django_db
def test_cleanup_deletes_only_records_older_than_the_ttl_and_is_idempotent(settings):
    settings.IDEMPOTENCY_KEY_TTL_HOURS = 24
    _record("old", timedelta(hours=25))
    _record("ancient", timedelta(days=30))
    _record("fresh", timedelta(hours=23))

    assert delete_expired_idempotency_records() == 2
    assert delete_expired_idempotency_records() == 0

    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]


@pytest.mark.django_db
def test_ttl_comes_from_settings(settings):
    settings.IDEMPOTENCY_KEY_TTL_HOURS = 1
    _record("two-hours", timedelta(hours=2))

    assert delete_expired_idempotency_records() == 1
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
def test_a_kept_key_still_replays_after_cleanup(alice, settings):
    settings.IDEMPOTENCY_KEY_TTL_HOURS = 24
    body = {"subject": "Printer on fire", "description": "Smoke everywhere."}
    first = alice.post("/api/v1/tickets", body, format="json", HTTP_IDEMPOTENCY_KEY="k-keep")

    delete_expired_idempotency_records()
    retry = alice.post("/api/v1/tickets", body, format="json", HTTP_IDEMPOTENCY_KEY="k-keep")

    assert retry.status_code == 201
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()


@pytest.mark.django_db
def test_an_expired_key_files_a_new_ticket(alice, settings):
    settings.IDEMPOTENCY_KEY_TTL_HOURS = 24
    body = {"subject": "Printer on fire", "description": "Smoke everywhere."}
    first = alice.post("/api/v1/tickets", body, format="json", HTTP_IDEMPOTENCY_KEY="k-old")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))

    delete_expired_idempotency_records()
    again = alice.post("/api/v1/tickets", body, format="json", HTTP_IDEMPOTENCY_KEY="k-old")

    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again
    assert again.json()["public_id"] != first.json()["public_id"]


def test_cleanup_is_scheduled_daily():
    entry = next(s for s in SCHEDULES if s["name"] == "helpdesk:idempotency-cleanup")
    assert entry["func"] == "api.tasks.delete_expired_idempotency_records"
    assert entry["schedule_type"] == "D"
