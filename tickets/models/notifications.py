"""Notifications to agents and customers (tickets.notifications writes and delivers them)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tickets.models.messages import TicketMessage
from tickets.models.ticket import Ticket


class Notification(models.Model):
    """One notification to one recipient over one channel (email, desk or webhook).

    Written only by `tickets.notifications.notify`. `dedupe_key` (kind, channel, recipient
    and the objects it is about) is unique, so queueing the same notification twice records
    it once; `sent_at` makes delivery idempotent: a delivery task run twice finds it sent and
    does nothing. Desk notifications are shown in the desk, so they count as sent when they
    are created; `read_at` is set when the agent reads them.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        DESK = "desk", "Desk"
        WEBHOOK = "webhook", "Webhook"

    # Labels for the kinds the product sends; any other kind is shown as written.
    KIND_LABELS = {
        "ticket_created": "Ticket received",
        "agent_replied": "Agent replied",
        "escalation": "Escalation",
        "sla_warning": "SLA warning",
        "sla_breach": "SLA breach",
        "survey": "Satisfaction survey",
        "daily_report": "Daily report",
    }

    kind = models.CharField(
        max_length=50,
        help_text="What happened, e.g. ticket_created, agent_replied, sla_warning, escalation.",
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    recipient_email = models.EmailField(blank=True)
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    message = models.ForeignKey(
        TicketMessage, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    subject = models.CharField(max_length=300)
    body_text = models.TextField(blank=True, help_text="Email text, or the short desk text.")
    body_html = models.TextField(blank=True, help_text="Email only.")
    link = models.CharField(max_length=500, blank=True, help_text="An absolute URL or a path.")
    dedupe_key = models.CharField(max_length=255, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # Emails only: the Message-ID header (`message_id` is the message FK), fixed when the row
    # is recorded so every retry sends the same one; an inbound reply names it in
    # In-Reply-To/References (mail.route).
    email_message_id = models.CharField(max_length=255, blank=True, db_index=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The bell: a user's unread desk notifications.
            models.Index(
                fields=["recipient_user", "channel", "read_at"], name="notification_user_unread"
            ),
            # The retry job: deliveries still unsent.
            models.Index(
                fields=["created_at"],
                condition=Q(sent_at__isnull=True),
                name="notification_pending",
            ),
        ]

    def __str__(self) -> str:
        to = self.recipient_email or self.recipient_user or "webhook"
        return f"{self.kind_label} by {self.get_channel_display().lower()} to {to}"

    @property
    def kind_label(self) -> str:
        return self.KIND_LABELS.get(self.kind, self.kind.replace("_", " ").capitalize())
