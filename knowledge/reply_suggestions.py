"""The model's suggested reply, asked in a background job rather than in the agent's request.

The agent's click on "Suggest a reply" answers at once from the quick sources
(`suggest_without_ai`). When they have nothing and the AI is on, `reply_suggestion_request`
records a pending `ReplySuggestion` and queues `knowledge.tasks.reply_suggestion_run` on
commit; the panel polls the row (`reply_suggestion_for_agent`) every 1.5 s until it is ready
or failed. A row still pending after `stale_after()` (the worker is down or slow) is shown as
failed, so the panel never spins for ever. Inserting the draft records it as used, on the row
and on its `AIInteraction` (`reply_suggestion_mark_used`).
"""

import logging
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from agents.permissions import is_agent
from common.exceptions import ApplicationError
from knowledge.ai.client import call_deadline_seconds
from knowledge.ai.service import ai_interaction_set_outcome
from knowledge.models import AIInteraction, ReplySuggestion
from tickets.models import Ticket

logger = logging.getLogger(__name__)

SuggestionStatus = ReplySuggestion.Status
Outcome = AIInteraction.Outcome

# How often the panel asks, in milliseconds (the template reads it).
POLL_INTERVAL_MS = 1500
# Beyond the longest model call, the time a busy queue may take to start the job.
QUEUE_SLACK_SECONDS = 30

FAILED_MESSAGES = {
    Outcome.SKIPPED_BUDGET: "This month's AI budget is used up, so the model was not asked. "
    "The knowledge base and similar tickets had no suggestion either.",
    Outcome.SKIPPED_PAUSED: "The AI provider has not been answering, so the model was not "
    "asked for now. Try again in a few minutes, or write the reply yourself.",
    Outcome.FAILED: "The AI model did not answer. Try again in a moment, or write the reply "
    "yourself.",
}
NO_REPLY_MESSAGE = "The AI model had no reply to suggest for this ticket."
STALE_MESSAGE = "The AI suggestion is taking too long. Try again, or write the reply yourself."
ERROR_MESSAGE = "Something went wrong while asking the AI model. Try again."


def stale_after() -> timedelta:
    """The longest a model call may take (its deadline) plus the queue's slack."""
    return timedelta(seconds=call_deadline_seconds() + QUEUE_SLACK_SECONDS)


def is_stale(suggestion: ReplySuggestion) -> bool:
    pending = suggestion.status == SuggestionStatus.PENDING
    return pending and timezone.now() - suggestion.created_at > stale_after()


@transaction.atomic
def reply_suggestion_request(*, ticket: Ticket, actor) -> ReplySuggestion:
    """Record a pending model suggestion for `actor` on `ticket` and queue the job that asks
    the model (on commit). Nothing about the ticket changes."""
    suggestion = ReplySuggestion.objects.create(ticket=ticket, requested_by=actor)

    def queue() -> None:
        from django_q.tasks import async_task

        async_task("knowledge.tasks.reply_suggestion_run", suggestion.pk)

    transaction.on_commit(queue)
    return suggestion


def reply_suggestion_run(*, suggestion: ReplySuggestion) -> ReplySuggestion:
    """Ask the model (one logged call, outside any transaction) and record the draft or the
    reason there is none. A row no longer pending is left alone, so a second delivery of the
    job makes no second call."""
    from knowledge.suggestions import ai_suggestion

    if suggestion.status != SuggestionStatus.PENDING:
        return suggestion
    try:
        draft, interaction = ai_suggestion(ticket=suggestion.ticket)
    except Exception:  # noqa: BLE001 - the panel must end with a message, never spin
        logger.exception("Reply suggestion %s failed", suggestion.pk)
        draft, interaction = None, None
        error = ERROR_MESSAGE
    else:
        error = ""
        if draft is None:
            outcome = interaction.outcome if interaction is not None else Outcome.FAILED
            error = FAILED_MESSAGES.get(outcome, NO_REPLY_MESSAGE)
    return _finish(suggestion, draft=draft, interaction=interaction, error=error)


@transaction.atomic
def _finish(suggestion: ReplySuggestion, *, draft, interaction, error: str) -> ReplySuggestion:
    locked = ReplySuggestion.objects.select_for_update().get(pk=suggestion.pk)
    if locked.status != SuggestionStatus.PENDING:
        return locked
    locked.interaction = interaction
    locked.finished_at = timezone.now()
    if draft is not None:
        locked.status = SuggestionStatus.READY
        locked.text = draft.text
        if draft.confidence is not None:
            locked.confidence = Decimal(str(draft.confidence)).quantize(Decimal("0.001"))
    else:
        locked.status = SuggestionStatus.FAILED
        locked.error = error[:300]
    locked.save(
        update_fields=["status", "text", "confidence", "error", "interaction", "finished_at"]
    )
    return locked


def reply_suggestion_for_agent(*, agent, ticket: Ticket, pk: int) -> ReplySuggestion:
    """One of the ticket's model suggestions, for an agent, or 404."""
    if not is_agent(agent):
        raise Http404
    try:
        return ReplySuggestion.objects.select_related("interaction").get(pk=pk, ticket=ticket)
    except ReplySuggestion.DoesNotExist:
        raise Http404 from None


@transaction.atomic
def reply_suggestion_mark_used(*, suggestion: ReplySuggestion, actor) -> ReplySuggestion:
    """The agent inserted the draft into the reply box: `used_at` on the row (the first
    insert counts) and outcome `used` on its `AIInteraction`. Only a ready draft can be used;
    inserting it again changes nothing."""
    locked = (
        ReplySuggestion.objects.select_for_update(of=("self",))
        .select_related("interaction")
        .get(pk=suggestion.pk)
    )
    if locked.status != SuggestionStatus.READY:
        raise ApplicationError("This suggestion has no draft to insert.", code="not_ready")
    if locked.used_at is None:
        locked.used_at = timezone.now()
        locked.save(update_fields=["used_at"])
        if locked.interaction is not None:
            ai_interaction_set_outcome(interaction=locked.interaction, outcome=Outcome.USED)
    return locked
