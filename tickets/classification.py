"""Rule-based classification of new tickets: a before-hook on "create".

Two ordered tables, editable in admin, decide what a ticket filed without those choices gets:

- `ClassificationPattern`: the first active pattern (by position) whose regular expression
  matches the subject and description gives the category and type the caller left unset, and
  adds its tags (always, even when the caller chose a category).
- `PriorityRule`: the first active rule whose conditions all match gives the priority, only
  when the caller left the priority unset. The rules see the classified category and type.

What was applied (pattern name and confidence, rule name) is recorded in the `created` event.

When no pattern matched and the AI is on (knowledge.ai), the model is asked too, but never
inside the customer's request: the before-hook only records the open fields in
`ctx.changes["ai_classify"]`, and the after-hook `queue_ai_classification` queues
`knowledge.tasks.ai_classify_ticket` once the ticket is committed. The ticket reaches agents
either way; the model's answer arrives as ordinary change events (knowledge.ai.classification).
The defaults below (seed 001's patterns and `calculatePriority`) are installed by a data
migration; nothing reads them at run time.
"""

import re
from decimal import Decimal

from helpdesk.config_cache import ConfigCache
from tickets.models import Category, ClassificationPattern, PriorityRule

# Categories the default patterns and rules refer to: slug, name, reference prefix (seed 001's
# prefix table; the names match the demo data). Created only when absent.
DEFAULT_CATEGORIES = [
    ("billing", "Billing", "BIL"),
    ("bug", "Bug report", "BUG"),
    ("onboarding", "Onboarding", "ONB"),
    ("feature_help", "Feature help", "FH"),
    ("security", "Security", "SEC"),
    ("data_loss", "Data loss", "DL"),
]

# Seed 001's AITicketClassifier patterns, in its order ("refund" added to the payment
# pattern). A category that does not exist (form_builder, import_export, performance) is left
# empty: the pattern still gives the type and tags, and an admin can pick a category later.
DEFAULT_PATTERNS = [
    {
        "name": "Form not saving",
        "pattern": r"form.*(not|won't|can't).*sav",
        "category": "form_builder",
        "type": "bug",
        "tags": ["forms", "data_loss"],
    },
    {
        "name": "CSV import error",
        "pattern": r"import.*csv|csv.*import|upload.*spreadsheet",
        "category": "import_export",
        "type": "technical",
        "tags": ["import", "csv"],
    },
    {
        "name": "Payment issue",
        "pattern": r"payment.*fail|card.*decline|billing.*error|refund",
        "category": "billing",
        "type": "billing",
        "tags": ["payment", "urgent"],
    },
    {
        "name": "Slow performance",
        "pattern": r"slow|lag|freeze|stuck|loading",
        "category": "performance",
        "type": "bug",
        "tags": ["performance"],
    },
]

# Seed 001's calculatePriority, one rule per trigger, in its order.
DEFAULT_PRIORITY_RULES = [
    {"name": "Data loss", "priority": "critical", "categories": ["data_loss"]},
    {"name": "Security", "priority": "critical", "categories": ["security"]},
    {
        "name": "Cannot access or payment failed",
        "priority": "critical",
        "keywords": ["cannot access", "payment failed"],
    },
    {"name": "Enterprise tier", "priority": "high", "plan_tiers": ["enterprise"]},
    {"name": "Scale tier bug", "priority": "high", "plan_tiers": ["scale"], "types": ["bug"]},
    {"name": "Billing", "priority": "high", "categories": ["billing"]},
    {"name": "Something broken", "priority": "high", "keywords": ["broken"]},
    {"name": "Bug", "priority": "medium", "types": ["bug"]},
    {"name": "Professional tier", "priority": "medium", "plan_tiers": ["professional"]},
    {"name": "Everything else", "priority": "low"},
]

DEFAULT_CONFIDENCE = Decimal("0.90")


def install_default_classification(Category, ClassificationPattern, PriorityRule) -> None:
    """Install the default categories, patterns and priority rules, idempotently by slug and
    name (an edited or deleted-and-recreated row is left as it is). Takes the model classes so
    migrations can pass their historical models."""
    for slug, name, prefix in DEFAULT_CATEGORIES:
        Category.objects.get_or_create(slug=slug, defaults={"name": name, "prefix": prefix})
    categories = {c.slug: c for c in Category.objects.all()}
    for position, row in enumerate(DEFAULT_PATTERNS, start=1):
        ClassificationPattern.objects.get_or_create(
            name=row["name"],
            defaults={
                "position": position * 10,
                "pattern": row["pattern"],
                "category": categories.get(row["category"]),
                "type": row["type"],
                "tags": row["tags"],
                "confidence": DEFAULT_CONFIDENCE,
            },
        )
    for position, row in enumerate(DEFAULT_PRIORITY_RULES, start=1):
        PriorityRule.objects.get_or_create(
            name=row["name"],
            defaults={
                "position": position * 10,
                "priority": row["priority"],
                "keywords": row.get("keywords", []),
                "categories": row.get("categories", []),
                "types": row.get("types", []),
                "plan_tiers": row.get("plan_tiers", []),
            },
        )


def _text(ticket) -> str:
    return f"{ticket.subject} {ticket.body}"


def _active_patterns() -> list[ClassificationPattern]:
    return list(ClassificationPattern.objects.filter(active=True).select_related("category"))


def _active_priority_rules() -> list[PriorityRule]:
    return list(PriorityRule.objects.filter(active=True))


# Read for every new ticket, changed a few times a month: a per-process copy
# (helpdesk.config_cache), emptied when a pattern, rule or category is saved.
_WATCHED = [ClassificationPattern, PriorityRule, Category]
active_patterns = ConfigCache("classification-patterns", _active_patterns, models=_WATCHED)
active_priority_rules = ConfigCache("priority-rules", _active_priority_rules, models=_WATCHED)


def first_matching_pattern(ticket):
    """The first active pattern matching the ticket's subject and description, or None.
    A pattern saved with an invalid expression (outside admin) is skipped."""
    text = _text(ticket)
    for pattern in active_patterns.get():
        try:
            if re.search(pattern.pattern, text, re.IGNORECASE):
                return pattern
        except re.error:
            continue
    return None


def rule_matches(rule, ticket) -> bool:
    """Every non-empty condition list matches (and), any value within a list (or)."""
    if rule.keywords:
        text = _text(ticket).lower()
        if not any(keyword.lower() in text for keyword in rule.keywords):
            return False
    if rule.categories and (ticket.category is None or ticket.category.slug not in rule.categories):
        return False
    if rule.types and ticket.type not in rule.types:
        return False
    return not (rule.plan_tiers and ticket.customer.plan_tier not in rule.plan_tiers)


def first_matching_priority_rule(ticket):
    for rule in active_priority_rules.get():
        if rule_matches(rule, ticket):
            return rule
    return None


def classify_new_ticket(ctx) -> None:
    """Before-hook on "create": fill in what the caller left unset (see the module docstring).

    `ctx.changes["classify"]` says which fields are open: {"category", "type", "priority"} as
    booleans; missing or empty means the caller classified the ticket itself. Records
    `ctx.changes["classification"]` for the `created` event.
    """
    from tickets.services.lifecycle import normalise_tags

    open_fields = ctx.changes.get("classify") or {}
    if not open_fields:
        return
    ticket = ctx.ticket
    record = {"pattern": None, "confidence": None, "priority_rule": None}

    pattern = first_matching_pattern(ticket)
    if pattern is not None:
        record["pattern"] = pattern.name
        record["confidence"] = float(pattern.confidence)
        if open_fields.get("category") and pattern.category and pattern.category.active:
            ticket.category = pattern.category
        if open_fields.get("type") and pattern.type:
            ticket.type = pattern.type
        tags = list(ctx.changes.get("tags", []))
        for tag in normalise_tags(pattern.tags or []):
            if tag not in tags:
                tags.append(tag)
        ctx.changes["tags"] = tags

    elif any(open_fields.values()):
        from knowledge.ai.client import ai_enabled

        if ai_enabled():
            ctx.changes["ai_classify"] = [name for name, is_open in open_fields.items() if is_open]
            record["ai"] = "queued"

    if open_fields.get("priority"):
        rule = first_matching_priority_rule(ticket)
        if rule is not None:
            ticket.priority = rule.priority
            record["priority_rule"] = rule.name

    ctx.changes["classification"] = record


def queue_ai_classification(ctx) -> None:
    """After-hook on "create" (runs on commit): queue the model's classification when the
    before-hook asked for it. The task re-checks everything; a queueing fault is logged by the
    hook runner and never affects the ticket."""
    fields = ctx.changes.get("ai_classify")
    if not fields:
        return
    from django_q.tasks import async_task

    async_task("knowledge.tasks.ai_classify_ticket", ctx.ticket.pk, list(fields))
