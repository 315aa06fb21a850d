"""Canned responses: reusable replies with placeholders that agents insert and rules send."""

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
