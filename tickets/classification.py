"""Rule-based classification of new tickets: a before-hook on "create".

Two ordered tables, editable in admin, decide what a ticket filed without those choices gets:

- `ClassificationPattern`: the first active pattern (by position) whose regular expression
  matches the subject and description gives the category and type the caller left unset, and
  adds its tags (always, even when the caller chose a category).
- `PriorityRule`: the first active rule whose conditions all match gives the priority, only
  when the caller left the priority unset; then the first matching rule that raises one step
  raises it (`default_priority`). The rules see the classified category and type, and the
  customer's sentiment once the AI has read it (seed 002: the default "Negative sentiment"
  rule raises the priority one step, never past critical).

What was applied (pattern name and confidence, rule name) is recorded in the `created` event.

When no pattern matched and the AI is on (knowledge.ai), the model is asked too, but never
inside the customer's request: the before-hook only records the open fields in
`ctx.changes["ai_classify"]`, and the after-hook `queue_ai_classification` queues
`knowledge.tasks.ai_classify_ticket` once the ticket is committed. The ticket reaches agents
either way; the model's answer arrives as ordinary change events (knowledge.ai.classification).
The defaults below (seed 001's patterns with their categories and `calculatePriority`, seed
002's sentiment step) are installed by data migrations; nothing reads them at run time.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

from common.config_cache import ConfigCache
from tickets.models import Category, ClassificationPattern, PriorityRule

# Categories the default patterns and rules refer to: slug, name, reference prefix (seed 001's
# prefix table where it has one; the names match the demo data) and the default team that
# handles it (the demo's teams, seed 001's selectTeam), linked only when that team exists.
# Created only when absent: an existing category with the slug is reused as it is.
DEFAULT_CATEGORIES = [
    ("billing", "Billing", "BIL", "billing-accounts"),
    ("bug", "Bug report", "BUG", "technical-support"),
    ("onboarding", "Onboarding", "ONB", "technical-support"),
    ("feature_help", "Feature help", "FH", "technical-support"),
    ("security", "Security", "SEC", "technical-support"),
    ("data_loss", "Data loss", "DL", "technical-support"),
    ("form_builder", "Form builder", "FB", "technical-support"),
    ("import_export", "Import and export", "IMP", "technical-support"),
    ("performance", "Performance", "PERF", "technical-support"),
]

# Seed 001's AITicketClassifier patterns, in its order ("refund" added to the payment
# pattern). Each names one of the default categories above.
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

# Seed 001's calculatePriority, one rule per trigger, in its order; then seed 002's sentiment:
# a negative customer raises the priority those rules gave by one step (up to critical).
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
    {
        "name": "Negative sentiment",
        "priority": "critical",
        "sentiments": ["negative"],
        "raise_one_step": True,
    },
]
_RULE_LIST_FIELDS = ("keywords", "categories", "types", "plan_tiers", "sentiments")

DEFAULT_CONFIDENCE = Decimal("0.90")


def install_default_classification(
    Category, ClassificationPattern, PriorityRule, Team=None
) -> None:
    """Install the default categories, patterns and priority rules, idempotently by slug and
    name (an edited or deleted-and-recreated row is left as it is). With `Team`, a default
    category is linked to its default team when that team exists. Takes the model classes so
    migrations can pass their historical models; a default rule whose fields the historical
    model does not have yet is left to the later migration that adds them."""
    for slug, name, prefix, _ in DEFAULT_CATEGORIES:
        Category.objects.get_or_create(slug=slug, defaults={"name": name, "prefix": prefix})
    categories = {c.slug: c for c in Category.objects.all()}
    if Team is not None:
        link_default_teams(Category, Team)
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
    rule_fields = {field.name for field in PriorityRule._meta.get_fields()}
    for position, row in enumerate(DEFAULT_PRIORITY_RULES, start=1):
        if not set(row) <= rule_fields:
            continue
        defaults = {"position": position * 10, "priority": row["priority"]}
        defaults.update({name: row.get(name, []) for name in _RULE_LIST_FIELDS if name in row})
        if row.get("raise_one_step"):
            defaults["raise_one_step"] = True
        PriorityRule.objects.get_or_create(name=row["name"], defaults=defaults)


def link_default_teams(Category, Team) -> None:
    """Give each default category its default team, when both exist (adding, never
    removing: a team keeps the categories it has)."""
    teams = {team.slug: team for team in Team.objects.all()}
    for slug, _, _, team_slug in DEFAULT_CATEGORIES:
        team = teams.get(team_slug)
        category = Category.objects.filter(slug=slug).first()
        if team is not None and category is not None:
            team.categories.add(category)


def fill_default_pattern_categories(Category, ClassificationPattern) -> None:
    """Databases that installed the default patterns before their categories existed have
    them without one: give each its default category (a pattern with a category keeps it)."""
    categories = {c.slug: c for c in Category.objects.all()}
    for row in DEFAULT_PATTERNS:
        ClassificationPattern.objects.filter(name=row["name"], category__isnull=True).update(
            category=categories.get(row["category"])
        )


def _text(ticket) -> str:
    return f"{ticket.subject} {ticket.body}"


def _active_patterns() -> list[ClassificationPattern]:
    return list(ClassificationPattern.objects.filter(active=True).select_related("category"))


def _active_priority_rules() -> list[PriorityRule]:
    return list(PriorityRule.objects.filter(active=True))


# Read for every new ticket, changed a few times a month: a per-process copy
# (common.config_cache), emptied when a pattern, rule or category is saved.
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
    if rule.sentiments and ticket.sentiment not in rule.sentiments:
        return False
    return not (rule.plan_tiers and ticket.customer.plan_tier not in rule.plan_tiers)


def first_matching_priority_rule(ticket, *, raising: bool = False):
    """The first active rule that matches: of those giving a priority, or with `raising` of
    those raising it one step."""
    for rule in active_priority_rules.get():
        if rule.raise_one_step == raising and rule_matches(rule, ticket):
            return rule
    return None


@dataclass(frozen=True)
class DefaultPriority:
    priority: str
    rule: str | None  # the rule that gave the priority
    raised_by: str | None  # the rule that raised it one step


def default_priority(ticket, *, fallback: str) -> DefaultPriority:
    """The priority the active rules give the ticket as it is now: the first matching rule's
    priority (`fallback` when none matches), raised one step by the first matching raising
    rule, never above that rule's own priority."""
    from tickets.models import PRIORITY_ORDER
    from tickets.services.triage import next_priority

    rule = first_matching_priority_rule(ticket)
    priority = rule.priority if rule is not None else fallback
    raising = first_matching_priority_rule(ticket, raising=True)
    raised_by = None
    if raising is not None:
        raised = next_priority(priority)
        ceiling = PRIORITY_ORDER.index(raising.priority)
        if PRIORITY_ORDER.index(priority) < PRIORITY_ORDER.index(raised) <= ceiling:
            priority, raised_by = raised, raising.name
    return DefaultPriority(priority, rule.name if rule else None, raised_by)


def classify_new_ticket(ctx) -> None:
    """Before-hook on "create": fill in what the caller left unset (see the module docstring).

    `ctx.changes["classify"]` says which fields are open: {"category", "type", "priority"} as
    booleans; missing or empty means the caller classified the ticket itself. Records
    `ctx.changes["classification"]` for the `created` event.
    """
    from tickets.services.triage import normalise_tags

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
        result = default_priority(ticket, fallback=ticket.priority)
        ticket.priority = result.priority
        record["priority_rule"] = result.rule
        if result.raised_by:
            record["priority_raised_by"] = result.raised_by

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
