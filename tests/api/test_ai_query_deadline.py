"""POST /api/v1/ai/query is the one model call made inside a web request: against a provider
that hangs, trickles or rate-limits, it answers within `AI_REQUEST_DEADLINE_SECONDS` (well
inside the web server's worker timeout) with a clear error, logs the call and tells the
circuit breaker."""

import os
import subprocess
import sys
import time

import pytest
from django.conf import settings as django_settings
from gunicorn.config import Timeout as GunicornTimeout

from knowledge.ai import breaker
from knowledge.models import AIInteraction, AIProviderState
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db

REQUEST_DEADLINE = 1.5
MARGIN = 0.75


@pytest.fixture
def slow_provider_settings(ai_settings):
    """A call's own deadline and timeout far longer than the web request may wait."""
    ai_settings.AI_DEADLINE_SECONDS = 30
    ai_settings.AI_TIMEOUT_SECONDS = 30
    ai_settings.AI_MAX_RETRIES = 1
    ai_settings.AI_REQUEST_DEADLINE_SECONDS = REQUEST_DEADLINE
    return ai_settings


def ask(client, ticket):
    started = time.monotonic()
    response = client.post(
        "/api/v1/ai/query", {"ticket": ticket.reference, "question": "What now?"}, format="json"
    )
    return response, time.monotonic() - started


@pytest.mark.parametrize("mode", ["hang", "trickle"])
def test_a_provider_that_does_not_answer_gets_a_504_within_the_request_deadline(
    agent_client, ticket_a, slow_provider_settings, stub, mode
):
    stub.mode = mode
    stub.trickle_interval = 0.2

    response, elapsed = ask(agent_client, ticket_a)

    assert elapsed < REQUEST_DEADLINE + MARGIN
    error = assert_error(response, 504, "ai_timeout")
    assert "did not answer in time (at most 1.5 s)" in error["message"]
    logged = AIInteraction.objects.get()
    assert logged.purpose == AIInteraction.Purpose.QUERY
    assert logged.ticket_id == ticket_a.pk
    assert logged.outcome == AIInteraction.Outcome.FAILED
    assert "No answer within the 1.5 s deadline" in logged.error
    assert AIProviderState.objects.get().consecutive_faults == 1


def test_a_429_answers_503_paused_with_the_providers_wait_at_once(
    agent_client, ticket_a, slow_provider_settings, stub
):
    stub.mode = "429"
    stub.retry_after = "20"

    response, elapsed = ask(agent_client, ticket_a)

    assert elapsed < REQUEST_DEADLINE + MARGIN
    assert "paused until" in assert_error(response, 503, "ai_paused")["message"]
    assert 17 <= int(response["Retry-After"]) <= 20
    assert len(stub.requests) == 1
    assert breaker.current_pause() is not None
    assert AIInteraction.objects.get().outcome == AIInteraction.Outcome.FAILED


def test_the_request_deadline_is_well_inside_the_web_servers_worker_timeout():
    """The shipped default (no environment override) against gunicorn's own default."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AI_")}
    env["DJANGO_SETTINGS_MODULE"] = "helpdesk.settings"
    code = "from django.conf import settings; print(settings.AI_REQUEST_DEADLINE_SECONDS)"
    shipped = float(
        subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
            [sys.executable, "-c", code],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            cwd=django_settings.BASE_DIR,
        ).stdout
    )
    assert shipped <= GunicornTimeout.default / 2
