"""Writes for the knowledge base: help-center articles (create, edit, publish, views, votes) and
canned responses: create, fill in for a ticket, send, and count their use.

`canned_response_send` is the one way a canned reply reaches a customer: the reply itself goes
through `tickets.services.ticket_reply` (which writes the message, its `replied` event and any
status move a reply implies), and the optional follow-up status through
`tickets.services.ticket_transition`. This app never writes ticket rows itself.
"""

import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import dateformat, timezone
from django.utils.text import slugify

from agents.permissions import agent_display_name
from common.exceptions import ApplicationError
from common.markdown import render_markdown
from knowledge.embeddings import queue_article_embedding
from knowledge.models import Article, ArticleVote, CannedResponse, Deflection, PortalFiling
from knowledge.placeholders import fill
from tickets.models import Category, Status, Ticket, TicketMessage
from tickets.services import ALLOWED_TRANSITIONS, ticket_reply, ticket_transition

logger = logging.getLogger(__name__)

DATE_FORMAT = "j M Y"  # 23 Nov 2026
NO_CATEGORY = "General"
NO_AGENT = "Support team"


@dataclass(frozen=True)
class CannedSendResult:
    """What sending did: the reply, the status the ticket moved to (or ""), and why a
    follow-up status was not applied (or "")."""

    message: TicketMessage
    follow_up_status: str = ""
    follow_up_note: str = ""


def placeholder_values(*, ticket: Ticket, agent=None) -> dict[str, str]:
    """The value of every placeholder for this ticket and sending agent."""
    customer = ticket.customer
    organization = customer.organization
    return {
        "customer_name": customer.name,
        "ticket_id": ticket.reference,
        "category": ticket.category.name if ticket.category_id else NO_CATEGORY,
        "created_date": dateformat.format(timezone.localtime(ticket.created_at), DATE_FORMAT),
        "agent_name": agent_display_name(agent) if agent is not None else NO_AGENT,
        "company": organization.name if organization is not None else "",
    }


def canned_response_render(*, response: CannedResponse, ticket: Ticket, agent=None) -> str:
    """The response's markdown with its placeholders filled for `ticket`. Pure: writes
    nothing. Pass the ticket with `customer__organization` and `category` joined to avoid
    extra queries."""
    return fill(response.content, placeholder_values(ticket=ticket, agent=agent))


@transaction.atomic
def canned_response_create(
    *,
    name: str,
    content: str,
    slug: str = "",
    category: Category | None = None,
    follow_up_status: str = "",
    active: bool = True,
) -> CannedResponse:
    """Create a canned response after the model's validation (unknown placeholders, lone
    braces and follow-up statuses are refused with a ValidationError)."""
    response = CannedResponse(
        name=name,
        slug=slug or slugify(name).replace("-", "_")[:80],
        category=category,
        content=content,
        follow_up_status=follow_up_status,
        active=active,
    )
    response.full_clean()
    response.save()
    return response


def canned_response_mark_used(*, response: CannedResponse) -> None:
    """Count one use (an agent inserted it into a reply). An F() update, so concurrent uses
    all count; `response.usage_count` in memory is not refreshed."""
    CannedResponse.objects.filter(pk=response.pk).update(usage_count=F("usage_count") + 1)


@transaction.atomic
def canned_response_send(*, response: CannedResponse, ticket: Ticket, actor) -> CannedSendResult:
    """Send the response to the customer as a public reply from `actor`, then apply its
    follow-up status.

    `actor` must be an agent: `ticket_reply` refuses the system (None) with an
    ApplicationError, as every public reply has an agent author. Writes what `ticket_reply`
    writes (message, `replied` event, open → in progress), counts one use, then moves the
    ticket to `follow_up_status` through `ticket_transition` (one `status_changed` event)
    when the lifecycle allows it from the status after the reply. A follow-up that is not
    allowed, or that a hook refuses, is skipped: the reply still goes out and the result's
    `follow_up_note` says why.
    """
    # Re-read with what the placeholders need: the caller's copy may lack the joins.
    fresh = Ticket.objects.select_related("customer__organization", "category").get(pk=ticket.pk)
    values = placeholder_values(ticket=fresh, agent=actor)
    body = fill(response.content, values)
    message = ticket_reply(ticket=ticket, actor=actor, body=body)
    canned_response_mark_used(response=response)

    target = response.follow_up_status
    if not target:
        return CannedSendResult(message=message)
    current = message.ticket.status  # the locked copy ticket_reply moved
    if target == current:
        return CannedSendResult(message=message, follow_up_note=f"Already {_label(target)}.")
    if target not in ALLOWED_TRANSITIONS.get(current, frozenset()):
        note = (
            f"Not moved to {_label(target)}: {message.ticket.reference} is "
            f"{_label(current).lower()}."
        )
        logger.info("Canned response %s follow-up skipped: %s", response.slug, note)
        return CannedSendResult(message=message, follow_up_note=note)
    try:
        with transaction.atomic():
            ticket_transition(
                ticket=message.ticket,
                to_status=target,
                actor=actor,
                reason=f"Follow-up of the canned response “{response.name}”",
                resolution=body if target == Status.RESOLVED else "",
            )
    except ApplicationError as exc:
        note = f"Not moved to {_label(target)}: {exc.message}"
        logger.info("Canned response %s follow-up refused: %s", response.slug, note)
        return CannedSendResult(message=message, follow_up_note=note)
    return CannedSendResult(message=message, follow_up_status=target)


def _label(status: str) -> str:
    return Status(status).label


# Self-service deflection on the portal form -------------------------------------------------

DEFLECTION_QUERY_MAX = 200


def deflection_record(
    *, article: Article, query: str, session_key: str, email: str = ""
) -> Deflection:
    """Record that a suggested article answered a portal customer's question, so they did not
    file a ticket. Only published articles count (ValidationError otherwise). Idempotent per
    browser session and article: a second click returns the existing row (the unique
    constraint settles concurrent clicks). Writes no ticket and queues nothing."""
    if not article.published:
        raise ValidationError("Only published articles can answer a question.")
    if not session_key:
        raise ValidationError("A deflection needs the browser session it came from.")
    defaults = {"query": (query or "").strip()[:DEFLECTION_QUERY_MAX], "email": email or ""}
    try:
        with transaction.atomic():
            deflection, _ = Deflection.objects.get_or_create(
                article=article, session_key=session_key, defaults=defaults
            )
    except IntegrityError:
        # Another request of the same session won the race: that row is the deflection.
        deflection = Deflection.objects.get(article=article, session_key=session_key)
    return deflection


@transaction.atomic
def portal_filing_record(*, ticket: Ticket, session_key: str) -> PortalFiling:
    """Count a ticket filed through the portal form, the denominator's other half of the
    deflection rate. Call it in the transaction that created the ticket, so a ticket and its
    filing exist together or not at all. Idempotent per ticket."""
    filing, _ = PortalFiling.objects.get_or_create(
        ticket=ticket, defaults={"session_key": session_key or ""}
    )
    return filing


# Articles -------------------------------------------------------------------------------------

ARTICLE_FIELDS = ("title", "slug", "summary", "body", "category", "tags")


def _normalise_tags(tags) -> list[str]:
    seen: list[str] = []
    for tag in tags or []:
        value = slugify(str(tag))[:50]
        if value and value not in seen:
            seen.append(value)
    return seen


def article_save(*, article: Article) -> Article:
    """Render the body to sanitised HTML, validate and save. The one place `body_html` is
    written; callers are the services below and the admin."""
    article.tags = _normalise_tags(article.tags)
    if not article.slug:
        article.slug = slugify(article.title)[:200]
    article.body_html = render_markdown(article.body)
    article.full_clean()
    article.save()
    # Semantic search: a published article is re-embedded after commit (when on; skipped
    # by the job when its text did not change).
    queue_article_embedding(article)
    return article


@transaction.atomic
def article_create(
    *,
    title: str,
    body: str,
    slug: str = "",
    summary: str = "",
    category: Category | None = None,
    tags: list[str] | None = None,
    published: bool = False,
) -> Article:
    """Create an article, optionally published at once. Raises ValidationError on a taken
    slug or missing title/body."""
    article = Article(
        title=title,
        slug=slug,
        summary=summary,
        body=body,
        category=category,
        tags=tags or [],
    )
    article_save(article=article)
    if published:
        article = article_publish(article=article)
    return article


@transaction.atomic
def article_update(*, article: Article, **changes) -> Article:
    """Change any of title, slug, summary, body, category and tags, and re-render."""
    unknown = set(changes) - set(ARTICLE_FIELDS)
    if unknown:
        raise ApplicationError(f"Cannot change {', '.join(sorted(unknown))} on an article.")
    for name, value in changes.items():
        setattr(article, name, value)
    return article_save(article=article)


@transaction.atomic
def article_publish(*, article: Article) -> Article:
    """Make the article public. The first publication sets `published_at`; republishing
    keeps it. A no-op when already published."""
    if article.published:
        return article
    article.published = True
    if article.published_at is None:
        article.published_at = timezone.now()
    return article_save(article=article)


@transaction.atomic
def article_unpublish(*, article: Article) -> Article:
    """Hide the article from the public again (it 404s); `published_at` is kept."""
    if not article.published:
        return article
    article.published = False
    article.save(update_fields=["published", "updated_at"])
    return article


def article_record_view(*, article: Article) -> None:
    """Count one page view with an F() update, so concurrent views all count."""
    Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)


def article_vote(*, article: Article, helpful: bool, session_key: str) -> bool:
    """Record a "was this helpful?" answer. One vote per session and article: a repeat
    (even a changed mind) is ignored. Returns whether the vote counted."""
    if not session_key:
        raise ApplicationError("A vote needs a session.")
    try:
        with transaction.atomic():
            ArticleVote.objects.create(article=article, session_key=session_key, helpful=helpful)
            counter = "helpful_count" if helpful else "not_helpful_count"
            Article.objects.filter(pk=article.pk).update(**{counter: F(counter) + 1})
    except IntegrityError:
        return False
    return True
