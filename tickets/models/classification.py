"""Classification on creation (tickets.classification applies them; editable in admin)."""

import re

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from tickets.models.choices import PLAN_TIER_ALIASES, PlanTier, Priority, Sentiment, TicketType
from tickets.models.ticket import Category


def _string_list(value, *, field: str, label: str, allowed=None, aliases=None) -> list[str]:
    """A JSON list of non-empty strings, stripped; `allowed` limits the values, after
    `aliases` (lower-case alias to value) are replaced."""
    from django.core.exceptions import ValidationError

    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError({field: f"{label} must be a JSON list of strings."})
    items = [item.strip() for item in value if item.strip()]
    if aliases:
        items = [str(aliases.get(item.lower(), item)) for item in items]
    if allowed is not None:
        unknown = sorted(set(items) - set(allowed))
        if unknown:
            raise ValidationError(
                {
                    field: f"Unknown {label.lower()}: {', '.join(unknown)}. "
                    f"Use: {', '.join(allowed)}."
                }
            )
    return items


class ClassificationPattern(models.Model):
    """A regular expression that classifies a new ticket: the first active pattern, in
    `position` order, that matches the subject and description gives its category, type and
    tags. Matching is case-insensitive."""

    position = models.PositiveIntegerField(default=0, help_text="Lower is tried first.")
    name = models.CharField(max_length=100, unique=True)
    pattern = models.CharField(
        max_length=500,
        help_text="A regular expression, matched case-insensitively against the subject "
        "and the description, e.g. payment.*fail|card.*decline",
    )
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="classification_patterns",
    )
    type = models.CharField(max_length=20, choices=TicketType.choices, blank=True)
    tags = models.JSONField(
        default=list, blank=True, help_text='A JSON list of tags, e.g. ["payment", "urgent"].'
    )
    confidence = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        default=0.9,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="How sure a match is, from 0 to 1.",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        try:
            re.compile(self.pattern, re.IGNORECASE)
        except re.error as exc:
            raise ValidationError(
                {"pattern": f"This is not a valid regular expression: {exc}."}
            ) from None
        self.tags = _string_list(self.tags, field="tags", label="Tags")


class PriorityRule(models.Model):
    """A priority for new tickets whose conditions all match: each non-empty list must match
    (any keyword in the subject or description, case-insensitive; the category slug, the type,
    the customer's plan tier, the customer's sentiment is one of the list). The first active
    rule, in `position` order, wins; a rule with no conditions matches every ticket.

    A rule that raises one step does not give a priority: the first active one that matches
    raises the priority the other rules gave by one step (low → medium → high → critical),
    never above its own priority. The sentiment is known once the AI classified the ticket,
    so sentiment rules apply then (tickets.classification.default_priority)."""

    position = models.PositiveIntegerField(default=0, help_text="Lower is tried first.")
    name = models.CharField(max_length=100, unique=True)
    priority = models.CharField(max_length=10, choices=Priority.choices)
    keywords = models.JSONField(
        default=list, blank=True, help_text='Any of these phrases, e.g. ["cannot access"].'
    )
    categories = models.JSONField(
        default=list, blank=True, help_text='Category slugs, e.g. ["billing"].'
    )
    types = models.JSONField(default=list, blank=True, help_text='Ticket types, e.g. ["bug"].')
    plan_tiers = models.JSONField(
        default=list, blank=True, help_text='Customer plan tiers, e.g. ["enterprise"].'
    )
    sentiments = models.JSONField(
        default=list,
        blank=True,
        help_text='Customer sentiments, e.g. ["negative"]: known once the AI classified the '
        "ticket.",
    )
    raise_one_step = models.BooleanField(
        default=False,
        help_text="Instead of giving its priority, raise the priority the other rules gave by "
        "one step (low → medium → high → critical), never above this rule's priority. The "
        "first matching rule of this kind applies.",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        self.keywords = _string_list(self.keywords, field="keywords", label="Keywords")
        self.categories = _string_list(self.categories, field="categories", label="Categories")
        unknown = sorted(
            set(self.categories) - set(Category.objects.values_list("slug", flat=True))
        )
        if unknown:
            raise ValidationError({"categories": f"Unknown category slugs: {', '.join(unknown)}."})
        self.types = _string_list(
            self.types, field="types", label="Types", allowed=TicketType.values
        )
        self.plan_tiers = _string_list(
            self.plan_tiers,
            field="plan_tiers",
            label="Plan tiers",
            allowed=PlanTier.values,
            aliases=PLAN_TIER_ALIASES,
        )
        self.sentiments = _string_list(
            self.sentiments, field="sentiments", label="Sentiments", allowed=Sentiment.values
        )
