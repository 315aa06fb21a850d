"""The AI provider's bookkeeping: each interaction, the provider's state, model prices,
budget alerts and daily usage.
"""

from django.db import models


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
