"""The ticket's SLA card (one row per clock) and its SLA timeline, in the desk's words."""

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from desk.views.labels import _priority_label, _status_label
from sla import selectors as sla_selectors
from sla.business_time import Schedule, business_minutes_between
from sla.models import Metric, SlaClock, SlaEvent
from sla.services.summary import STATE_SEVERITY, clock_state
from sla.templatetags.sla_tags import countdown_text, sla_duration
from tickets.models import SlaState, Status, Ticket


@dataclass
class SlaClockRow:
    """One target on the SLA card. `remaining` is measured in the policy's business time; the
    countdown next to the deadline (running clocks only) is wall time and ticks in the browser."""

    clock: SlaClock
    label: str
    state: str
    target: str
    remaining: str
    deadline: datetime | None
    policy_name: str
    hours: str
    # Round the clock, business time is wall time: the time left itself ticks in the browser.
    ticks: bool = False


@dataclass
class SlaTimelineEntry:
    kind: str
    target: str
    summary: str
    from_value: str
    to_value: str
    detail: str
    at: datetime
    deadline: datetime | None = None
    deadline_label: str = ""


@dataclass
class TicketSla:
    clocks: list[SlaClockRow] = field(default_factory=list)
    timeline: list[SlaTimelineEntry] = field(default_factory=list)
    escalation: Any = None

    @property
    def state(self) -> str:
        """The worst state of the targets still open (of all of them once every one stopped),
        as the engine stores it for the queue, but as of this page."""
        open_rows = [row for row in self.clocks if row.clock.status != SlaClock.Status.STOPPED]
        states = [row.state for row in open_rows or self.clocks]
        return max(states, key=STATE_SEVERITY.index, default=SlaState.NONE)

    @property
    def on_calendar(self) -> bool:
        return any(_runs_on_calendar(row.clock) for row in self.clocks)


def _metric_label(clock: SlaClock) -> str:
    label = Metric(clock.metric).label if clock.metric in Metric.values else clock.metric
    if clock.metric == Metric.NEXT_RESPONSE and clock.cycle > 1:
        label += f" #{clock.cycle}"
    return label


def _runs_on_calendar(clock: SlaClock) -> bool:
    return clock.policy is not None and clock.policy.calendar_id is not None


def _duration(clock: SlaClock, minutes: float) -> str:
    """Business time in hours (a day of business time is not a working day), else as is."""
    return sla_duration(minutes, in_days=not _runs_on_calendar(clock))


def _target_text(clock: SlaClock, minutes: float) -> str:
    return _duration(clock, minutes) + (" business" if _runs_on_calendar(clock) else "")


def _hours_text(clock: SlaClock) -> str:
    if not _runs_on_calendar(clock):
        return "24/7"
    calendar = clock.policy.calendar
    return f"{calendar.name} ({calendar.timezone})"


PRIORITY_CHANGE = re.compile(r"Priority (\w+) → (\w+)")


def _sla_reason(reason: str) -> str:
    """The engine's reason in the desk's words ("Status waiting_customer" -> "Ticket moved to
    Waiting on customer"); anything else as written."""
    status = reason.removeprefix("Status ")
    if status != reason and status in Status.values:
        return f"Ticket moved to {_status_label(status)}"
    if match := PRIORITY_CHANGE.fullmatch(reason):
        return f"Priority {_priority_label(match[1])} → {_priority_label(match[2])}"
    return reason


def _parse_instant(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _counted_until(events: list[SlaEvent]) -> dict[int, datetime]:
    """Per clock met while paused: when its pause began. The pause never counts towards the
    target, and meeting the clock ends it without banking it."""
    paused_since: dict[int, datetime | None] = {}
    until: dict[int, datetime] = {}
    for event in events:
        if event.kind == SlaEvent.Kind.PAUSED:
            paused_since[event.clock_id] = event.at
        elif event.kind == SlaEvent.Kind.RESUMED:
            paused_since[event.clock_id] = None
        elif event.kind == SlaEvent.Kind.MET:
            since = paused_since.pop(event.clock_id, None)
            until.pop(event.clock_id, None)
            if since is not None:
                until[event.clock_id] = since
    return until


def _sla_clock_row(
    clock: SlaClock, schedule: Schedule, now: datetime, counted_until: datetime | None
) -> SlaClockRow:
    state = clock_state(clock, now)
    unit = " business" if _runs_on_calendar(clock) else ""
    deadline = None
    ticks = False
    if clock.status == SlaClock.Status.RUNNING and clock.deadline and not unit:
        deadline, ticks = clock.deadline, True
        remaining = countdown_text(deadline, now, style="left")
    elif clock.status == SlaClock.Status.RUNNING and clock.deadline:
        deadline = clock.deadline
        if now < clock.deadline:
            left = business_minutes_between(schedule, now, deadline)
            remaining = f"{_duration(clock, left)}{unit} left"
        else:
            over = business_minutes_between(schedule, deadline, now)
            remaining = f"{_duration(clock, over)}{unit} overdue" if over >= 1 else "overdue"
    elif clock.status == SlaClock.Status.PAUSED:
        used = (
            business_minutes_between(schedule, clock.started_at, clock.paused_since or now)
            - clock.paused_minutes
        )
        left = clock.target_minutes - used
        if left >= 1:
            remaining = f"paused, {_duration(clock, left)}{unit} left"
        else:
            remaining = (
                f"paused, {_duration(clock, -left)}{unit} overdue" if -left >= 1 else "paused"
            )
    elif clock.met_at is not None:
        end = counted_until or clock.met_at
        used = business_minutes_between(schedule, clock.started_at, end) - clock.paused_minutes
        if state == SlaState.BREACHED:
            over = used - clock.target_minutes
            remaining = (
                f"met late, {_duration(clock, over)}{unit} over" if over >= 1 else "met late"
            )
        else:
            remaining = (
                f"met in {_duration(clock, used)}{unit}" if used >= 1 else "met within a minute"
            )
    else:
        remaining = "stopped: no target for this priority"
    return SlaClockRow(
        clock=clock,
        label=_metric_label(clock),
        state=state,
        target=_target_text(clock, clock.target_minutes),
        remaining=remaining,
        deadline=deadline,
        policy_name=clock.policy.name if clock.policy else "Policy deleted",
        hours=_hours_text(clock),
        ticks=ticks,
    )


def _sla_timeline_entry(event: SlaEvent, clock: SlaClock) -> SlaTimelineEntry:
    data = event.data or {}
    kinds = SlaEvent.Kind
    entry = SlaTimelineEntry(
        kind=event.kind,
        target=_metric_label(clock),
        summary=kinds(event.kind).label.lower() if event.kind in kinds.values else event.kind,
        from_value="",
        to_value="",
        detail=_sla_reason(str(data.get("reason", ""))),
        at=event.at,
    )
    target = data.get("target_minutes") or clock.target_minutes
    match event.kind:
        case kinds.STARTED:
            entry.summary = "clock started"
            parts = [f"Target {_target_text(clock, target)}"]
            if data.get("policy"):
                parts.append(f"policy {data['policy']}")
            entry.deadline = _parse_instant(data.get("deadline"))
            if entry.deadline:
                entry.deadline_label = "due"
            else:
                parts.append("paused from the start: the ticket was waiting")
            entry.detail = " · ".join(parts)
        case kinds.PAUSED:
            entry.summary = "clock paused"
        case kinds.RESUMED:
            entry.summary = "clock resumed"
            banked = data.get("banked_minutes")
            if banked is not None:
                entry.detail = " · ".join(
                    part
                    for part in [entry.detail, f"{_duration(clock, banked)} paused, not counted"]
                    if part
                )
            entry.deadline = _parse_instant(data.get("deadline"))
            entry.deadline_label = "new deadline"
        case kinds.RECOMPUTED:
            entry.summary = "target recomputed"
            if data.get("from_minutes") is not None:
                entry.from_value = _target_text(clock, data["from_minutes"])
            if data.get("to_minutes") is not None:
                entry.to_value = _target_text(clock, data["to_minutes"])
            entry.deadline = _parse_instant(data.get("deadline"))
            entry.deadline_label = "new deadline"
        case kinds.WARNED:
            entry.summary = "at risk"
            entry.detail = f"75 % of the {_target_text(clock, target)} target used"
        case kinds.BREACHED:
            entry.summary = "breached"
            entry.detail = f"The {_target_text(clock, target)} target ran out"
        case kinds.MET:
            entry.summary = "met late" if data.get("late") else "met"
        case kinds.STOPPED:
            entry.summary = "clock stopped"
    return entry


def _active_escalation(ticket: Ticket) -> Any:
    """The running escalation ladder of the ticket, if any."""
    return sla_selectors.active_escalation_for_ticket(ticket)


def _ticket_sla(ticket: Ticket, now: datetime) -> TicketSla:
    """Every SLA clock of the ticket with its business time left, and the SLA timeline in
    words. Two queries (clocks, events), plus two when a policy runs on a calendar."""
    clocks = sla_selectors.sla_clocks_for_desk(ticket)
    by_id = {clock.pk: clock for clock in clocks}
    events = [e for e in sla_selectors.sla_timeline_for_ticket(ticket) if e.clock_id in by_id]
    counted_until = _counted_until(events)
    schedules: dict[int | None, Schedule] = {}
    rows = []
    for clock in clocks:
        if clock.policy_id not in schedules:
            schedules[clock.policy_id] = sla_selectors.schedule_for_policy(clock.policy)
        rows.append(
            _sla_clock_row(clock, schedules[clock.policy_id], now, counted_until.get(clock.pk))
        )
    return TicketSla(
        clocks=rows,
        timeline=[_sla_timeline_entry(event, by_id[event.clock_id]) for event in events],
        escalation=_active_escalation(ticket),
    )
