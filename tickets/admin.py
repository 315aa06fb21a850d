"""Admin for tickets and the people who file them.

A ticket's lifecycle (status, priority, assignee, team, category, tags, escalation,
resolution, timestamps) changes only through `tickets.services`, which writes the audit
event: here those fields are read-only, and only the wording (subject, body) may be fixed.
The audit trail (`TicketEvent`) is read-only altogether.
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.utils.text import Truncator
from django_q.tasks import async_task

from common.markdown import render_markdown
from tickets.automation.conditions import validate_rule_conditions
from tickets.models import (
    Attachment,
    Category,
    ClassificationPattern,
    Customer,
    Notification,
    Organization,
    PriorityRule,
    Rule,
    RuleAction,
    RuleCondition,
    SatisfactionSurvey,
    Tag,
    Ticket,
    TicketEvent,
    TicketMessage,
)


def excerpt(text: str, length: int = 80) -> str:
    return Truncator(" ".join((text or "").split())).chars(length)


class ReadOnlyAdminMixin:
    """View-only admin: no add, no change, no delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "domain",
        "plan_tier",
        "customer_count",
        "tickets_30d",
        "csat_30d",
        "breaches_30d",
        "created_at",
    ]
    list_filter = ["plan_tier"]
    search_fields = ["name", "domain"]
    # Health figures are computed (tickets.organization_health), never typed in.
    readonly_fields = [
        "created_at",
        "tickets_30d",
        "csat_30d",
        "surveys_answered_30d",
        "breaches_30d",
        "health_updated_at",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(customer_count=Count("customers"))

    @admin.display(description="customers", ordering="customer_count")
    def customer_count(self, obj):
        return obj.customer_count


@admin.register(SatisfactionSurvey)
class SatisfactionSurveyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Surveys are written by `tickets.surveys` only (sent by the job, answered by the
    customer's signed link): view-only here."""

    list_display = [
        "ticket",
        "resolved_at",
        "due_at",
        "sent_at",
        "skipped_at",
        "rating",
        "answered_at",
    ]
    list_filter = ["rating"]
    list_select_related = ["ticket"]
    search_fields = ["ticket__reference", "ticket__customer__email", "comment"]
    date_hierarchy = "resolved_at"


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "plan_tier", "organization", "user", "created_at"]
    list_filter = ["plan_tier", "language"]
    list_select_related = ["organization", "user"]
    search_fields = ["name", "email", "organization__name"]
    autocomplete_fields = ["organization", "user"]
    readonly_fields = ["created_at"]
    date_hierarchy = "created_at"


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


class TicketMessageInline(admin.TabularInline):
    model = TicketMessage
    fields = ["created_at", "author_kind", "author", "is_internal", "text"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")

    @admin.display(description="message")
    def text(self, obj):
        return excerpt(obj.body, 120)


class TicketEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = TicketEvent
    fields = ["created_at", "kind", "actor", "from_value", "to_value"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "subject",
        "status",
        "priority",
        "customer",
        "assignee",
        "team",
        "category",
        "escalation_level",
        "created_at",
    ]
    list_filter = [
        "status",
        "priority",
        "type",
        "channel",
        "category",
        "team",
        "escalation_level",
        "sentiment",
    ]
    list_select_related = ["customer", "assignee", "team", "category"]
    search_fields = ["reference", "subject", "customer__email", "customer__name", "public_id"]
    date_hierarchy = "created_at"
    list_per_page = 50
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["reference", "public_id", "subject", "body"]}),
        (
            "Lifecycle (changed from the desk, so every change is audited)",
            {
                "fields": [
                    "status",
                    "priority",
                    "type",
                    "channel",
                    "category",
                    "customer",
                    "assignee",
                    "team",
                    "tags",
                    "escalation_level",
                    "sender_unverified",
                    "sentiment",
                    "resolution",
                ]
            },
        ),
        (
            "Timestamps",
            {
                "fields": [
                    "created_at",
                    "updated_at",
                    "first_response_at",
                    "resolved_at",
                    "closed_at",
                ]
            },
        ),
        ("Satisfaction", {"fields": ["satisfaction_rating", "satisfaction_comment"]}),
    ]
    readonly_fields = [
        "reference",
        "public_id",
        "status",
        "priority",
        "type",
        "channel",
        "category",
        "customer",
        "assignee",
        "team",
        "tags",
        "escalation_level",
        "sender_unverified",
        "sentiment",
        "resolution",
        "created_at",
        "updated_at",
        "first_response_at",
        "resolved_at",
        "closed_at",
        "satisfaction_rating",
        "satisfaction_comment",
    ]
    inlines = [TicketMessageInline, TicketEventInline]

    def has_add_permission(self, request):
        # Tickets are filed through the portal, email or API (`ticket_create`), which gives
        # them a reference, a first message and a `created` event.
        return False


@admin.register(TicketMessage)
class TicketMessageAdmin(admin.ModelAdmin):
    """Messages are written from the desk and portal. Admin may only correct a body (say, to
    redact a password a customer pasted); the stored HTML is re-rendered from it."""

    list_display = ["ticket", "author_kind", "author", "is_internal", "text", "created_at"]
    list_filter = ["author_kind", "is_internal"]
    list_select_related = ["ticket", "author"]
    search_fields = ["ticket__reference", "body", "author__username"]
    date_hierarchy = "created_at"
    fields = ["ticket", "author_kind", "author", "is_internal", "created_at", "body", "body_html"]
    readonly_fields = ["ticket", "author_kind", "author", "is_internal", "created_at", "body_html"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    @admin.display(description="message")
    def text(self, obj):
        return excerpt(obj.body)

    def save_model(self, request, obj, form, change):
        if "body" in form.changed_data:
            obj.body_html = render_markdown(obj.body)
        super().save_model(request, obj, form, change)


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "ticket", "kind", "actor", "from_value", "to_value"]
    list_filter = ["kind"]
    list_select_related = ["ticket", "actor"]
    search_fields = ["ticket__reference"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["filename", "content_type", "size", "scan_status", "ticket", "created_at"]
    list_filter = ["scan_status", "content_type"]
    list_select_related = ["ticket"]
    search_fields = ["filename", "ticket__reference"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "ticket",
        "message",
        "file",
        "filename",
        "content_type",
        "size",
        "scan_status",
        "scan_detail",
        "scanned_at",
        "created_at",
    ]

    def has_add_permission(self, request):
        # Files are checked and stored by the ticket services when a message is written.
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DeliveredFilter(admin.SimpleListFilter):
    title = "delivered"
    parameter_name = "delivered"

    def lookups(self, request, model_admin):
        return [("yes", "Sent"), ("no", "Not sent")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(sent_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(sent_at__isnull=True)
        return queryset


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every email, desk notification and webhook, with its delivery state. Written only by
    `tickets.notifications.notify`; a failed delivery shows its `last_error` here."""

    list_display = [
        "created_at",
        "kind",
        "channel",
        "recipient",
        "ticket",
        "subject",
        "sent_at",
        "read_at",
        "attempts",
    ]
    list_filter = ["channel", DeliveredFilter, "kind"]
    list_select_related = ["ticket", "recipient_user"]
    search_fields = [
        "recipient_email",
        "recipient_user__username",
        "recipient_user__email",
        "ticket__reference",
        "subject",
        "dedupe_key",
    ]
    date_hierarchy = "created_at"
    actions = ["send_now"]
    show_full_result_count = False

    @admin.display(description="recipient")
    def recipient(self, obj):
        if obj.channel == Notification.Channel.WEBHOOK:
            return "manager webhook"
        return obj.recipient_email or obj.recipient_user

    @admin.action(description="Send the selected unsent emails and webhooks now")
    def send_now(self, request, queryset):
        pending = list(
            queryset.filter(
                sent_at__isnull=True,
                channel__in=[Notification.Channel.EMAIL, Notification.Channel.WEBHOOK],
            ).values_list("pk", flat=True)
        )
        for notification_id in pending:
            async_task("tickets.tasks.deliver_notification", notification_id)
        self.message_user(request, f"Queued {len(pending)} notification(s).", messages.SUCCESS)


# ---------------------------------------------------------------------------------------------
# Automation rules
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
