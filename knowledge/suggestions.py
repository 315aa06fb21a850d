"""A suggested reply for the agent answering a ticket: `suggest_reply`.

Three sources, tried in order, the first that answers wins:

1. a published help-center article matching the ticket: its summary and public link;
2. a similar resolved (or closed) ticket from the last 180 days: its resolution;
3. a model draft, only when the AI is on.

Nothing is sent and nothing about the ticket changes: the agent reads the suggestion and may
insert it into the reply box. The model is asked only when an agent clicks "Suggest a reply"
(never on page load), so at most one call per click; any fault gives no suggestion. The desk
asks the quick sources in the click's request and the model in a background job
(knowledge.reply_suggestions); `suggest_reply` asks all three in a row.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from agents.permissions import is_agent
from knowledge.ai.client import ai_enabled
from knowledge.ai.service import ai_call_json
from knowledge.models import AIInteraction, Article
from knowledge.selectors import article_search
from tickets.models import Status, Ticket, TicketMessage
from tickets.services.related import jaccard, subject_words

# Article search: every term must match, so only the words that say something are searched.
ARTICLE_MIN_TERM = 4
ARTICLE_BODY_WORDS = 30
ARTICLE_FALLBACK_TERMS = 3
# With several terms searched one by one, an article must match at least this many.
ARTICLE_MIN_HITS = 2

SIMILAR_WINDOW_DAYS = 180
SIMILAR_CANDIDATES = 200
SIMILAR_MIN_JACCARD = 0.5
SIMILAR_PREFILTER_WORDS = 3

AI_BODY_CHARS = 2000
AI_CONVERSATION_MESSAGES = 5
AI_MESSAGE_CHARS = 1000
AI_REPLY_MAX_CHARS = 5000
AI_SCHEMA_HINT = (
    '{"reply": string, the reply to send the customer, in Markdown, without a signature; '
    '"confidence": number from 0 to 1, how sure you are the reply answers the customer}'
)


@dataclass(frozen=True)
class Suggestion:
    """A reply the agent may insert. `source` is one of SOURCES; `reference` is the article
    slug or the ticket reference (empty for a model draft); `why` says where it comes from."""

    source: str
    text: str
    reference: str = ""
    confidence: float | None = None
    why: str = ""

    ARTICLE = "article"
    SIMILAR_TICKET = "similar_ticket"
    AI = "ai"

    @property
    def label(self) -> str:
        return {
            self.ARTICLE: "Help-center article",
            self.SIMILAR_TICKET: "Similar resolved ticket",
            self.AI: "AI draft",
        }[self.source]


def _significant(text: str) -> list[str]:
    """The words of `text` worth searching for, in order, without repeats."""
    words = [w for w in subject_words(text) if len(w) >= ARTICLE_MIN_TERM]
    order = {w: i for i, w in enumerate((text or "").lower().split())}
    return sorted(words, key=lambda w: (order.get(w, len(order)), w))


def article_url(article: Article) -> str:
    return settings.SITE_URL + reverse("kb:article", args=[article.slug])


def _article_reply(article: Article, why: str) -> Suggestion:
    summary = (article.summary or "").strip()
    link = f"[{article.title}]({article_url(article)})"
    text = f"{summary}\n\nYou will find the details in our help center: {link}"
    if not summary:
        text = f"This article in our help center should help: {link}"
    return Suggestion(source=Suggestion.ARTICLE, text=text, reference=article.slug, why=why)


def suggest_from_articles(*, ticket: Ticket) -> Suggestion | None:
    """The best published article for the ticket's subject; failing that, the article most
    of the subject's and first message's longest words find. At most 2 + 2 × 3 queries."""
    subject_terms = _significant(ticket.subject)
    if subject_terms:
        found = article_search(query=" ".join(subject_terms), limit=1, semantic=False)
        if found:
            return _article_reply(found[0], f"Matches the subject: {', '.join(subject_terms)}.")

    body_words = " ".join((ticket.body or "").split()[:ARTICLE_BODY_WORDS])
    terms = list(dict.fromkeys(subject_terms + _significant(body_words)))
    terms = sorted(terms, key=lambda w: (-len(w), w))[:ARTICLE_FALLBACK_TERMS]
    if not terms:
        return None
    needed = min(ARTICLE_MIN_HITS, len(terms))
    hits: dict[int, list[str]] = {}
    articles: dict[int, Article] = {}
    for term in terms:
        for article in article_search(query=term, limit=3, semantic=False):
            hits.setdefault(article.pk, []).append(term)
            articles.setdefault(article.pk, article)
    ranked = sorted(articles.values(), key=lambda a: (-len(hits[a.pk]), -a.rank, a.pk))
    if not ranked or len(hits[ranked[0].pk]) < needed:
        return None
    best = ranked[0]
    return _article_reply(best, f"Matches the ticket's words: {', '.join(hits[best.pk])}.")


def suggest_from_similar_ticket(*, ticket: Ticket) -> Suggestion | None:
    """The resolution of the most similar resolved or closed ticket of the last 180 days
    (subject word-set Jaccard >= 0.5; newest first on a tie). One query of at most 200 rows."""
    words = subject_words(ticket.subject)
    significant = sorted((w for w in words if len(w) >= 4), key=lambda w: (-len(w), w))
    if not significant:
        return None
    prefilter = Q()
    for word in significant[:SIMILAR_PREFILTER_WORDS]:
        prefilter |= Q(subject__icontains=word)
    since = timezone.now() - timedelta(days=SIMILAR_WINDOW_DAYS)
    candidates = (
        Ticket.objects.filter(prefilter, status__in=[Status.RESOLVED, Status.CLOSED])
        .filter(Q(resolved_at__gte=since) | Q(closed_at__gte=since))
        .exclude(pk=ticket.pk)
        .exclude(resolution="")
        .order_by("-resolved_at", "-id")
        .values_list("reference", "subject", "resolution")[:SIMILAR_CANDIDATES]
    )
    best = None
    for reference, subject, resolution in candidates:
        score = jaccard(words, subject_words(subject))
        good = score >= SIMILAR_MIN_JACCARD and resolution.strip()
        if good and (best is None or score > best[0]):
            best = (score, reference, subject, resolution.strip())
    if best is None:
        return None
    score, reference, subject, resolution = best
    return Suggestion(
        source=Suggestion.SIMILAR_TICKET,
        text=resolution,
        reference=reference,
        confidence=round(score, 2),
        why=f"Resolved {reference}: “{subject}”.",
    )


def _conversation(ticket: Ticket) -> list[dict[str, str]]:
    messages = list(
        ticket.messages.filter(is_internal=False)
        .order_by("-created_at", "-id")
        .values_list("author_kind", "body")[:AI_CONVERSATION_MESSAGES]
    )
    lines = []
    for author_kind, body in reversed(messages):
        who = "Customer" if author_kind == TicketMessage.AuthorKind.CUSTOMER else "Support"
        lines.append(f"{who}: {body[:AI_MESSAGE_CHARS]}")
    return [{"role": "user", "content": "Latest messages:\n" + "\n\n".join(lines)}] if lines else []


def ai_suggestion(*, ticket: Ticket) -> tuple[Suggestion | None, AIInteraction | None]:
    """A model draft and the call it logged (purpose `suggest`): (None, None) when the AI is
    off; (None, interaction) when it failed, refused, was over budget or gave no reply."""
    if not ai_enabled():
        return None, None
    messages = [
        {
            "role": "user",
            "content": (
                "Draft a short, polite reply from a support agent to this helpdesk ticket. "
                "Do not promise anything the ticket does not support.\n\n"
                f"Subject: {ticket.subject}\n\n{(ticket.body or '')[:AI_BODY_CHARS]}"
            ),
        },
        *_conversation(ticket),
    ]
    result = ai_call_json(
        purpose=AIInteraction.Purpose.SUGGEST,
        messages=messages,
        schema_hint=AI_SCHEMA_HINT,
        ticket=ticket,
    )
    data = result.data or {}
    reply = data.get("reply")
    if not isinstance(reply, str) or not reply.strip():
        return None, result.interaction
    confidence = data.get("confidence")
    valid = isinstance(confidence, int | float) and not isinstance(confidence, bool)
    if not valid or not 0 <= confidence <= 1:
        confidence = None
    suggestion = Suggestion(
        source=Suggestion.AI,
        text=reply.strip()[:AI_REPLY_MAX_CHARS],
        confidence=confidence,
        why="Drafted by the AI model: check it before sending.",
    )
    return suggestion, result.interaction


def suggest_from_ai(*, ticket: Ticket) -> Suggestion | None:
    """A model draft, or None when the AI is off, failed, refused or answered no reply.
    One logged model call (purpose `suggest`)."""
    return ai_suggestion(ticket=ticket)[0]


def suggest_without_ai(*, ticket: Ticket, agent) -> Suggestion | None:
    """The quick sources only (an article, a similar ticket): what the agent's click answers
    at once; the model draft is queued separately (knowledge.reply_suggestions)."""
    if not is_agent(agent):
        return None
    return suggest_from_articles(ticket=ticket) or suggest_from_similar_ticket(ticket=ticket)


def suggest_reply(*, ticket: Ticket, agent) -> Suggestion | None:
    """A reply suggestion for `agent` on `ticket`: a knowledge-base article, else the
    resolution of a similar resolved ticket, else a model draft (AI on only). None when no
    source has one, or for a non-agent. Never raises for a model fault; changes nothing."""
    if not is_agent(agent):
        return None
    return (
        suggest_from_articles(ticket=ticket)
        or suggest_from_similar_ticket(ticket=ticket)
        or suggest_from_ai(ticket=ticket)
    )
