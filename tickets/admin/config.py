"""Admin for how tickets are sorted and worked automatically: categories, tags, automation
rules, classification patterns and priority rules.
"""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.forms.models import BaseInlineFormSet

from tickets.automation.conditions import validate_rule_conditions
from tickets.models import (
    Category,
    ClassificationPattern,
    PriorityRule,
    Rule,
    RuleAction,
    RuleCondition,
    Tag,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "prefix", "active"]
    list_filter = ["active"]
    search_fields = ["name", "slug", "prefix"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "ticket_count"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(ticket_count=Count("tickets"))

    @admin.display(description="tickets", ordering="ticket_count")
    def ticket_count(self, obj):
        return obj.ticket_count


# ---------------------------------------------------------------------------------------------


class RuleConditionFormSet(BaseInlineFormSet):
    """Checks the rule as a whole: a time-based rule needs a time-in-status condition."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        pairs = [
            (form.cleaned_data["field"], form.cleaned_data["operator"])
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        validate_rule_conditions(
            trigger=self.instance.trigger, match=self.instance.match, conditions=pairs
        )


class RuleActionFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not any(
            form.cleaned_data and not form.cleaned_data.get("DELETE") for form in self.forms
        ):
            raise ValidationError("A rule needs at least one action.")


class RuleConditionInline(admin.TabularInline):
    model = RuleCondition
    formset = RuleConditionFormSet
    extra = 1


class RuleActionInline(admin.TabularInline):
    model = RuleAction
    formset = RuleActionFormSet
    extra = 1
    fields = ["position", "kind", "value"]


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    """Rules are data: each condition and action is validated when saved (see
    docs/automation.md); what a rule did is in the ticket's `rule_fired` events."""

    list_display = ["name", "trigger", "match", "position", "stop_processing", "active"]
    list_editable = ["position", "active"]
    list_filter = ["trigger", "active"]
    search_fields = ["name", "description"]
    ordering = ["trigger", "position", "id"]
    inlines = [RuleConditionInline, RuleActionInline]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(ClassificationPattern)
class ClassificationPatternAdmin(admin.ModelAdmin):
    """Classification of new tickets (tickets.classification): the first active pattern, by
    position, that matches gives the category, type and tags; the `created` event names it.
    The expression is checked when saved."""

    list_display = ["name", "pattern", "category", "type", "confidence", "position", "active"]
    list_editable = ["position", "active"]
    list_filter = ["active", "category", "type"]
    search_fields = ["name", "pattern"]


@admin.register(PriorityRule)
class PriorityRuleAdmin(admin.ModelAdmin):
    """The priority of a new ticket filed without one: the first active rule, by position,
    whose conditions all match (an empty list is no condition; a rule without any matches
    every ticket, so keep it last). Then the first matching rule that raises one step raises
    that priority, never above its own (the default: a negative sentiment, known once the AI
    classified the ticket, raises it one step up to critical)."""

    list_display = [
        "name",
        "priority",
        "raise_one_step",
        "keywords",
        "categories",
        "types",
        "plan_tiers",
        "sentiments",
        "position",
        "active",
    ]
    list_editable = ["position", "active"]
    list_filter = ["active", "priority", "raise_one_step"]
    search_fields = ["name"]
