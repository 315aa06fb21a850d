"""One deadline per model call (knowledge.ai.client), against the real stub server: a provider
that hangs, trickles its answer a byte at a time or rate-limits us never holds a chat or
embeddings call past `AI_DEADLINE_SECONDS`, every such call is logged, and a 429 pauses calls
at once instead of being waited out."""

import signal
import time

import pytest
from django.utils import timezone

from knowledge.ai import breaker
from knowledge.ai.service import ai_call_json
from knowledge.embeddings import embed_texts
from knowledge.models import AIInteraction, AIProviderState
from tests.knowledge.conftest import STUB_EMBEDDING_MODEL

pytestmark = pytest.mark.django_db

Outcome = AIInteraction.Outcome

DEADLINE = 2.0
# Logging the call, the breaker and the budget check, on a busy shared machine.
MARGIN = 0.75


@pytest.fixture
def deadline_settings(ai_settings):
    """Per-attempt timeouts and a retry that together would take longer than the deadline."""
    ai_settings.AI_DEADLINE_SECONDS = DEADLINE
    ai_settings.AI_TIMEOUT_SECONDS = 1.5
    ai_settings.AI_MAX_RETRIES = 1
    ai_settings.AI_EMBEDDING_MODEL = STUB_EMBEDDING_MODEL
    ai_settings.AI_PAUSE_AFTER_FAULTS = 3
    ai_settings.AI_PAUSE_MAX_SECONDS = 600
    return ai_settings


def ask_chat():
    result = ai_call_json(
        purpose=AIInteraction.Purpose.CLASSIFY,
        messages=[{"role": "user", "content": "My card was charged twice."}],
        schema_hint='{"category": string}',
    )
    return result.data, result.interaction


def ask_embeddings():
    return embed_texts(["refund"])


CALLS = {"chat": ask_chat, "embeddings": ask_embeddings}


def misbehave(stub, call: str, mode: str) -> None:
    if call == "chat":
        stub.mode = mode
    else:
        stub.embedding_mode = mode


def requests_made(stub, call: str) -> int:
    return len(stub.requests if call == "chat" else stub.embedding_requests)


def timed(ask):
    started = time.monotonic()
    answer, interaction = ask()
    return answer, interaction, time.monotonic() - started


@pytest.mark.parametrize("call", ["chat", "embeddings"])
@pytest.mark.parametrize("mode", ["hang", "trickle"])
def test_a_provider_that_hangs_or_trickles_is_cut_off_at_the_deadline(
    deadline_settings, stub, call, mode
):
    misbehave(stub, call, mode)
    stub.trickle_interval = 0.2  # well inside the 1.5 s per-read timeout: reads never time out

    answer, interaction, elapsed = timed(CALLS[call])

    assert elapsed < DEADLINE + MARGIN
    assert answer is None
    assert requests_made(stub, call) >= 1
    logged = AIInteraction.objects.get()
    assert logged == interaction
    assert logged.outcome == Outcome.FAILED
    assert "No answer within the 2 s deadline" in logged.error
    assert logged.latency_ms < (DEADLINE + MARGIN) * 1000
    assert AIProviderState.objects.get().consecutive_faults == 1  # the breaker was told


@pytest.mark.parametrize("call", ["chat", "embeddings"])
def test_a_429_with_retry_after_pauses_calls_at_once_without_waiting_it_out(
    deadline_settings, stub, call
):
    misbehave(stub, call, "429")
    stub.retry_after = "20"

    answer, interaction, elapsed = timed(CALLS[call])

    assert elapsed < DEADLINE + MARGIN
    assert answer is None
    assert requests_made(stub, call) == 1  # no retry after the provider's wait
    assert interaction.outcome == Outcome.FAILED
    assert "RateLimitError" in interaction.error
    paused_for = (breaker.current_pause() - timezone.now()).total_seconds()
    assert 17 < paused_for <= 20

    _, skipped, elapsed = timed(CALLS[call])

    assert elapsed < 0.5
    assert skipped.outcome == Outcome.SKIPPED_PAUSED
    assert requests_made(stub, call) == 1


@pytest.mark.parametrize("call", ["chat", "embeddings"])
def test_a_failing_provider_is_retried_only_inside_the_deadline(deadline_settings, stub, call):
    misbehave(stub, call, "500")

    answer, interaction, elapsed = timed(CALLS[call])

    assert answer is None
    assert requests_made(stub, call) == 2  # AI_MAX_RETRIES = 1
    assert elapsed < DEADLINE + MARGIN
    assert "InternalServerError" in interaction.error


def test_a_call_killed_by_the_worker_timeout_still_leaves_its_log_row(deadline_settings, stub):
    """The web server's worker timeout (gunicorn's SIGABRT handler calls sys.exit) ends a call
    mid-request: the call is logged on the way out, and the exit goes on."""
    deadline_settings.AI_DEADLINE_SECONDS = 30
    deadline_settings.AI_TIMEOUT_SECONDS = 30
    stub.mode = "hang"

    def worker_timeout(signum, frame):
        raise SystemExit(1)

    previous = signal.signal(signal.SIGALRM, worker_timeout)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    try:
        with pytest.raises(SystemExit):
            ask_chat()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)

    logged = AIInteraction.objects.get()
    assert logged.outcome == Outcome.FAILED
    assert logged.error.startswith("Interrupted (SystemExit)")
    assert 400 <= logged.latency_ms < 5000
