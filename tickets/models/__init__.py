"""Tickets, their conversation and their audit trail, and the records of the features built on
them (automation rules, classification, surveys, notifications).

Models hold fields, constraints and small derived properties. Every change to a ticket's
lifecycle fields goes through `tickets.services`, which writes one `TicketEvent` per change.
One module per entity; this package imports them all, so `from tickets.models import Ticket`
and Django's model discovery see every model.
"""

from tickets.models.automation import Rule, RuleAction, RuleCondition
from tickets.models.choices import (
    OPEN_STATUSES,
    PLAN_TIER_ALIASES,
    PRIORITY_ALIASES,
    PRIORITY_ORDER,
    Channel,
    PlanTier,
    Priority,
    Sentiment,
    SlaState,
    Status,
    TicketType,
    parse_plan_tier,
)
from tickets.models.classification import ClassificationPattern, PriorityRule
from tickets.models.customers import Customer, Organization
from tickets.models.events import TicketEvent, TicketLink
from tickets.models.messages import Attachment, TicketMessage, attachment_path
from tickets.models.notifications import Notification
from tickets.models.surveys import SatisfactionSurvey
from tickets.models.task_attempts import TaskAttempt
from tickets.models.ticket import DEFAULT_REFERENCE_PREFIX, Category, Tag, Ticket, new_public_id

__all__ = [
    "Attachment",
    "Category",
    "Channel",
    "ClassificationPattern",
    "Customer",
    "DEFAULT_REFERENCE_PREFIX",
    "Notification",
    "OPEN_STATUSES",
    "Organization",
    "PLAN_TIER_ALIASES",
    "PRIORITY_ALIASES",
    "PRIORITY_ORDER",
    "PlanTier",
    "Priority",
    "PriorityRule",
    "Rule",
    "RuleAction",
    "RuleCondition",
    "SatisfactionSurvey",
    "Sentiment",
    "SlaState",
    "Status",
    "Tag",
    "TaskAttempt",
    "Ticket",
    "TicketEvent",
    "TicketLink",
    "TicketMessage",
    "TicketType",
    "attachment_path",
    "new_public_id",
    "parse_plan_tier",
]
