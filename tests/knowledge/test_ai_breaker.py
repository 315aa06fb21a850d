"""The AI provider's circuit breaker (knowledge.ai.breaker) against the real stub server:
provider faults in a row pause every model call, a 429's Retry-After is honoured, the first
call after a pause is the only trial, and what features do while calls are paused."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.http import http_date

from knowledge.ai import breaker
from knowledge.ai.service import ai_call_json
from knowledge.embeddings import embed_texts
from knowledge.models import AIInteraction, AIProviderState
from tests.factories import CategoryFactory, CustomerFactory
from tickets.services import ticket_create

pytestmark = pytest.mark.django_db

Outcome = AIInteraction.Outcome


def ask():
    return ai_call_json(
        purpose=AIInteraction.Purpose.CLASSIFY,
        messages=[{"role": "user", "content": "My card was charged twice."}],
        schema_hint='{"category": string}',
    )


def state() -> AIProviderState:
    return AIProviderState.objects.get(pk=breaker.STATE_PK)


def paused_for() -> float:
    return (state().paused_until - timezone.now()).total_seconds()


def trip_the_breaker(stub) -> None:
    """Three provider faults in a row (the stub answering 500): calls are paused."""
    stub.mode = "500"
    for _ in range(3):
        ask()


def let_the_pause_run_out() -> None:
    AIProviderState.objects.filter(pk=breaker.STATE_PK).update(
        paused_until=timezone.now() - timedelta(seconds=1)
    )


@pytest.fixture
def breaker_settings(ai_settings):
    ai_settings.AI_PAUSE_AFTER_FAULTS = 3
    ai_settings.AI_PAUSE_SECONDS = 30
    ai_settings.AI_PAUSE_MAX_SECONDS = 600
    return ai_settings


@pytest.mark.parametrize("mode", ["500", "429", "sleep"])
def test_three_provider_faults_in_a_row_pause_every_call(breaker_settings, stub, mode):
    stub.mode = mode
    stub.sleep_seconds = 0.8  # past the 0.5 s timeout
    for _ in range(3):
        assert ask().data is None
    assert len(stub.requests) == 3
    assert 28 < paused_for() <= 30

    result = ask()

    assert result.data is None
    assert len(stub.requests) == 3  # no request made
    assert result.interaction.outcome == Outcome.SKIPPED_PAUSED
    assert "calls are paused until" in result.interaction.error
    assert AIInteraction.objects.filter(outcome=Outcome.FAILED).count() == 3


def test_a_fault_count_restarts_when_the_provider_answers(breaker_settings, stub):
    for modes in (["500", "500", "json"], ["500", "500", "malformed"], ["500", "500"]):
        for mode in modes:
            stub.mode = mode
            ask()
    assert len(stub.requests) == 8
    assert state().paused_until is None
    assert state().consecutive_faults == 2

    stub.mode = "500"
    ask()
    assert state().paused_until is not None


def test_errors_that_are_not_the_provider_being_down_do_not_pause(breaker_settings, stub):
    stub.mode = "401"  # a wrong key: every call fails fast, nothing is held up
    for _ in range(4):
        ask()
    assert len(stub.requests) == 4
    assert AIInteraction.objects.filter(outcome=Outcome.FAILED).count() == 4
    assert not AIProviderState.objects.filter(paused_until__isnull=False).exists()


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [("120", 120), ("100000", 600), (lambda: http_date(timezone.now().timestamp() + 90), 90)],
    ids=["seconds", "capped", "http-date"],
)
def test_a_429_with_retry_after_pauses_at_once_for_that_long(
    breaker_settings, stub, retry_after, expected
):
    stub.mode = "429"
    stub.retry_after = retry_after() if callable(retry_after) else retry_after

    ask()

    assert expected - 3 < paused_for() <= expected
    ask()
    assert len(stub.requests) == 1


def test_the_first_call_after_the_pause_is_the_only_trial(breaker_settings, stub):
    trip_the_breaker(stub)
    let_the_pause_run_out()

    trial = breaker.gate()
    meanwhile = breaker.gate()

    assert trial.open and trial.trial
    assert not meanwhile.open and meanwhile.paused_until > timezone.now()


def test_a_trial_that_fails_pauses_twice_as_long_up_to_the_maximum(breaker_settings, stub):
    breaker_settings.AI_PAUSE_MAX_SECONDS = 100
    trip_the_breaker(stub)
    pauses = [round(paused_for())]
    for _ in range(3):
        let_the_pause_run_out()
        ask()  # the trial, failing once
        pauses.append(round(paused_for()))

    assert pauses == [30, 60, 100, 100]
    assert len(stub.requests) == 6


def test_a_trial_that_succeeds_closes_the_breaker(breaker_settings, stub):
    trip_the_breaker(stub)
    let_the_pause_run_out()
    stub.mode = "json"

    assert ask().data is not None

    assert (state().paused_until, state().consecutive_faults, state().trips) == (None, 0, 0)
    assert ask().interaction.outcome == Outcome.SENT


def test_embeddings_share_the_pause(breaker_settings, stub):
    breaker_settings.AI_EMBEDDING_MODEL = "stub-embedding"
    trip_the_breaker(stub)

    vectors, interaction = embed_texts(["refund"])

    assert vectors is None
    assert interaction.outcome == Outcome.SKIPPED_PAUSED
    assert stub.embedding_requests == []


def test_a_new_ticket_while_paused_asks_nothing_and_still_reaches_the_desk(
    breaker_settings, stub, django_capture_on_commit_callbacks
):
    from tickets.models import Status, Ticket

    CategoryFactory(slug="billing", name="Billing", prefix="BIL")
    trip_the_breaker(stub)
    requests_before = len(stub.requests)

    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(customer=CustomerFactory(), subject="Odd question", body="Hello?")

    assert len(stub.requests) == requests_before
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.status == Status.OPEN
    skipped = AIInteraction.objects.filter(ticket=ticket)
    assert skipped.exists()
    assert set(skipped.values_list("outcome", flat=True)) == {Outcome.SKIPPED_PAUSED}


def test_resume_closes_the_breaker_at_once(breaker_settings, stub):
    trip_the_breaker(stub)
    stub.mode = "json"

    assert breaker.resume() == 1

    assert ask().interaction.outcome == Outcome.SENT
    assert breaker.resume() == 0  # nothing to resume


def test_the_admin_shows_the_pause_and_resumes_calls(breaker_settings, stub, admin_client):
    trip_the_breaker(stub)

    log = admin_client.get("/admin/knowledge/aiinteraction/")
    assert "calls are paused until" in log.text
    response = admin_client.post(
        "/admin/knowledge/aiproviderstate/",
        {"action": "resume_calls", "_selected_action": [breaker.STATE_PK]},
        follow=True,
    )

    assert response.status_code == 200
    assert "AI calls resume with the next call." in response.text
    assert state().paused_until is None
    assert "calls are paused" not in admin_client.get("/admin/knowledge/aiinteraction/").text
