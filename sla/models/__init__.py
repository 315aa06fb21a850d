"""SLA data: business calendars (when the clock runs), policies and their targets, the clocks and
events of each ticket, escalation ladders and their runs, and the daily SLA report.

One module per concern; this package imports every model, so `from sla.models import X` and
Django's model discovery see them all.
"""

from sla.models.calendars import (
    NO_PERIODS_MESSAGE,
    BusinessCalendar,
    Holiday,
    Weekday,
    WorkingPeriod,
)
from sla.models.clocks import SlaClock, SlaEvent
from sla.models.escalation import (
    EscalationLadder,
    EscalationLevel,
    EscalationStep,
    TicketEscalation,
)
from sla.models.policies import Metric, SlaPolicy, SlaTarget, default_pause_statuses
from sla.models.reports import DailySlaReport

__all__ = [
    "BusinessCalendar",
    "DailySlaReport",
    "EscalationLadder",
    "EscalationLevel",
    "EscalationStep",
    "Holiday",
    "Metric",
    "NO_PERIODS_MESSAGE",
    "SlaClock",
    "SlaEvent",
    "SlaPolicy",
    "SlaTarget",
    "TicketEscalation",
    "Weekday",
    "WorkingPeriod",
    "default_pause_statuses",
]
