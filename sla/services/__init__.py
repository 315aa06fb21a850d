"""Every write of the SLA engine. See `clock` for the rules and `sweep` for the scheduler."""

from sla.services.clock import apply_ticket_events, sla_replay, sla_start
from sla.services.escalation import (
    escalation_acknowledge,
    escalation_escalate_manually,
    escalation_start_for_alert,
    escalation_tick,
)
from sla.services.summary import sla_refresh_summary
from sla.services.sweep import sla_sweep

__all__ = [
    "apply_ticket_events",
    "escalation_acknowledge",
    "escalation_escalate_manually",
    "escalation_start_for_alert",
    "escalation_tick",
    "sla_refresh_summary",
    "sla_replay",
    "sla_start",
    "sla_sweep",
]
