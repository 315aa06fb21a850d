"""The auto-response cascade: answer a new ticket from the knowledge base, from the model, or
leave it to an agent.

The create hook queues `knowledge.tasks.auto_answer_ticket` after commit, so nothing here runs
inside the customer's request, and the ticket exists whatever happens. The tiers, in order:

1. **Code**: the best published article for the ticket's subject. Its confidence comes from
   the search (see `code_confidence`); the answer is the article's summary and a link.
2. **Generative**: when the code tier is not confident enough and the AI is on, the model
   drafts an answer grounded in the top 3 articles, as JSON `{answer, confidence}`
   (`ai_call_json(purpose="answer")`). No article found means nothing to ground it on: no call.
3. **Human**: nothing usable (no article, the AI off, any AI fault, an empty answer). No
   `AutoAnswer` is written; the ticket waits in the queue as usual.

When neither the code tier is confident nor the model answers, a code-tier match below the
threshold is still kept, as a draft. The category's `AutoAnswerPolicy` (or the default one)
then decides: `send_confident` sends an answer at least `threshold` confident and holds the
rest as drafts, `draft_only` holds every answer, `never` skips the cascade (no model call).
Migration 0009 installs the default policy (send at 0.8 or more, draft below); with no
active policy the cascade does nothing.

Drafts wait in the desk's approval queue: approving sends the draft as the agent's reply,
editing sends the edited text, rejecting sends nothing. The customer can say an automatic
answer did not help: the ticket is tagged `auto_answer_failed` and back in progress.
Each decision is recorded on the `AutoAnswer` and, for a model answer, on its `AIInteraction`
(`used` when sent automatically, then `approved` / `edited` / `rejected`).
"""

import json
import logging
import re
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from agents.permissions import is_agent
from common.config_cache import ConfigCache
from common.exceptions import ApplicationError
from knowledge.ai.client import ai_enabled
from knowledge.ai.service import ai_call_json, ai_interaction_set_outcome, clean_confidence
from knowledge.models import AIInteraction, Article, AutoAnswer, AutoAnswerPolicy
from knowledge.selectors import _clean_query, article_search, portal_article_suggestions
from tickets.models import Status, Ticket

logger = logging.getLogger(__name__)

Mode = AutoAnswerPolicy.Mode
AnswerStatus = AutoAnswer.Status

TOP_ARTICLES = 3
MIN_TERM_LENGTH = 4  # "my", "the", "can" say little about the problem
MAX_TERMS = 8
MAX_BODY_CHARS = 4000
MAX_ARTICLE_CHARS = 3000
FAILED_TAG = "auto_answer_failed"
# Code-tier confidence: every term matched somewhere in the article gives BASE, and the share
# of terms found in the title adds up to TITLE_WEIGHT (all in the title: 1.0).
CODE_BASE = Decimal("0.6")
CODE_TITLE_WEIGHT = Decimal("0.4")

_WORD = re.compile(r"[^\W_]+")


@dataclass
class Candidate:
    tier: str
    body: str
    confidence: Decimal
    article: Article | None = None
    interaction: AIInteraction | None = None


# Policy -----------------------------------------------------------------------------------


def _read_active_policies() -> dict[int | None, AutoAnswerPolicy]:
    return {policy.category_id: policy for policy in AutoAnswerPolicy.objects.filter(active=True)}


# Every new ticket looks its policy up: a per-process copy (common.config_cache).
_active_policies = ConfigCache(
    "auto-answer-policies", _read_active_policies, models=[AutoAnswerPolicy]
)


def policy_for(category_id: int | None) -> AutoAnswerPolicy | None:
    """The category's active policy, else the active default, else None (no cascade).
    Shared by the process: read, never change."""
    policies = _active_policies.get()
    return policies.get(category_id) or policies.get(None)


def answer_new_ticket(ctx) -> None:
    """Deferred after-hook on "create": run the cascade (which finds the ticket's policy and
    does nothing without one, or with "never"). It runs in the ticket's follow-up task,
    already in the background and after routing, so not in a task of its own; a model call
    is bounded by AI_DEADLINE_SECONDS (retries included), well inside the task timeout. Any
    fault leaves the ticket to agents."""
    from knowledge import tasks

    tasks.auto_answer_ticket(ctx.ticket.pk)


# Tiers ------------------------------------------------------------------------------------


def query_terms(text: str) -> list[str]:
    words = [w.lower() for w in _WORD.findall(_clean_query(text))]
    terms = [w for w in words if len(w) >= MIN_TERM_LENGTH]
    return list(dict.fromkeys(terms))[:MAX_TERMS]


def code_confidence(article: Article, terms: list[str]) -> Decimal:
    """An article `article_search` returned for all `terms` (every term matched its title,
    summary or body): 0.6, plus 0.4 times the share of terms in its title. So a title holding
    every word of the subject gives 1.0, a match in the body alone 0.6."""
    if not terms:
        return Decimal(0)
    title = {w.lower() for w in _WORD.findall(article.title)}
    in_title = sum(1 for term in terms if term in title)
    share = Decimal(in_title) / Decimal(len(terms))
    return (CODE_BASE + CODE_TITLE_WEIGHT * share).quantize(Decimal("0.001"))


def article_url(article: Article) -> str:
    return settings.SITE_URL + reverse("kb:article", args=[article.slug])


def code_tier(ticket: Ticket) -> Candidate | None:
    terms = query_terms(ticket.subject)
    if not terms:
        return None
    found = article_search(query=" ".join(terms), limit=1, semantic=False)
    if not found:
        return None
    article = found[0]
    summary = article.summary.strip() or article.title
    body = f"{summary}\n\nRead more: [{article.title}]({article_url(article)})"
    return Candidate(
        tier=AutoAnswer.Tier.CODE,
        body=body,
        confidence=code_confidence(article, terms),
        article=article,
    )


SCHEMA_HINT = (
    '{"answer": the reply to the customer in markdown, using only the articles given, '
    '"confidence": a number from 0 (the articles do not answer it) to 1 (they fully answer it)}'
)


def answer_messages(ticket: Ticket, articles: list[Article]) -> list[dict[str, str]]:
    sources = [
        {
            "title": a.title,
            "url": article_url(a),
            "summary": a.summary,
            "body": a.body[:MAX_ARTICLE_CHARS],
        }
        for a in articles
    ]
    return [
        {
            "role": "system",
            "content": "You answer customer support tickets for a SaaS helpdesk, only from "
            "the help-center articles given. Link the article you use. If they do not answer "
            "the question, say so with a low confidence.",
        },
        {
            "role": "user",
            "content": json.dumps(
                {
                    "ticket": {
                        "subject": ticket.subject,
                        "description": ticket.body[:MAX_BODY_CHARS],
                    },
                    "articles": sources,
                },
                ensure_ascii=False,
            ),
        },
    ]


def generative_tier(ticket: Ticket) -> Candidate | None:
    if not ai_enabled():
        return None
    articles = portal_article_suggestions(query=ticket.subject, limit=TOP_ARTICLES)
    if not articles:
        return None
    result = ai_call_json(
        purpose=AIInteraction.Purpose.ANSWER,
        messages=answer_messages(ticket, articles),
        schema_hint=SCHEMA_HINT,
        ticket=ticket,
    )
    if result.data is None:
        return None
    answer = result.data.get("answer")
    if not isinstance(answer, str) or not answer.strip():
        ai_interaction_set_outcome(
            interaction=result.interaction, outcome=AIInteraction.Outcome.FAILED
        )
        return None
    confidence = clean_confidence(result.data.get("confidence")) or Decimal(0)
    return Candidate(
        tier=AutoAnswer.Tier.GENERATIVE,
        body=answer.strip(),
        confidence=confidence,
        article=articles[0],
        interaction=result.interaction,
    )


# The cascade ------------------------------------------------------------------------------


def choose(ticket: Ticket, threshold: Decimal) -> Candidate | None:
    code = code_tier(ticket)
    if code is not None and code.confidence >= threshold:
        return code
    generated = generative_tier(ticket)
    if generated is not None:
        return generated
    return code


def run_auto_answer(*, ticket: Ticket) -> AutoAnswer | None:
    """Run the cascade once for a new ticket; None means the human tier. Idempotent: a ticket
    with an `AutoAnswer` is not answered again. Never raises for a model fault."""
    if AutoAnswer.objects.filter(ticket=ticket).exists():
        return None
    if ticket.status in (Status.RESOLVED, Status.CLOSED) or ticket.merged_into_id:
        return None
    policy = policy_for(ticket.category_id)
    if policy is None or policy.mode == Mode.NEVER:
        return None
    candidate = choose(ticket, policy.threshold)
    if candidate is None:
        return None
    send = policy.mode == Mode.SEND_CONFIDENT and candidate.confidence >= policy.threshold
    try:
        with transaction.atomic():
            answer = AutoAnswer.objects.create(
                ticket=ticket,
                tier=candidate.tier,
                body=candidate.body,
                confidence=candidate.confidence,
                article=candidate.article,
                interaction=candidate.interaction,
                status=AnswerStatus.SENT if send else AnswerStatus.PENDING,
            )
            if send:
                answer.message = _post(ticket, candidate.body)
                answer.save(update_fields=["message"])
    except IntegrityError:  # another run answered first
        return None
    except ApplicationError as exc:  # closed meanwhile: nothing to answer
        logger.info("Auto-answer for %s skipped: %s", ticket.pk, exc)
        return None
    if send and candidate.interaction is not None:
        ai_interaction_set_outcome(
            interaction=candidate.interaction, outcome=AIInteraction.Outcome.USED
        )
    return answer


def _post(ticket: Ticket, body: str):
    from tickets.services import ticket_post_auto_answer

    return ticket_post_auto_answer(ticket=ticket, body=body)


# The approval queue -----------------------------------------------------------------------


def pending_auto_answers(*, agent) -> list[AutoAnswer]:
    if not is_agent(agent):
        return []
    return list(
        AutoAnswer.objects.filter(status=AnswerStatus.PENDING)
        .select_related("ticket", "ticket__customer", "article")
        .order_by("created_at", "id")
    )


def pending_auto_answer(*, agent, pk: int) -> AutoAnswer:
    """A draft still waiting for a decision, or 404."""
    if not is_agent(agent):
        raise Http404
    try:
        return AutoAnswer.objects.select_related("ticket").get(pk=pk, status=AnswerStatus.PENDING)
    except AutoAnswer.DoesNotExist:
        raise Http404 from None


def _decide(answer: AutoAnswer, *, agent, status: str, message=None) -> AutoAnswer:
    answer.status = status
    answer.decided_by = agent
    answer.decided_at = timezone.now()
    answer.message = message
    answer.save(update_fields=["status", "decided_by", "decided_at", "message"])
    if answer.interaction_id:
        ai_interaction_set_outcome(interaction=answer.interaction, outcome=status)
    return answer


def _lock_pending(answer: AutoAnswer) -> AutoAnswer:
    locked = (
        AutoAnswer.objects.select_for_update(of=("self",))
        .select_related("interaction")
        .get(pk=answer.pk)
    )
    if locked.status != AnswerStatus.PENDING:
        raise ApplicationError("This draft was already decided.", code="already_decided")
    return locked


@transaction.atomic
def auto_answer_approve(*, answer: AutoAnswer, agent, body: str | None = None) -> AutoAnswer:
    """Send the draft (or the agent's edit of it) as the agent's reply; records `approved`,
    or `edited` when the text changed."""
    from tickets.services import ticket_reply

    answer = _lock_pending(answer)
    text = answer.body if body is None else body.strip()
    edited = text != answer.body.strip()
    message = ticket_reply(ticket=answer.ticket, actor=agent, body=text)
    if edited:
        answer.body = text
        answer.save(update_fields=["body"])
    status = AnswerStatus.EDITED if edited else AnswerStatus.APPROVED
    return _decide(answer, agent=agent, status=status, message=message)


@transaction.atomic
def auto_answer_reject(*, answer: AutoAnswer, agent) -> AutoAnswer:
    answer = _lock_pending(answer)
    return _decide(answer, agent=agent, status=AnswerStatus.REJECTED)


# "This did not help" ----------------------------------------------------------------------


def auto_answer_for_message(*, ticket: Ticket, message_id: int) -> AutoAnswer:
    """The automatic answer the customer received on `ticket` as `message_id`, or 404."""
    try:
        return AutoAnswer.objects.get(
            ticket=ticket, message_id=message_id, status=AnswerStatus.SENT
        )
    except AutoAnswer.DoesNotExist:
        raise Http404 from None


def auto_answer_not_helpful(*, answer: AutoAnswer) -> AutoAnswer:
    """Record that the answer did not help and put the ticket in front of an agent: an event,
    the `auto_answer_failed` tag, and back in progress when it was waiting on the customer
    or resolved. A second click changes nothing."""
    from tickets.services import (
        ticket_record_auto_answer_not_helpful,
        ticket_set_tags,
        ticket_transition,
    )

    with transaction.atomic():
        answer = AutoAnswer.objects.select_for_update().get(pk=answer.pk)
        if answer.status != AnswerStatus.SENT:
            return answer
        answer.status = AnswerStatus.NOT_HELPFUL
        answer.decided_at = timezone.now()
        answer.save(update_fields=["status", "decided_at"])
        ticket = ticket_record_auto_answer_not_helpful(
            ticket=answer.ticket, message_id=answer.message_id
        )
    if ticket.status == Status.CLOSED:
        return answer
    tags = list(ticket.tags.values_list("name", flat=True))
    if FAILED_TAG not in tags:
        ticket_set_tags(ticket=ticket, tags=[*tags, FAILED_TAG], actor=None)
    if ticket.status in (Status.WAITING_CUSTOMER, Status.RESOLVED):
        ticket_transition(
            ticket=ticket,
            to_status=Status.IN_PROGRESS,
            actor=None,
            reason="The automatic answer did not help",
        )
    return answer
