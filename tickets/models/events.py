"""A ticket's audit trail and its links to other tickets."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tickets.models.ticket import Ticket


class TicketEvent(models.Model):
    """The audit trail: one row per effective change, written by the service that made it."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        ASSIGNED = "assigned", "Assigned"
        TEAM_CHANGED = "team_changed", "Team changed"
        STATUS_CHANGED = "status_changed", "Status changed"
        PRIORITY_CHANGED = "priority_changed", "Priority changed"
        CATEGORY_CHANGED = "category_changed", "Category changed"
        TAGS_CHANGED = "tags_changed", "Tags changed"
        REPLIED = "replied", "Agent replied"
        CUSTOMER_REPLIED = "customer_replied", "Customer replied"
        NOTE_ADDED = "note_added", "Internal note added"
        ESCALATED = "escalated", "Escalated"
        ESCALATION_NOTIFIED = "escalation_notified", "Escalation notice sent"
        ESCALATION_ACKNOWLEDGED = "escalation_acknowledged", "Escalation acknowledged"
        TYPE_CHANGED = "type_changed", "Type changed"
        RULE_FIRED = "rule_fired", "Automation rule fired"
        MERGED = "merged", "Merged"
        AUTO_ANSWERED = "auto_answered", "Answered automatically"
        AUTO_ANSWER_NOT_HELPFUL = "auto_answer_not_helpful", "Automatic answer did not help"
        SATISFACTION_RATED = "satisfaction_rated", "Customer rated the support"
        SENDER_VERIFIED = "sender_verified", "Sender verified"
        ATTACHMENT_QUARANTINED = "attachment_quarantined", "Attachment quarantined"
        SENTIMENT_CHANGED = "sentiment_changed", "Sentiment recorded"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ticket_events",
        help_text="Empty means the system.",
    )
    from_value = models.CharField(max_length=200, blank=True)
    to_value = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="event_ticket_created"),
            models.Index(fields=["kind", "created_at"], name="event_kind_created"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.ticket_id}"


class TicketLink(models.Model):
    """A link between two tickets: related (found on creation) or a duplicate merged into
    another. Written only by `tickets.services` (related.py, merge.py)."""

    class Kind(models.TextChoices):
        RELATED = "related", "Related"
        DUPLICATE_OF = "duplicate_of", "Duplicate of"

    class Reason(models.TextChoices):
        SAME_CUSTOMER = "same_customer", "Same customer"
        SIMILAR_SUBJECT = "similar_subject", "Similar subject"
        MERGED = "merged", "Merged"

    from_ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_from")
    to_ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_to")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.RELATED)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["from_ticket", "to_ticket", "kind"], name="ticket_link_unique"
            ),
            models.CheckConstraint(
                condition=~Q(from_ticket=models.F("to_ticket")), name="ticket_link_not_self"
            ),
        ]
        indexes = [models.Index(fields=["to_ticket", "kind"], name="ticket_link_to")]

    def __str__(self) -> str:
        return f"{self.from_ticket_id} {self.kind} {self.to_ticket_id}"
