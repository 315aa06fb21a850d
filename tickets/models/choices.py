"""The choices tickets and customers are described with: plan tier, status, priority,
SLA state, type, sentiment and channel, and the lists derived from them.
"""

from django.db import models


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
