"""Escalation ladders: levels that climb after an SLA warning or breach, or the escalate
button, until an agent acknowledges.

- An SLA alert (recorded once by the sweep) starts the most specific active ladder for its
  trigger, policy and metric; the unique link to the alert means one ladder run per alert,
  and while a ladder runs unacknowledged on a ticket, new alerts do not start it again: the
  ticket row is locked before a ladder starts and a unique constraint allows one open run
  per ladder and ticket, so two sweep workers alerting on one ticket start it once.
- Each level fires `after_minutes` business minutes (the policy's calendar) after the start.
  The sweep task checks for due levels every minute; a 0-minute first level fires at once.
- A level notifies (assignee, team lead, managers, on-call agent), reassigns (a senior agent
  of the team, the team lead, a manager or the on-call agent, as in seed 001; optionally only
  when nobody is assigned or the assignee is away or offline), escalates (level + 1) and
  raises the priority one step, in any combination. The default breach ladder escalates at
  once, hands an uncovered ticket to the on-call agent and tells them (seed 000). Firing is
  recorded once per level (a unique step), and writes a ticket event: `escalated` when it
  escalates, reassigns or raises the priority, `escalation_notified` when it only notifies.
  Each fired level records when it was due as well as when it fired: after a worker outage
  several levels fire in one sweep.
- The escalate button (reason required) fires the next level of the manual ladder at once:
  level 1 a senior agent, level 2 the team lead, then a manager, each raising the priority.
  A manual level with `after_minutes` > 0 also fires by itself that long after the first
  press unless acknowledged; with 0 it waits for the next press.
- Acknowledging stops every running ladder of the ticket (`escalation_acknowledged` event).
- A ladder stops by itself when the ticket is resolved or closed.

Who a level reassigns to and notifies is `sla.services.escalation_targets`.
"""

import logging
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from agents.permissions import agent_display_name, is_agent
from common.exceptions import ApplicationError
from sla.business_time import add_business_minutes
from sla.models import (
    EscalationLadder,
    EscalationLevel,
    EscalationStep,
    SlaClock,
    SlaEvent,
    TicketEscalation,
)
from sla.selectors import schedule_for_policy
from sla.services.escalation_targets import is_covered, level_recipients, reassign_target
from tickets import notifications
from tickets.models import Status, Ticket, TicketEvent
from tickets.services import ticket_assign, ticket_escalate, ticket_log_escalation

logger = logging.getLogger(__name__)


TRIGGER_FOR_ALERT = {
    SlaEvent.Kind.WARNED: EscalationLadder.Trigger.WARNING,
    SlaEvent.Kind.BREACHED: EscalationLadder.Trigger.BREACH,
}


def ladder_for(*, trigger: str, policy_id: int | None, metric: str = "") -> EscalationLadder | None:
    """The most specific active ladder: policy and metric, policy, metric, then any."""
    candidates = (
        EscalationLadder.objects.filter(active=True, trigger=trigger)
        .filter(Q(policy__isnull=True) | Q(policy_id=policy_id))
        .filter(Q(metric="") | Q(metric=metric))
        .prefetch_related("levels")
    )
    return max(
        candidates,
        key=lambda ladder: (ladder.policy_id is not None, ladder.metric != "", -ladder.pk),
        default=None,
    )


def _levels(ladder: EscalationLadder) -> list[EscalationLevel]:
    return sorted(ladder.levels.all(), key=lambda level: level.position)


def _policy_of(ticket: Ticket):
    clock = SlaClock.objects.filter(ticket=ticket).select_related("policy__calendar").first()
    return clock.policy if clock else None


def _schedule_next(escalation: TicketEscalation, levels: list[EscalationLevel]) -> None:
    if escalation.level >= len(levels):
        escalation.next_fire_at = None
        return
    upcoming = levels[escalation.level]
    if escalation.ladder.trigger == EscalationLadder.Trigger.MANUAL and not upcoming.after_minutes:
        escalation.next_fire_at = None  # fires on the next press of the button only
        return
    schedule = schedule_for_policy(_policy_of(escalation.ticket))
    escalation.next_fire_at = add_business_minutes(
        schedule, escalation.started_at, levels[escalation.level].after_minutes
    )


# --- firing -----------------------------------------------------------------------------


def _fire_level(
    escalation: TicketEscalation,
    level: EscalationLevel,
    now: datetime,
    *,
    actor=None,
    reason: str = "",
    manual: bool = False,
    due_at: datetime | None = None,
) -> EscalationStep | None:
    due_at = min(due_at or now, now)
    try:
        with transaction.atomic():
            step = EscalationStep.objects.create(
                escalation=escalation, position=level.position, due_at=due_at, fired_at=now
            )
    except IntegrityError:
        return None  # this level already fired (a second delivery of the task)
    ticket = Ticket.objects.select_related("team__lead", "assignee").get(pk=escalation.ticket_id)
    label = f"{escalation.ladder.name}, level {level.position}"
    why = reason or escalation.reason
    actions: dict = {
        "ladder": escalation.ladder.name,
        "level": level.position,
        "due_at": due_at.isoformat(),
        "fired_at": now.isoformat(),
    }
    if manual or level.escalates:
        ticket = ticket_escalate(
            ticket=ticket,
            actor=actor,
            reason=f"{label}: {why}" if why else label,
            raise_priority=manual or level.raise_priority,
            data={key: actions[key] for key in ("ladder", "level", "due_at", "fired_at")},
        )
        actions["escalated"] = True
    if level.reassign_to and level.reassign_only_if_uncovered and is_covered(ticket):
        actions["reassign_skipped"] = f"{agent_display_name(ticket.assignee)} is available"
    elif level.reassign_to:
        target = reassign_target(level.reassign_to, ticket, now)
        if target is not None and target.pk != ticket.assignee_id:
            ticket = ticket_assign(ticket=ticket, assignee=target, actor=actor, via="escalation")
            actions["reassigned_to"] = agent_display_name(target)
        elif target is None:
            actions["reassign_skipped"] = f"nobody available ({level.get_reassign_to_display()})"
    ticket = Ticket.objects.select_related("team__lead", "assignee").get(pk=ticket.pk)
    recipients = level_recipients(level, ticket, now)
    if recipients:
        notifications.notify(
            kind="escalation",
            recipients=recipients,
            ticket=ticket,
            template="agent_notice",
            context={
                "headline": f"Escalation: {ticket.reference} ({label})",
                "text": _describe(actions, why),
            },
            dedupe=[step.pk],
        )
        actions["notified"] = [agent_display_name(person) for person in recipients]
    if not actions.get("escalated"):
        ticket_log_escalation(
            ticket=ticket,
            kind=TicketEvent.Kind.ESCALATION_NOTIFIED,
            actor=actor,
            data={**actions, "reason": why},
        )
    step.actions = actions
    step.save(update_fields=["actions"])
    return step


def _describe(actions: dict, reason: str) -> str:
    parts = [f"{actions['ladder']} reached level {actions['level']}."]
    if reason:
        parts.append(f"Why: {reason}.")
    if actions.get("reassigned_to"):
        parts.append(f"Reassigned to {actions['reassigned_to']}.")
    if actions.get("escalated"):
        parts.append("The ticket was escalated.")
    return " ".join(parts)


def _advance(escalation: TicketEscalation, now: datetime, **kwargs) -> EscalationStep | None:
    """Fire the escalation's next level (the row is locked by the caller)."""
    levels = _levels(escalation.ladder)
    ticket_status = (
        Ticket.objects.filter(pk=escalation.ticket_id).values_list("status", flat=True).first()
    )
    if ticket_status in (Status.RESOLVED, Status.CLOSED, None) or escalation.level >= len(levels):
        escalation.next_fire_at = None
        escalation.save(update_fields=["next_fire_at"])
        return None
    # A level of a ladder that climbs by itself was due at its scheduled time, however late
    # the sweep gets to it; a press of the escalate button is due when pressed.
    due_at = escalation.next_fire_at or now
    step = _fire_level(escalation, levels[escalation.level], now, due_at=due_at, **kwargs)
    escalation.level += 1
    _schedule_next(escalation, levels)
    escalation.save(update_fields=["level", "next_fire_at"])
    return step


def _open_run(ticket_id: int, ladder: EscalationLadder) -> TicketEscalation | None:
    return TicketEscalation.objects.filter(
        ticket_id=ticket_id, ladder=ladder, acknowledged_at__isnull=True
    ).first()


def escalation_start_for_alert(*, sla_event_id: int) -> TicketEscalation | None:
    """Start the ladder for a recorded SLA warning or breach. Idempotent per alert."""
    event = SlaEvent.objects.select_related("clock").filter(pk=sla_event_id).first()
    if event is None or event.kind not in TRIGGER_FOR_ALERT:
        return None
    ladder = ladder_for(
        trigger=TRIGGER_FOR_ALERT[event.kind],
        policy_id=event.clock.policy_id,
        metric=event.clock.metric,
    )
    if ladder is None or not _levels(ladder):
        return None
    with transaction.atomic():
        # One lock per ticket before starting a ladder: two workers recording two alerts of
        # one ticket take turns here, and the second sees the first one's run. The unique
        # constraint on open runs backs this up if anything starts a run without the lock.
        locked = Ticket.objects.select_for_update().filter(pk=event.ticket_id)
        if not list(locked.values_list("pk", flat=True)):
            return None
        existing = TicketEscalation.objects.filter(trigger_event=event).first()
        if existing is not None:
            return existing  # this alert already started its ladder (a second delivery)
        running = _open_run(event.ticket_id, ladder)
        if running is not None:
            # The same ladder is already climbing on this ticket (another clock alerted, or
            # a priority raise recomputed the target and it breached again): it goes on.
            return running
        try:
            with transaction.atomic():
                escalation = TicketEscalation.objects.create(
                    trigger_event=event,
                    ticket_id=event.ticket_id,
                    ladder=ladder,
                    started_at=event.at,
                    reason=(
                        f"{event.clock.get_metric_display()} {event.get_kind_display().lower()}"
                    ),
                )
        except IntegrityError:
            return _open_run(event.ticket_id, ladder)
        _schedule_next(escalation, _levels(ladder))
        escalation.save(update_fields=["next_fire_at"])
    escalation_tick(only_ids=[escalation.pk])
    return escalation


@transaction.atomic
def escalation_escalate_manually(*, ticket: Ticket, actor, reason: str) -> Ticket:
    """The escalate button: fire the next level of the manual ladder now (or, without a
    manual ladder or past its last level, a plain escalation: level + 1, priority + 1)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "A reason for escalating is required."})
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.status in (Status.RESOLVED, Status.CLOSED):
        raise ApplicationError(
            f"{ticket.reference} is {ticket.get_status_display().lower()}; reopen it before "
            "escalating.",
            code="ticket_resolved",
        )
    policy = _policy_of(ticket)
    ladder = ladder_for(
        trigger=EscalationLadder.Trigger.MANUAL, policy_id=policy.pk if policy else None
    )
    now = timezone.now()
    escalation = None
    if ladder is not None:
        escalation = (
            TicketEscalation.objects.select_for_update()
            .filter(ticket=ticket, ladder=ladder, acknowledged_at__isnull=True)
            .first()
        )
        if escalation is None:
            escalation = TicketEscalation.objects.create(
                ticket=ticket, ladder=ladder, started_at=now, reason=reason
            )
        if escalation.level < len(_levels(ladder)):
            _advance(escalation, now, actor=actor, reason=reason, manual=True)
            return Ticket.objects.get(pk=ticket.pk)
    return ticket_escalate(ticket=ticket, actor=actor, reason=reason)


@transaction.atomic
def escalation_acknowledge(*, ticket: Ticket, actor) -> list[TicketEscalation]:
    """An agent takes ownership of the escalation: every running ladder stops."""
    if not is_agent(actor):
        raise ApplicationError("Only agents can acknowledge an escalation.", code="not_agent")
    running = list(
        TicketEscalation.objects.select_for_update(of=("self",))
        .filter(ticket=ticket, acknowledged_at__isnull=True)
        .select_related("ladder")
    )
    if not running:
        return []
    now = timezone.now()
    for escalation in running:
        escalation.acknowledged_at = now
        escalation.acknowledged_by = actor
        escalation.next_fire_at = None
        escalation.save(update_fields=["acknowledged_at", "acknowledged_by", "next_fire_at"])
    ticket_log_escalation(
        ticket=ticket,
        kind=TicketEvent.Kind.ESCALATION_ACKNOWLEDGED,
        actor=actor,
        data={"ladders": [e.ladder.name for e in running], "levels": [e.level for e in running]},
    )
    return running


def escalation_tick(*, now: datetime | None = None, only_ids: list[int] | None = None) -> int:
    """Fire every level that is due. Each escalation is handled in its own transaction with
    its row locked (skip_locked), so concurrent ticks never fire a level twice."""
    now = now or timezone.now()
    due = TicketEscalation.objects.filter(acknowledged_at__isnull=True, next_fire_at__lte=now)
    if only_ids is not None:
        due = due.filter(pk__in=only_ids)
    fired = 0
    for escalation_id in list(due.order_by("pk").values_list("pk", flat=True)[:1000]):
        while True:
            with transaction.atomic():
                escalation = (
                    TicketEscalation.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("ladder", "ticket")
                    .filter(pk=escalation_id, acknowledged_at__isnull=True, next_fire_at__lte=now)
                    .first()
                )
                if escalation is None:
                    break
                if _advance(escalation, now) is not None:
                    fired += 1
    return fired
