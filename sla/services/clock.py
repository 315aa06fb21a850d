"""The SLA clock of a ticket.

Rules (product.md, seeds 000 and 001):

- On creation the most specific policy is chosen and a clock starts for each metric it has a
  target for: first response and resolution. The clock records the policy it came from.
- First response is met by the first public agent reply. Next response starts when the
  customer writes after the first response was met and no next-response clock is running
  (a second unanswered customer message keeps the earlier start: the customer has been
  waiting since the first one); it is met by the next public agent reply.
- Resolution is met by resolve. Resolving also meets a pending response clock, since the
  customer receives the resolution.
- In a pause status (the policy's list, `waiting_customer` by default) every running clock
  pauses. On leaving it, the paused business time is banked: deadlines move by exactly that
  time. Reopening a resolved ticket resumes its resolution clock the same way, banking the
  time it spent resolved, so it continues where it stopped instead of breaching at once.
- A priority change recomputes every clock that has not stopped: the new priority's target
  applies to the time already spent (deadline = start + new target + banked pause), and a
  metric the new priority has no target for stops. Only a raise (a shorter target) may alert
  again for the new target (a new generation); a recorded breach is never undone, whatever
  the priority does later. Each recompute is on the timeline.
- States: on track, at risk (>= 75 % of the target elapsed), breached (>= 100 %), met. The
  next deadline and the worst state are stored on the ticket for the queues.

Business time comes from the policy's calendar (24/7 without one); all of it is data in admin.

A ticket's SLA state as the queues read it (`clock_state`, `sla_refresh_summary`) is
`sla.services.summary`.
"""

from datetime import datetime

from django.db import transaction

from sla.business_time import Schedule, add_business_minutes, business_minutes_between
from sla.models import Metric, SlaClock, SlaEvent, SlaPolicy
from sla.selectors import policy_for_ticket, schedule_for_policy, target_for
from sla.services.summary import sla_refresh_summary
from tickets.models import Status, Ticket, TicketEvent

WARNING_RATIO = 0.75

RESPONSE_METRICS = (Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE)


def _event(clock: SlaClock, kind: str, at: datetime, **data) -> SlaEvent:
    return SlaEvent.objects.create(
        clock=clock,
        ticket_id=clock.ticket_id,
        kind=kind,
        generation=clock.generation,
        at=at,
        data=data,
    )


def _schedule(clock: SlaClock, cache: dict) -> Schedule:
    key = clock.policy_id
    if key not in cache:
        cache[key] = schedule_for_policy(clock.policy)
    return cache[key]


def compute_deadlines(clock: SlaClock, schedule: Schedule) -> None:
    """Warning and breach instants of a running clock, from its start, target and banked pause."""
    clock.warn_at = add_business_minutes(
        schedule, clock.started_at, clock.target_minutes * WARNING_RATIO + clock.paused_minutes
    )
    clock.deadline = add_business_minutes(
        schedule, clock.started_at, clock.target_minutes + clock.paused_minutes
    )


def _new_clock(
    ticket: Ticket,
    policy: SlaPolicy,
    metric: str,
    minutes: int,
    at: datetime,
    schedule,
    *,
    cycle: int = 1,
    paused: bool = False,
) -> SlaClock:
    """A clock starting at `at`, with its deadlines (or paused), not saved yet."""
    clock = SlaClock(
        ticket=ticket,
        policy=policy,
        metric=metric,
        cycle=cycle,
        target_minutes=minutes,
        started_at=at,
    )
    if paused:
        clock.status = SlaClock.Status.PAUSED
        clock.paused_since = at
    else:
        compute_deadlines(clock, schedule)
    return clock


def _started_event(clock: SlaClock) -> SlaEvent:
    """The timeline's "started" entry of a saved clock, not saved yet."""
    return SlaEvent(
        clock=clock,
        ticket_id=clock.ticket_id,
        kind=SlaEvent.Kind.STARTED,
        generation=clock.generation,
        at=clock.started_at,
        data={
            "target_minutes": clock.target_minutes,
            "policy": clock.policy.name,
            "deadline": clock.deadline.isoformat() if clock.deadline else None,
        },
    )


@transaction.atomic
def sla_start(
    *, ticket: Ticket, at: datetime | None = None, priority: str | None = None
) -> list[SlaClock]:
    """Start the first-response and resolution clocks of a new ticket (for `priority`, by
    default the ticket's current one). Idempotent."""
    at = at or ticket.created_at
    if SlaClock.objects.filter(ticket=ticket).exists():
        return []
    ticket = Ticket.objects.select_related("customer").get(pk=ticket.pk)
    clocks = _start_clocks(ticket, at=at, priority=priority)
    if clocks is None:
        return []
    sla_refresh_summary(ticket_id=ticket.pk)
    return clocks


def _start_clocks(ticket: Ticket, *, at: datetime, priority: str | None) -> list[SlaClock] | None:
    """`sla_start` for a ticket just read (with its customer) that has no clocks yet; the
    caller stores the summary. None when no target applies (nothing to store)."""
    policy = policy_for_ticket(ticket)
    target = target_for(
        policy, priority=priority or ticket.priority, plan_tier=ticket.customer.plan_tier
    )
    if target is None:
        return None
    schedule = schedule_for_policy(policy)
    paused = ticket.status in (policy.pause_statuses or [])
    clocks = [
        _new_clock(ticket, policy, metric, minutes, at, schedule, paused=paused)
        for metric in (Metric.FIRST_RESPONSE, Metric.RESOLUTION)
        if (minutes := target.minutes_for(metric))
    ]
    # Every new ticket starts two clocks: one INSERT for the clocks and one for their
    # "started" events instead of four.
    SlaClock.objects.bulk_create(clocks)
    SlaEvent.objects.bulk_create([_started_event(clock) for clock in clocks])
    return clocks


def _pause(clock: SlaClock, at: datetime, reason: str) -> None:
    clock.status = SlaClock.Status.PAUSED
    clock.paused_since = at
    clock.warn_at = None
    clock.deadline = None
    clock.save(update_fields=["status", "paused_since", "warn_at", "deadline"])
    _event(clock, SlaEvent.Kind.PAUSED, at, reason=reason)


def _resume(clock: SlaClock, at: datetime, schedule: Schedule, reason: str, since=None) -> None:
    since = since or clock.paused_since or at
    banked = business_minutes_between(schedule, since, at)
    clock.paused_minutes += banked
    clock.status = SlaClock.Status.RUNNING
    clock.paused_since = None
    clock.met_at = None
    compute_deadlines(clock, schedule)
    clock.save()
    _event(
        clock,
        SlaEvent.Kind.RESUMED,
        at,
        reason=reason,
        banked_minutes=round(banked, 2),
        deadline=clock.deadline.isoformat(),
    )


def _meet(clock: SlaClock, at: datetime, reason: str) -> None:
    was_paused = clock.status == SlaClock.Status.PAUSED
    late = bool(clock.breached or (clock.deadline and at >= clock.deadline and not was_paused))
    clock.status = SlaClock.Status.STOPPED
    clock.met_at = at
    clock.paused_since = None
    clock.save(update_fields=["status", "met_at", "paused_since"])
    _event(clock, SlaEvent.Kind.MET, at, reason=reason, late=late)


def _open_clocks(ticket_id: int) -> list[SlaClock]:
    return list(
        SlaClock.objects.select_for_update(of=("self",))
        .filter(ticket_id=ticket_id)
        .exclude(status=SlaClock.Status.STOPPED)
        .select_related("policy", "policy__calendar")
    )


def _on_status_change(ticket: Ticket, event: TicketEvent, cache: dict) -> None:
    at, before, after = event.created_at, event.from_value, event.to_value
    if before == Status.RESOLVED and after == Status.IN_PROGRESS:
        # Reopened: the resolution clock continues from where resolve stopped it.
        clock = (
            SlaClock.objects.select_for_update(of=("self",))
            .filter(ticket=ticket, metric=Metric.RESOLUTION, status=SlaClock.Status.STOPPED)
            .select_related("policy")
            .order_by("-cycle")
            .first()
        )
        if clock is not None and clock.met_at is not None:
            _resume(clock, at, _schedule(clock, cache), "Reopened", since=clock.met_at)
        return
    for clock in _open_clocks(ticket.pk):
        pause_statuses = set(clock.policy.pause_statuses or []) if clock.policy else set()
        if after == Status.RESOLVED:
            _meet(clock, at, "Resolved")
        elif after == Status.CLOSED:
            _meet(clock, at, "Closed")
        elif after in pause_statuses and clock.status == SlaClock.Status.RUNNING:
            _pause(clock, at, f"Status {after}")
        elif after not in pause_statuses and clock.status == SlaClock.Status.PAUSED:
            _resume(clock, at, _schedule(clock, cache), f"Status {after}")


def _on_agent_reply(ticket: Ticket, event: TicketEvent) -> None:
    for clock in _open_clocks(ticket.pk):
        if clock.metric in RESPONSE_METRICS:
            _meet(clock, event.created_at, "Agent replied")


def _on_customer_reply(ticket: Ticket, event: TicketEvent, cache: dict) -> None:
    clocks = SlaClock.objects.filter(ticket=ticket, metric__in=RESPONSE_METRICS)
    if clocks.exclude(status=SlaClock.Status.STOPPED).exists():
        return  # a response is already owed: the earlier start stands
    if (
        not clocks.filter(metric=Metric.FIRST_RESPONSE).exists()
        and ticket.first_response_at is None
    ):
        return  # no first-response target and nobody answered yet: nothing to restart
    policy = policy_for_ticket(ticket)
    target = target_for(policy, priority=ticket.priority, plan_tier=ticket.customer.plan_tier)
    minutes = target.next_response_minutes if target else None
    if not minutes:
        return
    last = clocks.filter(metric=Metric.NEXT_RESPONSE).order_by("-cycle").first()
    clock = _new_clock(
        ticket,
        policy,
        Metric.NEXT_RESPONSE,
        minutes,
        event.created_at,
        schedule_for_policy(policy),
        cycle=(last.cycle + 1) if last else 1,
        paused=ticket.status in (policy.pause_statuses or []),
    )
    clock.save()
    _started_event(clock).save()


def _on_priority_change(ticket: Ticket, event: TicketEvent, cache: dict) -> None:
    at = event.created_at
    for clock in _open_clocks(ticket.pk):
        target = target_for(
            clock.policy, priority=event.to_value, plan_tier=ticket.customer.plan_tier
        )
        minutes = target.minutes_for(clock.metric) if target else None
        if not minutes:
            clock.status = SlaClock.Status.STOPPED
            clock.save(update_fields=["status"])
            _event(
                clock,
                SlaEvent.Kind.STOPPED,
                at,
                reason=f"No {clock.get_metric_display().lower()} target for {event.to_value}",
            )
            continue
        if minutes == clock.target_minutes:
            continue
        previous = clock.target_minutes
        clock.target_minutes = minutes
        clock.generation += 1
        if minutes < previous and not clock.breached:
            # A raise moves the thresholds earlier: they may be crossed again, and alert
            # again, for the new target.
            clock.warned = False
        # A lowering only moves the thresholds later: an alert already recorded stands, and
        # a breach that happened stays a breach (reports and compliance keep counting it).
        if clock.status == SlaClock.Status.RUNNING:
            compute_deadlines(clock, _schedule(clock, cache))
        clock.save()
        _event(
            clock,
            SlaEvent.Kind.RECOMPUTED,
            at,
            reason=f"Priority {event.from_value} → {event.to_value}",
            from_minutes=previous,
            to_minutes=minutes,
            deadline=clock.deadline.isoformat() if clock.deadline else None,
        )


@transaction.atomic
def apply_ticket_events(
    *, ticket_id: int, events: list[TicketEvent], ticket: Ticket | None = None
) -> None:
    """Move the ticket's clocks for the lifecycle events just committed, in their order,
    using each event's own timestamp; then store the summary on the ticket.

    `ticket`, with its customer, may be passed when the caller holds it as committed (a
    ticket just filed); otherwise it is read. When the events only started the clocks, the
    summary is worked out from the clocks just written instead of reading them back."""
    if ticket is None:
        ticket = Ticket.objects.select_related("customer").filter(pk=ticket_id).first()
    if ticket is None:
        return
    cache: dict = {}
    has_clocks = None
    started: list[SlaClock] | None = None
    for event in events:
        if event.kind == TicketEvent.Kind.CREATED:
            # sla_start without its re-read and summary: the ticket was just read, and the
            # summary is stored once below.
            if has_clocks is None:
                has_clocks = SlaClock.objects.filter(ticket_id=ticket_id).exists()
            if not has_clocks:
                started = _start_clocks(
                    ticket, at=event.created_at, priority=event.data.get("priority")
                )
                has_clocks = bool(started)
        elif event.kind == TicketEvent.Kind.STATUS_CHANGED:
            _on_status_change(ticket, event, cache)
        elif event.kind == TicketEvent.Kind.REPLIED:
            _on_agent_reply(ticket, event)
        elif event.kind == TicketEvent.Kind.CUSTOMER_REPLIED:
            _on_customer_reply(ticket, event, cache)
        elif event.kind == TicketEvent.Kind.PRIORITY_CHANGED:
            ticket.priority = event.to_value
            _on_priority_change(ticket, event, cache)
    only_started = started is not None and all(
        event.kind == TicketEvent.Kind.CREATED for event in events
    )
    sla_refresh_summary(ticket_id=ticket_id, clocks=started if only_started else None)


@transaction.atomic
def sla_replay(*, ticket_id: int) -> None:
    """Rebuild a ticket's clocks from its whole event history, for tickets whose history was
    imported or rewritten (demo data, a migration from another helpdesk). Warnings and
    breaches are then recorded by the next sweep."""
    SlaClock.objects.filter(ticket_id=ticket_id).delete()
    events = list(TicketEvent.objects.filter(ticket_id=ticket_id).order_by("created_at", "id"))
    apply_ticket_events(ticket_id=ticket_id, events=events)
