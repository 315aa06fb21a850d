"""Mailboxes we read and every inbound message we took in (the dedupe and quarantine log)."""

import os

from django.db import models
from django.utils import timezone


class Mailbox(models.Model):
    """A mailbox `fetch_mail` reads: an IMAP folder or a local Maildir folder.

    The password is never stored: `password_env` names the environment variable that holds it,
    so the database (and its backups) never carry mail credentials.
    """

    class Kind(models.TextChoices):
        IMAP = "imap", "IMAP"
        MAILDIR = "maildir", "Maildir folder"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.IMAP)
    host = models.CharField(max_length=200, blank=True, help_text="IMAP only.")
    port = models.PositiveIntegerField(default=993, help_text="IMAP only: 993 with SSL.")
    use_ssl = models.BooleanField(default=True, help_text="IMAP only: IMAP over TLS.")
    username = models.CharField(max_length=200, blank=True, help_text="IMAP only.")
    password_env = models.CharField(
        max_length=100,
        blank=True,
        help_text="IMAP only: the NAME of the environment variable holding the password.",
    )
    folder = models.CharField(
        max_length=200,
        blank=True,
        default="INBOX",
        help_text="IMAP: the folder to read. Maildir: the folder's path on the server.",
    )
    processed_folder = models.CharField(
        max_length=200,
        blank=True,
        help_text="IMAP only: move processed messages here. Empty: mark them seen and leave "
        "them in the folder (only unseen messages are read).",
    )
    active = models.BooleanField(default=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)

    class Meta:
        # The table kept its name when the model moved out of the project package.
        db_table = "helpdesk_mailbox"
        ordering = ["name"]
        verbose_name_plural = "mailboxes"

    def __str__(self) -> str:
        return self.name

    @property
    def source(self) -> str:
        """The dedupe scope of its messages (`InboundEmail.source`)."""
        return f"mailbox:{self.pk}"

    def password(self) -> str:
        return os.environ.get(self.password_env, "") if self.password_env else ""


class InboundEmail(models.Model):
    """One message taken in, whatever became of it.

    `(source, message_id)` is unique: reading a mailbox twice, or a provider posting the same
    message twice, processes it once. The raw message is kept (up to the size limit) so a
    quarantined one can be reprocessed after a fix.
    """

    WEBHOOK_SOURCE = "webhook"

    class Status(models.TextChoices):
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored (auto-reply, bounce, list)"
        QUARANTINED = "quarantined", "Quarantined"

    class Outcome(models.TextChoices):
        NONE = "", "None"
        NEW_TICKET = "new_ticket", "New ticket"
        REPLY = "reply", "Reply on a ticket"

    mailbox = models.ForeignKey(
        Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    source = models.CharField(max_length=30, help_text="mailbox:<id> or webhook.")
    message_id = models.CharField(max_length=255)
    from_address = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=12, choices=Status.choices)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)
    reason = models.TextField(blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_emails",
    )
    ticket_message = models.ForeignKey(
        "tickets.TicketMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    size = models.PositiveIntegerField(default=0)
    raw = models.BinaryField(blank=True, editable=False)
    raw_truncated = models.BooleanField(default=False, editable=False)

    class Meta:
        # The table kept its name when the model moved out of the project package.
        db_table = "helpdesk_inboundemail"
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "message_id"], name="inbound_email_once")
        ]
        indexes = [
            models.Index(fields=["message_id"], name="inbound_email_message_id"),
            models.Index(fields=["status", "-received_at"], name="inbound_email_status"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} ({self.status})"
