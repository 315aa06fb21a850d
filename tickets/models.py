"""Tickets, their conversation and their audit trail.

Models hold fields, constraints and small derived properties. Every change to a ticket's
lifecycle fields goes through `tickets.services`, which writes one `TicketEvent` per change.
"""

import re
import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone


def new_public_id() -> str:
    """An unguessable id (128 bits) for customer links; the reference is readable, not secret."""
    return secrets.token_urlsafe(16)


class PlanTier(models.TextChoices):
    FREE = "free", "Free"
    STARTER = "starter", "Starter"
    PROFESSIONAL = "professional", "Professional"
    SCALE = "scale", "Scale"
    ENTERPRISE = "enterprise", "Enterprise"


# Seed 000 names the professional plan `pro`: accepted on input, stored as professional.
PLAN_TIER_ALIASES = {"pro": PlanTier.PROFESSIONAL}


def parse_plan_tier(value) -> str:
    """A plan tier as typed (any case, or an alias) as stored; unknown values pass through for
    the field's own check to refuse."""
    key = str(value or "").strip().lower()
    return str(PLAN_TIER_ALIASES.get(key, key))


class Status(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    WAITING_CUSTOMER = "waiting_customer", "Waiting on customer"
    WAITING_INTERNAL = "waiting_internal", "Waiting internally"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


class Priority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


PRIORITY_ORDER = [Priority.LOW, Priority.MEDIUM, Priority.HIGH, Priority.CRITICAL]
PRIORITY_ALIASES = {"urgent": Priority.CRITICAL, "normal": Priority.MEDIUM}
OPEN_STATUSES = [
    Status.OPEN,
    Status.IN_PROGRESS,
    Status.WAITING_CUSTOMER,
    Status.WAITING_INTERNAL,
]


class SlaState(models.TextChoices):
    """The ticket's SLA at a glance: the worst state among its running targets."""

    NONE = "", "No SLA"
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    BREACHED = "breached", "Breached"
    PAUSED = "paused", "Paused"
    MET = "met", "Met"


class TicketType(models.TextChoices):
    BUG = "bug", "Bug"
    QUESTION = "question", "Question"
    FEATURE_REQUEST = "feature_request", "Feature request"
    BILLING = "billing", "Billing"
    ONBOARDING = "onboarding", "Onboarding"
    TECHNICAL = "technical", "Technical"


class Sentiment(models.TextChoices):
    """How the customer sounds, as the AI classification read it (seed 002)."""

    NEGATIVE = "negative", "Negative"
    NEUTRAL = "neutral", "Neutral"
    POSITIVE = "positive", "Positive"


class Channel(models.TextChoices):
    WEB = "web", "Web"
    EMAIL = "email", "Email"
    API = "api", "API"
    CHAT = "chat", "Chat"


class Organization(models.Model):
    name = models.CharField(max_length=200, unique=True)
    domain = models.CharField(max_length=200, blank=True)
    plan_tier = models.CharField(max_length=20, choices=PlanTier.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # Health over the last 30 days (seed 003 "health_check"), stored so the organization
    # page reads one row. Refreshed by `tickets.organization_health` after a resolve and
    # after a survey answer; `health_updated_at` is empty until the first refresh.
    tickets_30d = models.PositiveIntegerField(default=0, help_text="Tickets opened.")
    csat_30d = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="% of answered surveys rated 4 or 5; empty: none."
    )
    surveys_answered_30d = models.PositiveIntegerField(default=0)
    breaches_30d = models.PositiveIntegerField(default=0, help_text="SLA breaches recorded.")
    health_updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean_fields(self, exclude=None) -> None:
        self.plan_tier = parse_plan_tier(self.plan_tier)
        super().clean_fields(exclude=exclude)


class Customer(models.Model):
    name = models.CharField(max_length=200)
    email = models.EmailField(unique=True)
    plan_tier = models.CharField(
        max_length=20,
        choices=PlanTier.choices,
        blank=True,
        help_text="Empty means no tier: the fallback SLA hours apply.",
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="customers"
    )
    language = models.CharField(max_length=10, default="en")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customer",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            # Portal and email look customers up by email, case-insensitively, on every
            # new ticket; the unique index is case-sensitive.
            models.Index(Upper("email"), name="customer_email_upper"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    def clean_fields(self, exclude=None) -> None:
        self.plan_tier = parse_plan_tier(self.plan_tier)
        super().clean_fields(exclude=exclude)


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


class SatisfactionSurvey(models.Model):
    """One satisfaction survey for one resolution of a ticket.

    Created (and emailed) by `tickets.surveys` some time after a resolve; `resolved_at` is the
    resolution it asks about, unique per ticket, so a ticket resolved twice gets two surveys and
    a rating still counts for the resolution it was sent for after the ticket reopened.
    `rating` stays empty until the customer answers; CSAT is the share of answered surveys
    rated 4 or 5.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="surveys")
    resolved_at = models.DateTimeField(help_text="The resolution this survey asks about.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # When the email may go out (resolved_at + SURVEY_DELAY_MINUTES); the send job skips a
    # survey whose ticket was reopened before then and stamps `skipped_at` instead.
    due_at = models.DateTimeField(null=True, blank=True)
    skipped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The send job: surveys neither sent nor skipped, by due time.
            models.Index(
                fields=["due_at"],
                condition=Q(sent_at__isnull=True, skipped_at__isnull=True),
                name="survey_pending_due",
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "resolved_at"], name="survey_one_per_resolution"
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="survey_rating_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"Survey for {self.ticket_id} ({self.rating or 'unanswered'})"


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


# ---------------------------------------------------------------------------------------------
# Automation rules (tickets.automation evaluates them; see docs/automation.md)
# ---------------------------------------------------------------------------------------------


class Rule(models.Model):
    """An automation rule: when its trigger happens and its conditions match, run its actions.

    Conditions are structured rows (a field from a registry, an operator, a JSON value), never
    code in strings. Rules run in `position` order; `stop_processing` ends the evaluation for
    that trigger once this rule has fired.
    """

    class Trigger(models.TextChoices):
        TICKET_CREATED = "ticket_created", "Ticket created"
        CUSTOMER_REPLIED = "customer_replied", "Customer replied"
        STATUS_CHANGED = "status_changed", "Status changed"
        HOURLY = "hourly", "Hourly (time-based)"

    class Match(models.TextChoices):
        ALL = "all", "All conditions"
        ANY = "any", "Any condition"

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    match = models.CharField(max_length=3, choices=Match.choices, default=Match.ALL)
    position = models.PositiveIntegerField(default=0, help_text="Lower runs first.")
    stop_processing = models.BooleanField(
        default=False, help_text="When this rule fires, later rules are not evaluated."
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["trigger", "active", "position"], name="rule_trigger")]

    def __str__(self) -> str:
        return self.name


class RuleCondition(models.Model):
    class Field(models.TextChoices):
        CATEGORY = "category", "Category (slug)"
        TYPE = "type", "Type"
        PRIORITY = "priority", "Priority"
        TIER = "tier", "Customer plan tier"
        CHANNEL = "channel", "Channel"
        SUBJECT = "subject", "Subject"
        BODY = "body", "Description"
        TAGS = "tags", "Tags"
        PREVIOUS_TICKETS = "previous_tickets", "Customer's previous tickets (count)"
        AVERAGE_SATISFACTION = "average_satisfaction", "Customer's average satisfaction (1-5)"
        ACCOUNT_AGE_HOURS = "account_age_hours", "Customer account age (hours)"
        STATUS = "status", "Status"
        HOURS_IN_STATUS = "hours_in_status", "Hours in current status"

    class Operator(models.TextChoices):
        EQUALS = "equals", "equals"
        NOT_EQUALS = "not_equals", "does not equal"
        IN = "in", "is one of"
        CONTAINS = "contains", "contains"
        MATCHES = "matches", "matches (regular expression)"
        GT = "gt", ">"
        GTE = "gte", "≥"
        LT = "lt", "<"
        LTE = "lte", "≤"
        HAS_TAG = "has_tag", "has tag"

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="conditions")
    field = models.CharField(max_length=30, choices=Field.choices)
    operator = models.CharField(max_length=20, choices=Operator.choices)
    value = models.JSONField(
        blank=True,
        null=True,
        help_text='JSON: a string ("billing"), a number (24) or a list (["high", "critical"]).',
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.field} {self.operator} {self.value!r}"

    def clean(self) -> None:
        from tickets.automation.conditions import validate_condition

        self.value = validate_condition(self.field, self.operator, self.value)


class RuleAction(models.Model):
    class Kind(models.TextChoices):
        SET_PRIORITY = "set_priority", "Set priority"
        SET_CATEGORY = "set_category", "Set category"
        SET_TEAM = "set_team", "Set team"
        SET_TYPE = "set_type", "Set type"
        ADD_TAGS = "add_tags", "Add tags"
        ASSIGN_AGENT = "assign_agent", "Assign to an agent"
        ASSIGN_TEAM = "assign_team", "Assign to a team"
        SEND_CANNED_RESPONSE = "send_canned_response", "Send a canned response"
        ADD_INTERNAL_NOTE = "add_internal_note", "Add an internal note"
        ESCALATE = "escalate", "Escalate"
        NOTIFY_MANAGER = "notify_manager", "Notify the managers"
        FIRE_WEBHOOK = "fire_webhook", "Fire a webhook"
        REMIND_CUSTOMER = "remind_customer", "Remind the customer by email"
        CLOSE = "close", "Close the ticket"

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="actions")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    value = models.JSONField(
        blank=True,
        null=True,
        help_text="JSON, by kind: a priority, category/team/canned response slug, username, "
        "list of tags, note or message text, or a webhook subscription id.",
    )

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value!r}" if self.value else self.kind

    def clean(self) -> None:
        from tickets.automation.actions import validate_action

        self.value = validate_action(self.kind, self.value)


# ---------------------------------------------------------------------------------------------
# Classification on creation (tickets.classification applies them; editable in admin)
# ---------------------------------------------------------------------------------------------


def _string_list(value, *, field: str, label: str, allowed=None, aliases=None) -> list[str]:
    """A JSON list of non-empty strings, stripped; `allowed` limits the values, after
    `aliases` (lower-case alias to value) are replaced."""
    from django.core.exceptions import ValidationError

    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError({field: f"{label} must be a JSON list of strings."})
    items = [item.strip() for item in value if item.strip()]
    if aliases:
        items = [str(aliases.get(item.lower(), item)) for item in items]
    if allowed is not None:
        unknown = sorted(set(items) - set(allowed))
        if unknown:
            raise ValidationError(
                {
                    field: f"Unknown {label.lower()}: {', '.join(unknown)}. "
                    f"Use: {', '.join(allowed)}."
                }
            )
    return items


class ClassificationPattern(models.Model):
    """A regular expression that classifies a new ticket: the first active pattern, in
    `position` order, that matches the subject and description gives its category, type and
    tags. Matching is case-insensitive."""

    position = models.PositiveIntegerField(default=0, help_text="Lower is tried first.")
    name = models.CharField(max_length=100, unique=True)
    pattern = models.CharField(
        max_length=500,
        help_text="A regular expression, matched case-insensitively against the subject "
        "and the description, e.g. payment.*fail|card.*decline",
    )
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="classification_patterns",
    )
    type = models.CharField(max_length=20, choices=TicketType.choices, blank=True)
    tags = models.JSONField(
        default=list, blank=True, help_text='A JSON list of tags, e.g. ["payment", "urgent"].'
    )
    confidence = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        default=0.9,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="How sure a match is, from 0 to 1.",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        try:
            re.compile(self.pattern, re.IGNORECASE)
        except re.error as exc:
            raise ValidationError(
                {"pattern": f"This is not a valid regular expression: {exc}."}
            ) from None
        self.tags = _string_list(self.tags, field="tags", label="Tags")


class PriorityRule(models.Model):
    """A priority for new tickets whose conditions all match: each non-empty list must match
    (any keyword in the subject or description, case-insensitive; the category slug, the type,
    the customer's plan tier, the customer's sentiment is one of the list). The first active
    rule, in `position` order, wins; a rule with no conditions matches every ticket.

    A rule that raises one step does not give a priority: the first active one that matches
    raises the priority the other rules gave by one step (low → medium → high → critical),
    never above its own priority. The sentiment is known once the AI classified the ticket,
    so sentiment rules apply then (tickets.classification.default_priority)."""

    position = models.PositiveIntegerField(default=0, help_text="Lower is tried first.")
    name = models.CharField(max_length=100, unique=True)
    priority = models.CharField(max_length=10, choices=Priority.choices)
    keywords = models.JSONField(
        default=list, blank=True, help_text='Any of these phrases, e.g. ["cannot access"].'
    )
    categories = models.JSONField(
        default=list, blank=True, help_text='Category slugs, e.g. ["billing"].'
    )
    types = models.JSONField(default=list, blank=True, help_text='Ticket types, e.g. ["bug"].')
    plan_tiers = models.JSONField(
        default=list, blank=True, help_text='Customer plan tiers, e.g. ["enterprise"].'
    )
    sentiments = models.JSONField(
        default=list,
        blank=True,
        help_text='Customer sentiments, e.g. ["negative"]: known once the AI classified the '
        "ticket.",
    )
    raise_one_step = models.BooleanField(
        default=False,
        help_text="Instead of giving its priority, raise the priority the other rules gave by "
        "one step (low → medium → high → critical), never above this rule's priority. The "
        "first matching rule of this kind applies.",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        self.keywords = _string_list(self.keywords, field="keywords", label="Keywords")
        self.categories = _string_list(self.categories, field="categories", label="Categories")
        unknown = sorted(
            set(self.categories) - set(Category.objects.values_list("slug", flat=True))
        )
        if unknown:
            raise ValidationError({"categories": f"Unknown category slugs: {', '.join(unknown)}."})
        self.types = _string_list(
            self.types, field="types", label="Types", allowed=TicketType.values
        )
        self.plan_tiers = _string_list(
            self.plan_tiers,
            field="plan_tiers",
            label="Plan tiers",
            allowed=PlanTier.values,
            aliases=PLAN_TIER_ALIASES,
        )
        self.sentiments = _string_list(
            self.sentiments, field="sentiments", label="Sentiments", allowed=Sentiment.values
        )


# ---------------------------------------------------------------------------------------------
# Analytics rollups (seed 001 `ticket_metrics`; tickets.analytics.rollup writes them, see
# docs/analytics.md). Dimension keys are plain integers, 0 meaning "none", so one unique
# constraint works on every database and a rerun of an hour replaces its rows.
# ---------------------------------------------------------------------------------------------


class TicketMetricsHour(models.Model):
    """Counts and sums for one UTC hour × team × category × assignee (the ticket's current
    ones). Averages and rates are exact ratios of sums over rows, so any range of hours and
    any filter add up. Activity columns count what happened in the hour (a first response, a
    resolution, an answered survey); `cohort_*` columns describe the tickets created in it."""

    hour = models.DateTimeField(help_text="Start of the hour, UTC.")
    team_key = models.PositiveIntegerField(default=0, help_text="Team id; 0: no team.")
    category_key = models.PositiveIntegerField(default=0, help_text="Category id; 0: none.")
    assignee_key = models.PositiveIntegerField(default=0, help_text="User id; 0: unassigned.")

    created = models.PositiveIntegerField(default=0)
    created_critical = models.PositiveIntegerField(default=0)
    cohort_resolved = models.PositiveIntegerField(default=0)
    cohort_first_responses = models.PositiveIntegerField(default=0)
    cohort_first_response_seconds = models.BigIntegerField(default=0)
    cohort_resolution_seconds = models.BigIntegerField(default=0)
    cohort_breached = models.PositiveIntegerField(default=0)

    first_responses = models.PositiveIntegerField(default=0)
    first_response_seconds = models.BigIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    resolution_seconds = models.BigIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    finished = models.PositiveIntegerField(
        default=0, help_text="Left the open statuses: resolved, or closed without resolving."
    )
    escalated = models.PositiveIntegerField(default=0, help_text="First escalations.")
    sla_finished = models.PositiveIntegerField(default=0)
    sla_on_time = models.PositiveIntegerField(default=0)
    sla_breaches = models.PositiveIntegerField(default=0)
    csat_answered = models.PositiveIntegerField(default=0)
    csat_positive = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["hour"]
        constraints = [
            models.UniqueConstraint(
                fields=["hour", "team_key", "category_key", "assignee_key"],
                name="metrics_hour_unique",
            )
        ]
        indexes = [
            models.Index(fields=["team_key", "hour"], name="metrics_hour_team"),
            models.Index(fields=["category_key", "hour"], name="metrics_hour_category"),
        ]

    def __str__(self) -> str:
        return f"Metrics {self.hour:%Y-%m-%d %H}:00 team {self.team_key} cat {self.category_key}"


class TagMetricsHour(models.Model):
    """Tickets created per UTC hour × tag × team × category, for trending tags."""

    hour = models.DateTimeField(help_text="Start of the hour, UTC.")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="+")
    team_key = models.PositiveIntegerField(default=0)
    category_key = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["hour"]
        constraints = [
            models.UniqueConstraint(
                fields=["hour", "tag", "team_key", "category_key"], name="tag_metrics_hour_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Tag {self.tag_id} {self.hour:%Y-%m-%d %H}:00"


class OpenTicketsSnapshot(models.Model):
    """Open tickets per team × category × assignee × priority, as of `taken_at`: replaced
    whole by the analytics rollup job (every 5 minutes), so the dashboard reads a few hundred
    rows instead of counting the open backlog live at a million tickets."""

    taken_at = models.DateTimeField()
    team_key = models.PositiveIntegerField(default=0)
    category_key = models.PositiveIntegerField(default=0)
    assignee_key = models.PositiveIntegerField(default=0)
    priority = models.CharField(max_length=10, choices=Priority.choices)
    open = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team_key", "category_key", "assignee_key", "priority"],
                name="open_snapshot_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.open} open ({self.priority}) as of {self.taken_at:%H:%M}"


class TaskAttempt(models.Model):
    """How many times a queued task was started, kept while it has not succeeded
    (tickets.task_attempts). django-q2 counts only attempts that reported a result, so a task
    that kills its worker would otherwise be handed out again forever."""

    task_id = models.CharField(max_length=32, primary_key=True)
    attempts = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(help_text="When the latest attempt started.")

    def __str__(self) -> str:
        return f"{self.task_id}: {self.attempts}"
