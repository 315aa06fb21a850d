"""Admin for tickets, their messages, audit events and attachments.

A ticket's lifecycle fields change only through `tickets.services`: here they are
read-only, and only the wording (subject, body) may be fixed. The audit trail is read-only.
"""

from django.contrib import admin
from django.utils.text import Truncator

from common.markdown import render_markdown
from tickets.models import Attachment, Ticket, TicketEvent, TicketMessage


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
