"""Admin for organizations and customers, their satisfaction surveys and the notifications
sent to them and to agents.
"""

from django.contrib import admin, messages
from django.db.models import Count
from django_q.tasks import async_task

from tickets.admin.ticket import ReadOnlyAdminMixin
from tickets.models import Customer, Notification, Organization, SatisfactionSurvey


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
