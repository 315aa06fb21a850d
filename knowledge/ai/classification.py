"""The AI fallback of ticket classification (tickets.classification).

When no pattern matched a new ticket and the AI is on, the create hook records which fields
the caller left open and `knowledge.tasks.ai_classify_ticket` runs after commit, outside the
customer's request. The model's answer is checked strictly and applied through the ticket
services with no actor (the system), so each change writes its usual event:

- category: an active category's slug, only when the category was left open;
- type: one of the ticket types, only when the type was left open;
- tags: added to the ticket's tags (never removed), at most `MAX_TAGS`;
- sentiment: negative, neutral or positive, stored on the ticket (its `sentiment_changed`
  event); anything else is stored as unknown ("frustrated" and "angry" count as negative);
- priority: only upwards, when the priority was left open: the priority rules again, now
  that they see the model's category and sentiment (a negative customer raises the priority
  one step under the default "Negative sentiment" rule), or the urgency when higher:
  urgency >= 9 means critical, >= 7 high (a model should not quietly lower a priority).

Anything unknown or malformed in the answer is ignored, field by field. An answer less
confident than `AI_CLASSIFY_MIN_CONFIDENCE` (or with no confidence) changes nothing: a
wrong category would send the ticket to the wrong team, which is worse than none.
"""

import json
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

from common.exceptions import ApplicationError
from knowledge.ai.service import ai_call_json, ai_interaction_set_outcome
from knowledge.models import AIInteraction
from tickets.models import (
    PRIORITY_ORDER,
    Category,
    Priority,
    Sentiment,
    Status,
    Ticket,
    TicketType,
)

OPEN_FIELDS = ("category", "type", "priority")
MAX_TAGS = 5
MAX_BODY_CHARS = 4000
SENTIMENTS = tuple(Sentiment.values)
# Words models use for an unhappy customer (seed 001 asks for "frustrated").
SENTIMENT_ALIASES = {"frustrated": Sentiment.NEGATIVE, "angry": Sentiment.NEGATIVE}
# Urgency (1-10) to priority, highest first; below the last threshold nothing is changed.
URGENCY_PRIORITIES = ((9, Priority.CRITICAL), (7, Priority.HIGH))


def schema_hint(categories: list[Category]) -> str:
    slugs = ", ".join(f'"{c.slug}" ({c.name})' for c in categories) or "none"
    types = ", ".join(f'"{value}"' for value in TicketType.values)
    sentiments = ", ".join(f'"{value}"' for value in SENTIMENTS)
    return (
        "{"
        f'"category": one of {slugs} or null, '
        f'"type": one of {types} or null, '
        f'"tags": a list of at most {MAX_TAGS} short lowercase keywords, '
        '"urgency": an integer from 1 (can wait) to 10 (business stopped, data lost), '
        f'"sentiment": one of {sentiments}, '
        '"confidence": a number from 0 to 1'
        "}"
    )


def ticket_messages(ticket: Ticket) -> list[dict[str, str]]:
    return [
        {
            "role": "system",
            "content": "You classify customer support tickets for a SaaS helpdesk.",
        },
        {
            "role": "user",
            "content": json.dumps(
                {"subject": ticket.subject, "description": ticket.body[:MAX_BODY_CHARS]},
                ensure_ascii=False,
            ),
        },
    ]


def parse_classification(data: dict[str, Any], categories: list[Category]) -> dict[str, Any]:
    """Keep only what is valid: a known active category, a known type, string tags, an integer
    urgency from 1 to 10, a known sentiment."""
    by_slug = {c.slug: c for c in categories}
    result: dict[str, Any] = {}
    category = data.get("category")
    if isinstance(category, str) and category in by_slug:
        result["category"] = by_slug[category]
    kind = data.get("type")
    if isinstance(kind, str) and kind in TicketType.values:
        result["type"] = kind
    tags = data.get("tags")
    if isinstance(tags, list):
        result["tags"] = [t for t in tags if isinstance(t, str) and t.strip()][:MAX_TAGS]
    urgency = data.get("urgency")
    if isinstance(urgency, int) and not isinstance(urgency, bool) and 1 <= urgency <= 10:
        result["urgency"] = urgency
    sentiment = data.get("sentiment")
    if isinstance(sentiment, str):
        sentiment = sentiment.strip().lower()
        sentiment = SENTIMENT_ALIASES.get(sentiment, sentiment)
        if sentiment in SENTIMENTS:
            result["sentiment"] = str(sentiment)
    return result


def priority_from_urgency(urgency: int | None) -> str | None:
    if urgency is None:
        return None
    for threshold, priority in URGENCY_PRIORITIES:
        if urgency >= threshold:
            return priority
    return None


def priority_after_answer(ticket: Ticket, urgency: int | None) -> tuple[str, str]:
    """The priority the rules give the ticket now that it carries the model's category and
    sentiment, or the urgency's when higher; and why, for the `priority_changed` event."""
    from tickets.classification import default_priority

    by_rules = default_priority(ticket, fallback=Priority.MEDIUM)
    priority = by_rules.priority
    reasons = [name for name in (by_rules.rule, by_rules.raised_by) if name]
    by_urgency = priority_from_urgency(urgency)
    if by_urgency and PRIORITY_ORDER.index(by_urgency) > PRIORITY_ORDER.index(priority):
        priority, reasons = by_urgency, [f"urgency {urgency}"]
    return priority, "AI classification" + (f" ({', '.join(reasons)})" if reasons else "")


def confident_enough(confidence) -> bool:
    return confidence is not None and float(confidence) >= settings.AI_CLASSIFY_MIN_CONFIDENCE


def already_classified(ticket: Ticket) -> bool:
    return AIInteraction.objects.filter(
        ticket=ticket,
        purpose=AIInteraction.Purpose.CLASSIFY,
        outcome__in=[AIInteraction.Outcome.SENT, AIInteraction.Outcome.USED],
    ).exists()


def ai_classify(*, ticket: Ticket, open_fields=OPEN_FIELDS) -> list[str]:
    """Ask the model and apply its valid answer; returns the fields changed. Idempotent: a
    ticket with an answered classification call is not asked again. Never raises for a model
    fault; a closed ticket or a change a service refuses is skipped."""
    from tickets.services import (
        ticket_change_category,
        ticket_change_priority,
        ticket_change_type,
        ticket_set_sentiment,
        ticket_set_tags,
    )
    from tickets.services.triage import normalise_tags

    if ticket.status == Status.CLOSED or already_classified(ticket):
        return []
    categories = list(Category.objects.filter(active=True).order_by("slug"))
    result = ai_call_json(
        purpose=AIInteraction.Purpose.CLASSIFY,
        messages=ticket_messages(ticket),
        schema_hint=schema_hint(categories),
        ticket=ticket,
    )
    if result.data is None or not confident_enough(result.interaction.confidence):
        return []
    answer = parse_classification(result.data, categories)
    changed: list[str] = []
    try:
        category = answer.get("category")
        if "category" in open_fields and category and ticket.category_id != category.pk:
            ticket = ticket_change_category(ticket=ticket, category=category)
            changed.append("category")
        if "type" in open_fields and "type" in answer and ticket.type != answer["type"]:
            ticket = ticket_change_type(ticket=ticket, type=answer["type"])
            changed.append("type")
        if answer.get("tags"):
            current = list(ticket.tags.values_list("name", flat=True))
            wanted = current + [t for t in normalise_tags(answer["tags"]) if t not in current]
            if len(wanted) > len(current):
                ticket = ticket_set_tags(ticket=ticket, tags=wanted)
                changed.append("tags")
        sentiment = answer.get("sentiment")
        if ticket.sentiment != sentiment:
            ticket = ticket_set_sentiment(ticket=ticket, sentiment=sentiment, source="ai")
            changed.append("sentiment")
        if "priority" in open_fields:
            ticket = Ticket.objects.select_related("category", "customer").get(pk=ticket.pk)
            priority, reason = priority_after_answer(ticket, answer.get("urgency"))
            if PRIORITY_ORDER.index(priority) > PRIORITY_ORDER.index(ticket.priority):
                ticket = ticket_change_priority(ticket=ticket, priority=priority, reason=reason)
                changed.append("priority")
    except (ApplicationError, ValidationError):
        pass  # the ticket changed meanwhile (closed, category deactivated): keep what applied
    if changed:
        ai_interaction_set_outcome(
            interaction=result.interaction, outcome=AIInteraction.Outcome.USED
        )
    return changed
