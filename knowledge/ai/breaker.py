"""The AI provider's circuit breaker: when the provider stops answering, stop asking it.

A call that ends in a provider fault (a timeout, a refused connection, an HTTP 5xx, a 429)
counts. `AI_PAUSE_AFTER_FAULTS` of them in a row (3 by default), counted across every process,
pause every model call (chat and embeddings) for `AI_PAUSE_SECONDS` (30), doubled each time the
breaker trips again before the provider has answered, up to `AI_PAUSE_MAX_SECONDS` (600). A 429
that says when to come back (`Retry-After`) pauses at once for that long, within the same cap.
Any answer, even one we cannot use (malformed JSON, a refusal), shows the provider is up and
closes the breaker.

While paused, calls make no request: each is logged with outcome `skipped_paused` and its
feature takes its non-AI path at once (the human tier, full-text search). When the pause ends,
the first call to claim it is the trial, and the others keep skipping while it runs: an answer
closes the breaker, a fault pauses again for twice as long.

Why: a provider that does not answer holds a task worker for the call's whole deadline
(`AI_DEADLINE_SECONDS`, 20 s), and with two workers the confirmation email and routing of
every new ticket queue behind those calls; every knowledge-base search would wait for its
embedding too.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import openai
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from knowledge.ai.client import call_deadline_seconds
from knowledge.models import AIProviderState

STATE_PK = 1
# Beyond the longest call (its deadline), the time the trial may take to log itself.
TRIAL_MARGIN_SECONDS = 5
MAX_FAULT_LENGTH = 500


@dataclass(frozen=True)
class Gate:
    """Whether a call may ask the provider now; `trial` when it is the call after a pause;
    `clean` when the breaker had nothing to reset (no fault counted), so a success writes
    nothing."""

    open: bool
    trial: bool = False
    paused_until: datetime | None = None
    clean: bool = False


def gate() -> Gate:
    """May a model call go ahead? One read while the breaker is closed; when a pause has run
    out, one conditional update decides which call is the trial."""
    row = (
        AIProviderState.objects.filter(pk=STATE_PK)
        .values_list("paused_until", "consecutive_faults")
        .first()
    )
    paused_until, faults = row or (None, 0)
    if paused_until is None:
        return Gate(open=True, clean=not faults)
    now = timezone.now()
    if paused_until > now:
        return Gate(open=False, paused_until=paused_until)
    hold = now + trial_hold()
    claimed = AIProviderState.objects.filter(pk=STATE_PK, paused_until=paused_until).update(
        paused_until=hold
    )
    if claimed:
        return Gate(open=True, trial=True)
    return Gate(open=False, paused_until=hold)


def record(exc: BaseException | None, permit: Gate) -> None:
    """Count the result of a call `permit` let through: None, or an answer we could not use,
    closes the breaker; a provider fault counts, and trips the breaker as the module
    docstring says."""
    if exc is None or not is_provider_fault(exc):
        if not permit.clean:
            resume()
    else:
        _count_fault(exc, trial=permit.trial)


def is_provider_fault(exc: BaseException) -> bool:
    """The provider did not answer: timed out, refused, failed (5xx) or rate-limited us."""
    if isinstance(exc, openai.APIConnectionError | openai.RateLimitError):
        return True
    return isinstance(exc, openai.APIStatusError) and exc.status_code >= 500


def retry_after_seconds(exc: BaseException) -> float | None:
    """The wait a 429 asked for (`retry-after-ms`, `retry-after` in seconds or as a date)."""
    response = getattr(exc, "response", None)
    if not isinstance(exc, openai.RateLimitError) or response is None:
        return None
    headers = response.headers
    try:
        if "retry-after-ms" in headers:
            seconds = float(headers["retry-after-ms"]) / 1000
        elif "retry-after" in headers:
            value = headers["retry-after"]
            try:
                seconds = float(value)
            except ValueError:
                seconds = (parsedate_to_datetime(value) - timezone.now()).total_seconds()
        else:
            return None
    except (TypeError, ValueError, OverflowError):
        return None
    return seconds if seconds > 0 else None


def trial_hold() -> timedelta:
    return timedelta(seconds=call_deadline_seconds() + TRIAL_MARGIN_SECONDS)


def pause_length(trips: int) -> timedelta:
    """The pause after the breaker's `trips`-th trip in a row (1 for the first)."""
    base = float(settings.AI_PAUSE_SECONDS)
    ceiling = float(settings.AI_PAUSE_MAX_SECONDS)
    return timedelta(seconds=min(base * 2 ** min(trips - 1, 30), ceiling))


def current_pause() -> datetime | None:
    """When the current pause ends; None when calls are not paused now."""
    until = AIProviderState.objects.filter(pk=STATE_PK).values_list("paused_until", flat=True)
    until = until.first()
    return until if until is not None and until > timezone.now() else None


def seconds_paused() -> float:
    """How long calls stay paused from now (0 when they are not)."""
    until = current_pause()
    return max(0.0, (until - timezone.now()).total_seconds()) if until else 0.0


def paused_message(until: datetime | None) -> str:
    when = timezone.localtime(until).strftime("%H:%M:%S") if until else "shortly"
    return f"The AI provider is not answering; calls are paused until {when}."


def resume() -> int:
    """Close the breaker (an answer came, or the admin's action): no fault counted, no pause.
    Returns the rows changed (0 when there was nothing to reset)."""
    dirty = Q(consecutive_faults__gt=0) | Q(trips__gt=0) | Q(paused_until__isnull=False)
    return AIProviderState.objects.filter(dirty, pk=STATE_PK).update(
        consecutive_faults=0, trips=0, paused_until=None, updated_at=timezone.now()
    )


def _count_fault(exc: BaseException, *, trial: bool) -> None:
    now = timezone.now()
    asked_to_wait = retry_after_seconds(exc)
    with transaction.atomic():
        state, _ = AIProviderState.objects.select_for_update().get_or_create(pk=STATE_PK)
        state.consecutive_faults += 1
        state.last_fault = f"{type(exc).__name__}: {exc}"[:MAX_FAULT_LENGTH]
        paused = state.paused_until is not None and state.paused_until > now
        if trial or (
            not paused
            and (asked_to_wait or state.consecutive_faults >= int(settings.AI_PAUSE_AFTER_FAULTS))
        ):
            state.trips += 1
            pause = pause_length(state.trips)
            if asked_to_wait:
                ceiling = timedelta(seconds=float(settings.AI_PAUSE_MAX_SECONDS))
                pause = min(timedelta(seconds=asked_to_wait), ceiling)
            state.paused_until = now + pause
            state.consecutive_faults = 0
        state.save()
