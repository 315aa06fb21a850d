"""django-q2 tasks for the knowledge app. Each takes ids, re-fetches, and is safe to run twice."""

from tickets.models import Ticket


def ai_classify_ticket(ticket_id: int, open_fields=None) -> list[str]:
    """Classify a new ticket with the model (knowledge.ai.classification), queued on commit
    by the create hook when no pattern matched. Returns the fields changed. Idempotent: a
    ticket the model already answered for is not asked again."""
    from knowledge.ai.classification import OPEN_FIELDS, ai_classify

    ticket = Ticket.objects.select_related("category").filter(pk=ticket_id).first()
    if ticket is None:
        return []
    return ai_classify(ticket=ticket, open_fields=tuple(open_fields or OPEN_FIELDS))


def auto_answer_ticket(ticket_id: int) -> str:
    """Run the auto-response cascade (knowledge.autoanswer) on a new ticket, from its follow-up
    task (`knowledge.autoanswer.answer_new_ticket`). Returns the answer's status, or "human"
    when it is left to agents (any fault included: the ticket is already filed and in the
    queue). Idempotent."""
    import logging

    from knowledge.autoanswer import run_auto_answer

    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None:
        return "human"
    try:
        answer = run_auto_answer(ticket=ticket)
    except Exception:
        logging.getLogger(__name__).exception("Auto-answer for ticket %s failed", ticket_id)
        return "human"
    return answer.status if answer is not None else "human"


def reply_suggestion_run(suggestion_id: int) -> str:
    """Ask the model for the reply an agent requested (knowledge.reply_suggestions), queued on
    commit by the click. Returns the row's status. Idempotent: only a pending row is asked."""
    from knowledge.models import ReplySuggestion
    from knowledge.reply_suggestions import reply_suggestion_run as run

    suggestion = ReplySuggestion.objects.select_related("ticket").filter(pk=suggestion_id).first()
    if suggestion is None:
        return "gone"
    return run(suggestion=suggestion).status


def article_embeddings_sync(article_id: int | None = None) -> dict:
    """Every 15 minutes (helpdesk/schedules.py), and queued on commit after an article is
    saved published: embed what changed for semantic search (knowledge.embeddings). Returns
    the counts; a second run skips every unchanged article."""
    from knowledge.embeddings import article_embeddings_sync as sync

    return sync(article_ids=None if article_id is None else [article_id])


def ai_usage_daily() -> bool:
    """Every morning (helpdesk/schedules.py): aggregate yesterday's AI use and flag anomalies."""
    from knowledge.ai.usage import ai_usage_daily as aggregate

    return aggregate() is not None
