"""Satisfaction surveys sent after a resolution (tickets.surveys sends and records them)."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tickets.models.ticket import Ticket


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
