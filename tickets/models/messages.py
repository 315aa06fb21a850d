"""A ticket's conversation: its messages and their attachments."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from tickets.models.ticket import Ticket


class TicketMessage(models.Model):
    class AuthorKind(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        AGENT = "agent", "Agent"
        SYSTEM = "system", "System"
        AI = "ai", "AI"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author_kind = models.CharField(max_length=10, choices=AuthorKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ticket_messages",
    )
    body = models.TextField(help_text="Markdown, as written.")
    body_html = models.TextField(editable=False, help_text="Rendered and sanitised at write time.")
    is_internal = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="message_ticket_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(author_kind="customer") | Q(is_internal=False),
                name="message_customer_never_internal",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_author_kind_display()} message on {self.ticket_id}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    return f"attachments/{instance.ticket.public_id}/{secrets.token_hex(8)}/{filename}"


class Attachment(models.Model):
    class ScanStatus(models.TextChoices):
        # Stored while virus scanning was off (no CLAMD_ADDRESS): served as before.
        NOT_SCANNED = "not_scanned", "Not scanned"
        # The scanner could not be reached: kept, never served, scanned by a retry job.
        PENDING = "pending", "Pending virus scan"
        CLEAN = "clean", "Scanned, clean"
        # A virus was found: the content is deleted, the row stays to say what was removed.
        QUARANTINED = "quarantined", "Quarantined (virus found)"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(TicketMessage, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300, blank=True)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    scan_status = models.CharField(
        max_length=12, choices=ScanStatus.choices, default=ScanStatus.NOT_SCANNED
    )
    # The scanner's name for what it found (quarantined), or why the last scan failed.
    scan_detail = models.CharField(max_length=200, blank=True)
    scanned_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # The retry job's look-up: only the few files waiting for the scanner.
            models.Index(
                fields=["id"], condition=Q(scan_status="pending"), name="attachment_scan_pending"
            )
        ]

    def __str__(self) -> str:
        return self.filename

    @property
    def downloadable(self) -> bool:
        """Only content that was scanned clean, or stored while scanning was off, is served."""
        return self.scan_status in (self.ScanStatus.CLEAN, self.ScanStatus.NOT_SCANNED)
