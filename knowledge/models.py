"""Canned responses: reusable replies with placeholders that agents insert and rules send.

Models hold fields and constraints; rendering and sending live in `knowledge.services`, the
placeholder syntax in `knowledge.placeholders`.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from knowledge.placeholders import PLACEHOLDERS, validate_template
from tickets.models import Status

# The statuses a canned reply may move its ticket to once it is sent. A public reply leaves the
# ticket in progress, and these are the moves the lifecycle allows from there.
FOLLOW_UP_STATUSES = [Status.WAITING_CUSTOMER, Status.WAITING_INTERNAL, Status.RESOLVED]
FOLLOW_UP_CHOICES = [(status.value, status.label) for status in FOLLOW_UP_STATUSES]

CONTENT_HELP = (
    "Markdown. Placeholders: "
    + ", ".join(f"{{{name}}} ({meaning})" for name, meaning in PLACEHOLDERS.items())
    + ". Write {{ and }} for a literal brace."
)


class CannedResponse(models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(
        max_length=80, unique=True, help_text="Stable identifier automation rules refer to."
    )
    category = models.ForeignKey(
        "tickets.Category",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="canned_responses",
        help_text="Offered on this category's tickets first. Empty means any ticket.",
    )
    content = models.TextField(help_text=CONTENT_HELP)
    follow_up_status = models.CharField(
        max_length=20,
        choices=FOLLOW_UP_CHOICES,
        blank=True,
        help_text="Once the response is sent, move the ticket here when the lifecycle "
        "allows it. Empty leaves the status alone.",
    )
    usage_count = models.PositiveIntegerField(
        default=0, editable=False, help_text="Times sent or inserted into a reply."
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(follow_up_status="")
                | Q(follow_up_status__in=[status.value for status in FOLLOW_UP_STATUSES]),
                name="canned_follow_up_status_allowed",
            )
        ]
        indexes = [models.Index(fields=["active", "category"], name="canned_active_category")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        validate_template(self.content, field_name="content")


class Article(models.Model):
    """A help-center article. `body_html` is rendered from `body` by `knowledge.services`
    (never in `save()`), so what the public sees is always the sanitised rendering."""

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    summary = models.CharField(max_length=300, blank=True)
    body = models.TextField(help_text="Markdown. Raw HTML is escaped.")
    body_html = models.TextField(blank=True, editable=False)
    category = models.ForeignKey(
        "tickets.Category",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
    )
    tags = models.JSONField(default=list, blank=True, help_text="A list of short keywords.")
    published = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    view_count = models.PositiveIntegerField(default=0, editable=False)
    helpful_count = models.PositiveIntegerField(default=0, editable=False)
    not_helpful_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        indexes = [
            models.Index(fields=["published", "category"], name="article_published_category")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def helpful_percent(self) -> int | None:
        votes = self.helpful_count + self.not_helpful_count
        if not votes:
            return None
        return round(100 * self.helpful_count / votes)


class ArticleVote(models.Model):
    """One "was this helpful?" answer per browser session and article."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    session_key = models.CharField(max_length=64)
    helpful = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "session_key"], name="article_vote_once_per_session"
            )
        ]

    def __str__(self) -> str:
        return f"{self.article_id}: {'yes' if self.helpful else 'no'}"


class Deflection(models.Model):
    """A customer on the portal form said a suggested article answered their question, so no
    ticket was filed. One per browser session and article: a double click counts once."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="deflections")
    query = models.CharField(max_length=200, help_text="The subject the customer had typed.")
    session_key = models.CharField(max_length=64)
    email = models.EmailField(max_length=254, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["session_key", "article"], name="deflection_once_per_session"
            )
        ]

    def __str__(self) -> str:
        return f"{self.article_id}: {self.query}"


class PortalFiling(models.Model):
    """A ticket filed through the portal form: the other side of the deflection rate."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="portal_filing"
    )
    session_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return str(self.ticket_id)


class AIInteraction(models.Model):
    """One model call (or one refused for the budget): what was asked, what came back, what it
    cost and what became of it. Written by `knowledge.ai.service`, read-only in admin."""

    class Purpose(models.TextChoices):
        CLASSIFY = "classify", "Classify a ticket"
        ANSWER = "answer", "Answer a customer"
        DRAFT = "draft", "Draft a reply"
        SUGGEST = "suggest", "Suggest"
        QUERY = "query", "Query"
        EMBEDDING = "embedding", "Embed text for semantic search"

    class Outcome(models.TextChoices):
        SENT = "sent", "Sent (answer received)"
        APPROVED = "approved", "Approved"
        EDITED = "edited", "Edited"
        REJECTED = "rejected", "Rejected"
        FAILED = "failed", "Failed"
        USED = "used", "Used"
        SKIPPED_BUDGET = "skipped_budget", "Skipped (budget)"
        SKIPPED_PAUSED = "skipped_paused", "Skipped (provider paused)"

    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    model = models.CharField(max_length=100)
    prompt = models.TextField(blank=True)
    response = models.TextField(blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    confidence = models.DecimalField(max_digits=4, decimal_places=3, null=True, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ai_interactions",
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["created_at"], name="ai_interaction_created"),
            models.Index(fields=["ticket"], name="ai_interaction_ticket"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.model} ({self.outcome})"


class AIProviderState(models.Model):
    """The AI provider's circuit breaker, one row shared by every process: provider faults in
    a row, how often the breaker has tripped since the provider last answered, and until when
    model calls are paused. Written by `knowledge.ai.breaker` only."""

    consecutive_faults = models.PositiveIntegerField(default=0)
    trips = models.PositiveIntegerField(default=0)
    paused_until = models.DateTimeField(null=True, blank=True)
    last_fault = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "AI provider state"
        verbose_name_plural = "AI provider state"

    def __str__(self) -> str:
        return "AI provider"


class AIModelPrice(models.Model):
    """A model's price in US dollars per million tokens; a model without a row costs 0."""

    model = models.CharField(max_length=100, unique=True)
    input_per_million_usd = models.DecimalField(max_digits=10, decimal_places=4)
    output_per_million_usd = models.DecimalField(max_digits=10, decimal_places=4)

    class Meta:
        ordering = ["model"]
        verbose_name = "AI model price"

    def __str__(self) -> str:
        return self.model


class AIBudgetAlert(models.Model):
    """The month's spend crossed `threshold` percent of the budget; unique, so once a month."""

    month = models.DateField(help_text="The first day of the month.")
    threshold = models.PositiveSmallIntegerField(help_text="Percent of the monthly budget.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-month", "-threshold"]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "threshold"], name="ai_budget_alert_once_per_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}: {self.threshold} %"


class AIUsageDay(models.Model):
    """One day of AI use, aggregated by the daily usage job (seed 002 `ai-usage-monitor`),
    with the anomaly flag it raised. Unique per date, so the job can run twice."""

    date = models.DateField(unique=True)
    calls = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    input_tokens = models.PositiveBigIntegerField(default=0)
    output_tokens = models.PositiveBigIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    anomaly = models.BooleanField(default=False)
    anomaly_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date"]
        verbose_name = "AI usage day"

    def __str__(self) -> str:
        return f"AI usage {self.date}"


class AutoAnswerPolicy(models.Model):
    """What a confident automatic answer does on a category's new tickets (knowledge.autoanswer).

    The policy without a category is the default for every category without its own; migration
    0009 installs it as the issue asks (send at 0.8 or more, draft below). Deleting or
    deactivating it means categories without their own policy are never answered automatically."""

    class Mode(models.TextChoices):
        SEND_CONFIDENT = "send_confident", "Send confident answers, draft the rest"
        DRAFT_ONLY = "draft_only", "Hold every answer as a draft for approval"
        NEVER = "never", "Never answer automatically"

    category = models.OneToOneField(
        "tickets.Category",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="auto_answer_policy",
        help_text="Empty means the default for categories without their own policy (one is "
        "installed: send at 0.8 or more, draft below). Without an active default, categories "
        "without a policy are never answered automatically.",
    )
    mode = models.CharField(max_length=20, choices=Mode.choices, default=Mode.SEND_CONFIDENT)
    threshold = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.8"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="An answer at least this confident (0 to 1) is sent; below it, a draft.",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "auto-answer policies"
        constraints = [
            models.UniqueConstraint(
                fields=["category"],
                condition=Q(category__isnull=True),
                name="auto_answer_one_default_policy",
            ),
            models.CheckConstraint(
                condition=Q(threshold__gte=0) & Q(threshold__lte=1),
                name="auto_answer_threshold_0_1",
            ),
        ]

    def __str__(self) -> str:
        scope = self.category.name if self.category_id else "Default"
        return f"{scope}: {self.get_mode_display()}"


class AutoAnswer(models.Model):
    """The cascade's answer on a new ticket: sent to the customer, or a draft agents approve,
    edit or reject. One per ticket; `status` records what became of it."""

    class Tier(models.TextChoices):
        CODE = "code", "Knowledge base match"
        GENERATIVE = "generative", "Model draft"

    class Status(models.TextChoices):
        SENT = "sent", "Sent automatically"
        PENDING = "pending", "Waiting for approval"
        APPROVED = "approved", "Approved"
        EDITED = "edited", "Edited and sent"
        REJECTED = "rejected", "Rejected"
        NOT_HELPFUL = "not_helpful", "Did not help"

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="auto_answer"
    )
    tier = models.CharField(max_length=20, choices=Tier.choices)
    body = models.TextField(help_text="Markdown.")
    confidence = models.DecimalField(max_digits=4, decimal_places=3)
    article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="auto_answers"
    )
    interaction = models.ForeignKey(
        AIInteraction,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="auto_answers",
    )
    status = models.CharField(max_length=20, choices=Status.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="auto_answer_decisions",
        help_text="The agent who approved, edited or rejected the draft.",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    message = models.ForeignKey(
        "tickets.TicketMessage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="auto_answers",
        help_text="The message the customer received, if any.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "created_at"], name="auto_answer_status")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.tier} ({self.status})"


class ReplySuggestion(models.Model):
    """An agent's click on "Suggest a reply" that needs the model: the click queues
    `knowledge.tasks.reply_suggestion_run` and the panel polls this row until it is `ready`
    (a draft to insert) or `failed` (`error` says why, in words for the agent). `used_at` is
    set when the agent inserts the draft, and its `AIInteraction` becomes `used`."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the model"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="reply_suggestions"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="reply_suggestions",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    text = models.TextField(blank=True)
    confidence = models.DecimalField(max_digits=4, decimal_places=3, null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    interaction = models.ForeignKey(
        AIInteraction,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reply_suggestions",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.status}"


class ArticleEmbedding(models.Model):
    """A published article's vector for semantic search (knowledge.embeddings), without
    pgvector: L2-normalised float32 values, little-endian, as bytes. `text_hash` (SHA-256 of
    the embedded text) and `model` let the sync job skip articles that have not changed."""

    article = models.OneToOneField(Article, on_delete=models.CASCADE, related_name="embedding")
    model = models.CharField(max_length=100)
    text_hash = models.CharField(max_length=64)
    dimensions = models.PositiveIntegerField()
    vector = models.BinaryField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["model"], name="article_embedding_model")]

    def __str__(self) -> str:
        return f"{self.article_id}: {self.model} ({self.dimensions})"
