"""Admin for outbound webhooks: subscriptions (with secret rotation, re-enabling and a test
ping) and the read-only delivery log."""

from django import forms
from django.contrib import admin, messages

from webhooks.models import WEBHOOK_EVENTS, WebhookDelivery, WebhookSubscription
from webhooks.services import (
    webhook_ping,
    webhook_subscription_enable,
    webhook_subscription_rotate_secret,
)


class WebhookSubscriptionForm(forms.ModelForm):
    events = forms.TypedMultipleChoiceField(
        choices=[(event, event) for event in WEBHOOK_EVENTS],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "events", "active", "owner", "secret"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = [
        "name",
        "url",
        "event_list",
        "active",
        "consecutive_failures",
        "disabled_at",
        "owner",
    ]
    list_filter = ["active"]
    search_fields = ["name", "url"]
    readonly_fields = ["consecutive_failures", "disabled_at", "disabled_reason", "created_at"]
    actions = ["send_test_ping", "rotate_secret", "enable"]

    @admin.display(description="events")
    def event_list(self, obj):
        return ", ".join(obj.events)

    def get_readonly_fields(self, request, obj=None):
        # The secret is generated on creation and shown read-only after; rotate to change it.
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "secret"] if obj is not None else fields

    def get_changeform_initial_data(self, request):
        return {"owner": request.user.pk, **super().get_changeform_initial_data(request)}

    @admin.action(description="Send a test ping")
    def send_test_ping(self, request, queryset):
        sent = [s for s in queryset if webhook_ping(subscription=s) is not None]
        skipped = queryset.count() - len(sent)
        self.message_user(request, f"Queued a ping to {len(sent)} subscription(s).")
        if skipped:
            self.message_user(
                request, f"{skipped} inactive subscription(s) skipped.", messages.WARNING
            )

    @admin.action(description="Rotate the signing secret")
    def rotate_secret(self, request, queryset):
        for subscription in queryset:
            webhook_subscription_rotate_secret(subscription=subscription)
        self.message_user(
            request,
            f"New secrets for {queryset.count()} subscription(s): update the receivers.",
            messages.WARNING,
        )

    @admin.action(description="Re-enable (clear failures)")
    def enable(self, request, queryset):
        enabled = sum(webhook_subscription_enable(subscription=s) for s in queryset)
        self.message_user(request, f"Re-enabled {enabled} subscription(s).")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: read-only."""

    list_display = [
        "created_at",
        "event",
        "subscription",
        "ticket_reference",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["status", "event", "subscription"]
    search_fields = ["ticket_reference", "uuid", "dedupe_key"]
    list_select_related = ["subscription"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
