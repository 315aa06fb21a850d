"""Every write to tickets, customers and their conversation.

Views, admin, the API and background jobs all call these functions.
"""

from tickets.services.assignment import ticket_assign, ticket_change_team, ticket_claim
from tickets.services.attachments import attachment_scan_pending, scan_notices, validate_uploads
from tickets.services.creation import customer_get_or_create, ticket_create
from tickets.services.lifecycle import (
    ALLOWED_TRANSITIONS,
    allowed_next_statuses,
    ticket_close,
    ticket_reopen,
    ticket_resolve,
    ticket_transition,
)
from tickets.services.merge import ticket_merge
from tickets.services.messages import (
    ticket_add_note,
    ticket_customer_reply,
    ticket_post_auto_answer,
    ticket_record_auto_answer_not_helpful,
    ticket_reply,
)
from tickets.services.sender import ticket_verify_sender
from tickets.services.sentiment import ticket_set_sentiment
from tickets.services.sla_summary import ticket_store_sla_summary
from tickets.services.triage import (
    parse_priority,
    ticket_change_category,
    ticket_change_priority,
    ticket_change_type,
    ticket_escalate,
    ticket_log_escalation,
    ticket_set_tags,
)

__all__ = [
    "ALLOWED_TRANSITIONS",
    "allowed_next_statuses",
    "customer_get_or_create",
    "parse_priority",
    "ticket_add_note",
    "ticket_assign",
    "ticket_change_category",
    "ticket_change_priority",
    "ticket_change_team",
    "ticket_change_type",
    "ticket_claim",
    "ticket_close",
    "ticket_create",
    "ticket_customer_reply",
    "ticket_escalate",
    "ticket_log_escalation",
    "ticket_merge",
    "ticket_post_auto_answer",
    "ticket_record_auto_answer_not_helpful",
    "ticket_reopen",
    "ticket_reply",
    "ticket_resolve",
    "ticket_set_sentiment",
    "ticket_set_tags",
    "ticket_store_sla_summary",
    "ticket_transition",
    "ticket_verify_sender",
    "validate_uploads",
    "attachment_scan_pending",
    "scan_notices",
]
