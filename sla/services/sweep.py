"""The SLA sweep: records each warning (75 %) and breach (100 %) exactly once, after
starting the clocks of any recent open ticket that has none (self-healing).

It reads only running clocks whose stored warning or breach instant has passed and whose
threshold is not recorded yet, through two partial indexes, so an idle sweep costs the same
at a thousand or a million open tickets. Each clock is handled in its own transaction with
its row locked (`skip_locked`: a second worker sweeping at the same moment takes other
clocks), and the unique constraint on (clock, kind, generation) refuses a second record
even if two deliveries of the task race past the lock.
"""

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from sla.models import SlaClock, SlaEvent
from sla.services.clock import sla_start
from sla.services.escalation import escalation_start_for_alert
from sla.services.summary import sla_refresh_summary
from tickets.models import OPEN_STATUSES, Ticket

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
# Open tickets without clocks are looked for among those filed this recently, a batch a sweep.
HEAL_WINDOW = timedelta(days=1)
HEAL_BATCH = 100


def due_clock_ids(now: datetime, *, after_id: int = 0, limit: int = BATCH_SIZE) -> list[int]:
    return list(
        SlaClock.objects.filter(status=SlaClock.Status.RUNNING, pk__gt=after_id)
        .filter(Q(warned=False, warn_at__lte=now) | Q(breached=False, deadline__lte=now))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def _record(clock: SlaClock, kind: str, at: datetime, recorded_at: datetime) -> SlaEvent | None:
    try:
        with transaction.atomic():
            return SlaEvent.objects.create(
                clock=clock,
                ticket_id=clock.ticket_id,
                kind=kind,
                generation=clock.generation,
                at=at,
                recorded_at=recorded_at,
                data={"metric": clock.metric, "target_minutes": clock.target_minutes},
            )
    except IntegrityError:
        return None  # recorded by another worker or an earlier delivery


def _sweep_clock(clock_id: int, now: datetime, start_ladders: bool) -> list[SlaEvent]:
    with transaction.atomic():
        clock = (
            SlaClock.objects.select_for_update(skip_locked=True)
            .filter(pk=clock_id, status=SlaClock.Status.RUNNING)
            .first()
        )
        if clock is None:
            return []
        recorded = []
        fields = []
        if not clock.warned and clock.warn_at and clock.warn_at <= now:
            recorded_at = now if start_ladders else clock.warn_at
            event = _record(clock, SlaEvent.Kind.WARNED, clock.warn_at, recorded_at)
            recorded += [event] if event else []
            clock.warned = True
            fields.append("warned")
        if not clock.breached and clock.deadline and clock.deadline <= now:
            recorded_at = now if start_ladders else clock.deadline
            event = _record(clock, SlaEvent.Kind.BREACHED, clock.deadline, recorded_at)
            recorded += [event] if event else []
            clock.breached = True
            fields.append("breached")
        if fields:
            clock.save(update_fields=fields)
        if recorded:
            sla_refresh_summary(ticket_id=clock.ticket_id, now=now)
            for event in recorded if start_ladders else []:
                transaction.on_commit(_start_ladder(event.pk))
        return recorded


def _start_ladder(sla_event_id: int):
    def run() -> None:
        try:
            escalation_start_for_alert(sla_event_id=sla_event_id)
        except Exception:
            # The alert is recorded; the ladder can be started again by hand. Never lose
            # the rest of the sweep to one ticket's escalation.
            logger.exception("Starting the escalation ladder for SLA event %s failed", sla_event_id)

    return run


def tickets_missing_clocks(now: datetime) -> list[Ticket]:
    """Open tickets filed in the last day that have no SLA clock (see `sla_start_missing`)."""
    return list(
        Ticket.objects.filter(
            status__in=OPEN_STATUSES,
            created_at__gte=now - HEAL_WINDOW,
            created_at__lte=now,
            sla_clocks__isnull=True,
        ).order_by("-created_at", "-pk")[:HEAL_BATCH]
    )


def sla_start_missing(*, now: datetime) -> int:
    """Start the clocks of open tickets that have none. Filing writes them in its own
    transaction, so this only finds tickets that lost them (a failure in the SLA engine while
    filing, tickets written by other means); the clocks start when the ticket was filed.
    Tickets no target applies to stay without clocks and are looked at again while they are
    recent. Returns how many tickets got clocks."""
    started = 0
    for ticket in tickets_missing_clocks(now):
        if sla_start(ticket=ticket, at=ticket.created_at):
            logger.warning("Started the missing SLA clocks of ticket %s", ticket.pk)
            started += 1
    return started


def sla_sweep(*, now: datetime | None = None, start_ladders: bool = True) -> int:
    """Start the clocks of recent open tickets that have none, then record every warning and
    breach that is due, starting their escalation ladders (`start_ladders=False` records
    history without escalating, for imported tickets: those alerts count as recorded when
    they happened, so no daily report lists them as recorded late). Returns how many were
    recorded."""
    now = now or timezone.now()
    sla_start_missing(now=now)
    recorded = 0
    last_id = 0
    while ids := due_clock_ids(now, after_id=last_id):
        recorded += sum(len(_sweep_clock(clock_id, now, start_ladders)) for clock_id in ids)
        last_id = ids[-1]
    return recorded
