"""Rule conditions: a registry of ticket and customer fields and the operators each accepts.

A condition is data (field, operator, JSON value), never code. `validate_condition` refuses
an unknown field/operator combination, a value of the wrong type, an unknown choice or a
regular expression that does not compile; `condition_matches` evaluates a condition against
`TicketFacts`, which reads each field once, lazily.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Avg
from django.utils import timezone
from django.utils.text import slugify

from tickets.models import (
    PRIORITY_ALIASES,
    PRIORITY_ORDER,
    Category,
    Channel,
    PlanTier,
    Priority,
    RuleCondition,
    Status,
    Ticket,
    TicketEvent,
    TicketType,
    parse_plan_tier,
)

Field = RuleCondition.Field
Op = RuleCondition.Operator

CHOICE_OPS = frozenset({Op.EQUALS, Op.NOT_EQUALS, Op.IN})
TEXT_OPS = frozenset({Op.EQUALS, Op.NOT_EQUALS, Op.CONTAINS, Op.MATCHES})
NUMBER_OPS = frozenset({Op.EQUALS, Op.NOT_EQUALS, Op.GT, Op.GTE, Op.LT, Op.LTE})
ORDERED_OPS = frozenset({Op.GT, Op.GTE, Op.LT, Op.LTE})
MAX_PATTERN_LENGTH = 500


@dataclass(frozen=True)
class FieldSpec:
    kind: str  # "choice", "text", "number", "tags"
    operators: frozenset
    choices: Callable[[], list[str]] | None = None  # allowed values of a choice field


def _category_slugs() -> list[str]:
    return list(Category.objects.values_list("slug", flat=True))


FIELDS: dict[str, FieldSpec] = {
    Field.CATEGORY: FieldSpec("choice", CHOICE_OPS, _category_slugs),
    Field.TYPE: FieldSpec("choice", CHOICE_OPS, lambda: list(TicketType.values)),
    Field.PRIORITY: FieldSpec("choice", CHOICE_OPS | ORDERED_OPS, lambda: list(Priority.values)),
    Field.TIER: FieldSpec("choice", CHOICE_OPS, lambda: [*PlanTier.values, ""]),
    Field.CHANNEL: FieldSpec("choice", CHOICE_OPS, lambda: list(Channel.values)),
    Field.STATUS: FieldSpec("choice", CHOICE_OPS, lambda: list(Status.values)),
    Field.SUBJECT: FieldSpec("text", TEXT_OPS),
    Field.BODY: FieldSpec("text", TEXT_OPS),
    Field.TAGS: FieldSpec("tags", frozenset({Op.HAS_TAG, Op.IN})),
    Field.PREVIOUS_TICKETS: FieldSpec("number", NUMBER_OPS),
    Field.AVERAGE_SATISFACTION: FieldSpec("number", NUMBER_OPS),
    Field.ACCOUNT_AGE_HOURS: FieldSpec("number", NUMBER_OPS),
    Field.HOURS_IN_STATUS: FieldSpec("number", NUMBER_OPS),
}


def _label(value: str, choices) -> str:
    return dict(choices).get(value, value)


def _check_choice(field: str, spec: FieldSpec, value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationError({"value": f"{_label(field, Field.choices)} needs a text value."})
    value = value.strip().lower() if field != Field.CATEGORY else value.strip()
    if field == Field.PRIORITY:
        value = PRIORITY_ALIASES.get(value, value)
    elif field == Field.TIER:
        value = parse_plan_tier(value)
    allowed = spec.choices()
    if value not in allowed:
        shown = ", ".join(repr(a) if a == "" else a for a in allowed) or "none defined"
        raise ValidationError(
            {"value": f"Unknown {_label(field, Field.choices).lower()} {value!r}; use {shown}."}
        )
    return str(value)


def validate_condition(field: str, operator: str, value: Any) -> Any:
    """Check one condition and return its value normalised; raise `ValidationError` with a
    message an admin can act on."""
    field, operator = str(field), str(operator)
    spec = FIELDS.get(field)
    if spec is None:
        raise ValidationError({"field": f"Unknown field {field!r}."})
    if operator not in Op.values:
        raise ValidationError({"operator": f"Unknown operator {operator!r}."})
    if operator not in spec.operators:
        allowed = ", ".join(sorted(str(o) for o in spec.operators))
        raise ValidationError(
            {
                "operator": f"The field {_label(field, Field.choices)} does not accept the "
                f"operator {operator!r}; use {allowed}."
            }
        )
    if operator == Op.IN:
        if not isinstance(value, list) or not value:
            raise ValidationError({"value": "The operator 'in' needs a non-empty list."})
        if spec.kind == "tags":
            return [_check_tag(v) for v in value]
        return [_check_choice(field, spec, v) for v in value]
    if operator == Op.HAS_TAG:
        return _check_tag(value)
    if operator == Op.MATCHES:
        if not isinstance(value, str) or not value:
            raise ValidationError({"value": "A regular expression is required."})
        if len(value) > MAX_PATTERN_LENGTH:
            raise ValidationError(
                {"value": f"The regular expression is longer than {MAX_PATTERN_LENGTH} characters."}
            )
        try:
            re.compile(value)
        except re.error as exc:
            raise ValidationError(
                {"value": f"The regular expression does not compile: {exc}."}
            ) from None
        return value
    if spec.kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError(
                {"value": f"{_label(field, Field.choices)} needs a number, not {value!r}."}
            )
        return value
    if spec.kind == "choice":
        return _check_choice(field, spec, value)
    # text: equals, not_equals, contains
    if not isinstance(value, str) or not value:
        raise ValidationError({"value": f"{_label(field, Field.choices)} needs a text value."})
    return value


def _check_tag(value: Any) -> str:
    tag = slugify(value)[:50] if isinstance(value, str) else ""
    if not tag:
        raise ValidationError({"value": "A tag name is required."})
    return tag


# ---------------------------------------------------------------------------------------------
# Reading the facts
# ---------------------------------------------------------------------------------------------


def status_entered_at(ticket: Ticket) -> datetime:
    """When the ticket entered its current status: the latest status change, else creation."""
    latest = (
        TicketEvent.objects.filter(ticket_id=ticket.pk, kind=TicketEvent.Kind.STATUS_CHANGED)
        .order_by("-created_at", "-id")
        .values_list("created_at", flat=True)
        .first()
    )
    return latest or ticket.created_at


class TicketFacts:
    """The values the conditions compare, each read once and only when a condition asks."""

    def __init__(self, ticket: Ticket, *, now: datetime | None = None, entered_at=None):
        self.ticket = ticket
        self.now = now or timezone.now()
        self._cache: dict[str, Any] = {}
        if entered_at is not None:
            self._cache["entered_at"] = entered_at

    def get(self, field: str) -> Any:
        if field not in self._cache:
            self._cache[field] = getattr(self, f"_read_{field}")()
        return self._cache[field]

    @property
    def entered_at(self) -> datetime:
        if "entered_at" not in self._cache:
            self._cache["entered_at"] = status_entered_at(self.ticket)
        return self._cache["entered_at"]

    def _read_category(self):
        return self.ticket.category.slug if self.ticket.category_id else ""

    def _read_type(self):
        return self.ticket.type

    def _read_priority(self):
        return self.ticket.priority

    def _read_tier(self):
        return self.ticket.customer.plan_tier

    def _read_channel(self):
        return self.ticket.channel

    def _read_status(self):
        return self.ticket.status

    def _read_subject(self):
        return self.ticket.subject

    def _read_body(self):
        return self.ticket.body

    def _read_tags(self):
        return set(self.ticket.tags.values_list("name", flat=True))

    def _read_previous_tickets(self):
        return (
            Ticket.objects.filter(customer_id=self.ticket.customer_id)
            .exclude(pk=self.ticket.pk)
            .count()
        )

    def _read_average_satisfaction(self):
        return Ticket.objects.filter(
            customer_id=self.ticket.customer_id, satisfaction_rating__isnull=False
        ).aggregate(avg=Avg("satisfaction_rating"))["avg"]

    def _read_account_age_hours(self):
        return (self.now - self.ticket.customer.created_at).total_seconds() / 3600

    def _read_hours_in_status(self):
        return (self.now - self.entered_at).total_seconds() / 3600


def _compare(operator: str, actual, expected) -> bool:
    if operator == Op.GT:
        return actual > expected
    if operator == Op.GTE:
        return actual >= expected
    if operator == Op.LT:
        return actual < expected
    return actual <= expected


def condition_matches(condition: RuleCondition, facts: TicketFacts) -> bool:
    field, operator, expected = condition.field, condition.operator, condition.value
    actual = facts.get(field)
    if operator == Op.HAS_TAG:
        return expected in actual
    if field == Field.TAGS:  # in: any of the tags
        return bool(actual & set(expected))
    if actual is None:  # e.g. no rated tickets: nothing compares, everything differs
        return operator == Op.NOT_EQUALS
    if operator == Op.EQUALS:
        return actual == expected
    if operator == Op.NOT_EQUALS:
        return actual != expected
    if operator == Op.IN:
        return actual in expected
    if operator == Op.CONTAINS:
        return str(expected).casefold() in actual.casefold()
    if operator == Op.MATCHES:
        return re.search(expected, actual) is not None
    if field == Field.PRIORITY:
        order = [str(p) for p in PRIORITY_ORDER]
        return _compare(operator, order.index(actual), order.index(expected))
    return _compare(operator, actual, expected)


def rule_matches(rule, facts: TicketFacts) -> bool:
    """All (or any) of the rule's conditions hold. A rule without conditions always matches."""
    conditions = list(rule.conditions.all())
    if not conditions:
        return True
    results = (condition_matches(c, facts) for c in conditions)
    return all(results) if rule.match == rule.Match.ALL else any(results)


def validate_rule_conditions(
    *, trigger: str, match: str, conditions: list[tuple[str, str]]
) -> None:
    """Rule-level checks on (field, operator) pairs: a time-based rule needs every condition
    to hold and a "hours in current status" lower bound, or it would fire on every ticket the
    first hour it runs."""
    from tickets.models import Rule

    if trigger != Rule.Trigger.HOURLY:
        return
    has_bound = any(
        field == Field.HOURS_IN_STATUS and operator in (Op.GT, Op.GTE)
        for field, operator in conditions
    )
    if not has_bound:
        raise ValidationError(
            "A time-based (hourly) rule needs a condition “Hours in current status” "
            "greater than (or at least) a number of hours."
        )
    if match != Rule.Match.ALL:
        raise ValidationError("A time-based (hourly) rule must match all of its conditions.")
