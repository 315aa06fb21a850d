"""Admin for the email channel: mailboxes (with a "fetch now" action) and the inbound log,
where quarantined messages show their reason and can be reprocessed after a fix."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from common.exceptions import ApplicationError
from mail.fetch import fetch_mailbox
from mail.models import InboundEmail, Mailbox
from mail.services import inbound_email_reprocess


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "host", "folder", "active", "last_fetched_at", "last_error"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "host", "username", "folder"]
    readonly_fields = ["last_fetched_at", "last_error"]
    actions = ["fetch_now"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "active", "folder"]}),
        (
            "IMAP",
            {
                "fields": [
                    "host",
                    "port",
                    "use_ssl",
                    "username",
                    "password_env",
                    "processed_folder",
                ]
            },
        ),
        ("Last fetch", {"fields": ["last_fetched_at", "last_error"]}),
    ]

    @admin.action(description="Fetch now")
    def fetch_now(self, request, queryset):
        for mailbox in queryset:
            result = fetch_mailbox(mailbox)
            level = messages.WARNING if result.errors else messages.SUCCESS
            self.message_user(request, str(result), level)


@admin.register(InboundEmail)
class InboundEmailAdmin(admin.ModelAdmin):
    """The inbound log, read-only. Filter by status "Quarantined" for the quarantine list."""

    list_display = [
        "received_at",
        "status",
        "from_address",
        "subject",
        "ticket_link",
        "reason",
        "source",
    ]
    list_filter = ["status", "outcome", "mailbox"]
    search_fields = ["message_id", "from_address", "subject", "ticket__reference"]
    list_select_related = ["ticket"]
    date_hierarchy = "received_at"
    actions = ["reprocess"]
    fields = [
        "received_at",
        "status",
        "outcome",
        "reason",
        "mailbox",
        "source",
        "message_id",
        "from_address",
        "subject",
        "ticket",
        "size",
        "raw_truncated",
        "raw_headers",
    ]
    readonly_fields = fields

    @admin.display(description="ticket", ordering="ticket__reference")
    def ticket_link(self, obj):
        if obj.ticket_id is None:
            return "—"
        url = reverse("desk:ticket", args=[obj.ticket.reference])
        return format_html('<a href="{}">{}</a>', url, obj.ticket.reference)

    @admin.display(description="headers")
    def raw_headers(self, obj):
        raw = bytes(obj.raw or b"")
        head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        return format_html("<pre>{}</pre>", head[:8000].decode("utf-8", errors="replace"))

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_reprocess_permission(self, request):
        # The log is read-only in admin, but reprocessing files tickets: it needs the change
        # permission on inbound emails (superusers have it).
        return request.user.has_perm("mail.change_inboundemail")

    @admin.action(description="Reprocess (quarantined messages)", permissions=["reprocess"])
    def reprocess(self, request, queryset):
        done = 0
        for inbound in queryset:
            try:
                inbound = inbound_email_reprocess(inbound=inbound)
            except ApplicationError as exc:
                self.message_user(request, f"{inbound.message_id}: {exc.message}", messages.ERROR)
                continue
            done += 1
            level = (
                messages.WARNING
                if inbound.status == InboundEmail.Status.QUARANTINED
                else messages.SUCCESS
            )
            self.message_user(
                request,
                f"{inbound.message_id}: {inbound.get_status_display()}. {inbound.reason}",
                level,
            )
        if not done:
            self.message_user(request, "Nothing was reprocessed.", messages.WARNING)
