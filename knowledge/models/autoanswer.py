"""Automatic answers to customers (their policy and each answer sent) and reply suggestions
for agents.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from knowledge.models.ai import AIInteraction
from knowledge.models.articles import Article


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
