"""The ticket, and the categories and tags that sort it.

Every change to a ticket's lifecycle fields goes through `tickets.services`, which writes one
`TicketEvent` per change.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from tickets.models.choices import (
    OPEN_STATUSES,
    Channel,
    Priority,
    Sentiment,
    SlaState,
    Status,
    TicketType,
)
from tickets.models.customers import Customer


def new_public_id() -> str:
    """An unguessable id (128 bits) for customer links; the reference is readable, not secret."""
    return secrets.token_urlsafe(16)


class Category(models.Model):
    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    prefix = models.CharField(
        max_length=6,
        help_text="Upper-case letters that start the reference of this category's tickets.",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"
        constraints = [
            models.CheckConstraint(
                condition=Q(prefix__regex=r"^[A-Z]{2,6}$"), name="category_prefix_upper"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.SlugField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


DEFAULT_REFERENCE_PREFIX = "TKT"


class Ticket(models.Model):
    reference = models.CharField(max_length=30, unique=True, editable=False)
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    type = models.CharField(max_length=20, choices=TicketType.choices, default=TicketType.QUESTION)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.MEDIUM)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="tickets")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    team = models.ForeignKey(
        "agents.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets")
    escalation_level = models.PositiveSmallIntegerField(default=0)
    resolution = models.TextField(blank=True)
    # Set by the AI classification (tickets.services.sentiment); empty means unknown.
    sentiment = models.CharField(
        max_length=10, choices=Sentiment.choices, null=True, blank=True, editable=False
    )

    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    satisfaction_rating = models.PositiveSmallIntegerField(null=True, blank=True)
    satisfaction_comment = models.TextField(blank=True)

    # Stored by the SLA engine (sla.services) so queues can filter and sort by them.
    sla_due_at = models.DateTimeField(
        null=True, blank=True, help_text="The next SLA deadline of a running target."
    )
    sla_state = models.CharField(
        max_length=10, choices=SlaState.choices, default=SlaState.NONE, blank=True
    )
    # Set by tickets.services.merge when this ticket was merged (and closed) into another.
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_tickets",
        editable=False,
    )
    # Filed from the portal, signed out, with the address of a customer who has an account:
    # nobody has shown they own that mailbox yet. The filer gets no link to the ticket, and
    # it stays out of that customer's "My tickets", until the customer answers from the
    # email or opens the ticket signed in (tickets.services.sender).
    sender_unverified = models.BooleanField(
        default=False,
        help_text="Filed under a customer's address by someone who has not proved it is theirs.",
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["sla_due_at", "id"], name="ticket_sla_due"),
            models.Index(fields=["sla_state", "sla_due_at"], name="ticket_sla_state_due"),
            models.Index(fields=["status", "priority"], name="ticket_status_priority"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
            models.Index(fields=["team", "status"], name="ticket_team_status"),
            models.Index(fields=["customer", "-created_at"], name="ticket_customer_created"),
            models.Index(fields=["category", "status"], name="ticket_category_status"),
            models.Index(fields=["status", "-created_at"], name="ticket_status_created"),
            # The queue's "updated" sort and the live queue's newest-change probe: over all
            # tickets, and over the open ones (recent closings would be scanned past).
            models.Index(fields=["updated_at", "id"], name="ticket_updated"),
            models.Index(
                fields=["updated_at", "id"],
                condition=Q(status__in=OPEN_STATUSES),
                name="ticket_open_updated",
            ),
            # Open tickets newest first: the related-tickets prefilter on every new ticket
            # (the subject is in the index, so it reads no table row; PostgreSQL only) and
            # the queue's "newest" sort of open views.
            models.Index(
                fields=["created_at", "id"],
                condition=Q(status__in=OPEN_STATUSES),
                include=["subject"],
                name="ticket_open_created",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(satisfaction_rating__isnull=True)
                | Q(satisfaction_rating__gte=1, satisfaction_rating__lte=5),
                name="ticket_satisfaction_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES
