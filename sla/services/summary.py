"""A ticket's SLA at a glance: each clock's state as of now, and the next deadline and worst
state stored on the ticket for the queues.
"""

from datetime import datetime

from django.utils import timezone

from sla.models import SlaClock
from tickets.models import SlaState
from tickets.services import ticket_store_sla_summary


def clock_state(clock: SlaClock, now: datetime) -> str:
    """On track, at risk, breached, paused or met, as of `now`."""
    if clock.status == SlaClock.Status.STOPPED:
        return SlaState.BREACHED if _met_late(clock) else SlaState.MET
    if clock.breached or (clock.deadline and now >= clock.deadline):
        return SlaState.BREACHED
    if clock.status == SlaClock.Status.PAUSED:
        return SlaState.PAUSED
    if clock.warned or (clock.warn_at and now >= clock.warn_at):
        return SlaState.AT_RISK
    return SlaState.ON_TRACK


def _met_late(clock: SlaClock) -> bool:
    return clock.breached or bool(clock.met_at and clock.deadline and clock.met_at > clock.deadline)


STATE_SEVERITY = [
    SlaState.MET,
    SlaState.PAUSED,
    SlaState.ON_TRACK,
    SlaState.AT_RISK,
    SlaState.BREACHED,
]


def sla_refresh_summary(
    *, ticket_id: int, now: datetime | None = None, clocks: list[SlaClock] | None = None
) -> None:
    """Store the next deadline of the running clocks and the worst state on the ticket
    (`clocks`: all of them, when the caller just wrote them; read otherwise)."""
    now = now or timezone.now()
    if clocks is None:
        clocks = list(SlaClock.objects.filter(ticket_id=ticket_id))
    if not clocks:
        ticket_store_sla_summary(ticket_id=ticket_id, due_at=None, state=SlaState.NONE)
        return
    open_clocks = [c for c in clocks if c.status != SlaClock.Status.STOPPED]
    considered = open_clocks or clocks
    state = max((clock_state(c, now) for c in considered), key=STATE_SEVERITY.index)
    deadlines = [c.deadline for c in open_clocks if c.status == SlaClock.Status.RUNNING]
    ticket_store_sla_summary(
        ticket_id=ticket_id, due_at=min(deadlines) if deadlines else None, state=state
    )
