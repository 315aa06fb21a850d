"""Automation rules (tickets.automation evaluates them; see docs/automation.md)."""

from django.db import models


class Rule(models.Model):
    """An automation rule: when its trigger happens and its conditions match, run its actions.

    Conditions are structured rows (a field from a registry, an operator, a JSON value), never
    code in strings. Rules run in `position` order; `stop_processing` ends the evaluation for
    that trigger once this rule has fired.
    """

    class Trigger(models.TextChoices):
        TICKET_CREATED = "ticket_created", "Ticket created"
        CUSTOMER_REPLIED = "customer_replied", "Customer replied"
        STATUS_CHANGED = "status_changed", "Status changed"
        HOURLY = "hourly", "Hourly (time-based)"

    class Match(models.TextChoices):
        ALL = "all", "All conditions"
        ANY = "any", "Any condition"

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    match = models.CharField(max_length=3, choices=Match.choices, default=Match.ALL)
    position = models.PositiveIntegerField(default=0, help_text="Lower runs first.")
    stop_processing = models.BooleanField(
        default=False, help_text="When this rule fires, later rules are not evaluated."
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["trigger", "active", "position"], name="rule_trigger")]

    def __str__(self) -> str:
        return self.name


class RuleCondition(models.Model):
    class Field(models.TextChoices):
        CATEGORY = "category", "Category (slug)"
        TYPE = "type", "Type"
        PRIORITY = "priority", "Priority"
        TIER = "tier", "Customer plan tier"
        CHANNEL = "channel", "Channel"
        SUBJECT = "subject", "Subject"
        BODY = "body", "Description"
        TAGS = "tags", "Tags"
        PREVIOUS_TICKETS = "previous_tickets", "Customer's previous tickets (count)"
        AVERAGE_SATISFACTION = "average_satisfaction", "Customer's average satisfaction (1-5)"
        ACCOUNT_AGE_HOURS = "account_age_hours", "Customer account age (hours)"
        STATUS = "status", "Status"
        HOURS_IN_STATUS = "hours_in_status", "Hours in current status"

    class Operator(models.TextChoices):
        EQUALS = "equals", "equals"
        NOT_EQUALS = "not_equals", "does not equal"
        IN = "in", "is one of"
        CONTAINS = "contains", "contains"
        MATCHES = "matches", "matches (regular expression)"
        GT = "gt", ">"
        GTE = "gte", "≥"
        LT = "lt", "<"
        LTE = "lte", "≤"
        HAS_TAG = "has_tag", "has tag"

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="conditions")
    field = models.CharField(max_length=30, choices=Field.choices)
    operator = models.CharField(max_length=20, choices=Operator.choices)
    value = models.JSONField(
        blank=True,
        null=True,
        help_text='JSON: a string ("billing"), a number (24) or a list (["high", "critical"]).',
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.field} {self.operator} {self.value!r}"

    def clean(self) -> None:
        from tickets.automation.conditions import validate_condition

        self.value = validate_condition(self.field, self.operator, self.value)


class RuleAction(models.Model):
    class Kind(models.TextChoices):
        SET_PRIORITY = "set_priority", "Set priority"
        SET_CATEGORY = "set_category", "Set category"
        SET_TEAM = "set_team", "Set team"
        SET_TYPE = "set_type", "Set type"
        ADD_TAGS = "add_tags", "Add tags"
        ASSIGN_AGENT = "assign_agent", "Assign to an agent"
        ASSIGN_TEAM = "assign_team", "Assign to a team"
        SEND_CANNED_RESPONSE = "send_canned_response", "Send a canned response"
        ADD_INTERNAL_NOTE = "add_internal_note", "Add an internal note"
        ESCALATE = "escalate", "Escalate"
        NOTIFY_MANAGER = "notify_manager", "Notify the managers"
        FIRE_WEBHOOK = "fire_webhook", "Fire a webhook"
        REMIND_CUSTOMER = "remind_customer", "Remind the customer by email"
        CLOSE = "close", "Close the ticket"

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="actions")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    value = models.JSONField(
        blank=True,
        null=True,
        help_text="JSON, by kind: a priority, category/team/canned response slug, username, "
        "list of tags, note or message text, or a webhook subscription id.",
    )

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value!r}" if self.value else self.kind

    def clean(self) -> None:
        from tickets.automation.action_values import validate_action

        self.value = validate_action(self.kind, self.value)
