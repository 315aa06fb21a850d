"""The ticket lifecycle: the only code that changes status, assignee, team, priority,
category, tags and escalation.

Each verb re-reads the ticket with its row locked, checks its guard, runs the before-hooks,
saves with `update_fields` and writes exactly one `TicketEvent` per effective change in the
same transaction; a no-op writes nothing. After-hooks run on commit (see `tickets.hooks`).
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from agents.models import Team
from agents.permissions import agent_display_name, is_agent
from common.exceptions import ApplicationError
from tickets import hooks
from tickets.models import (
    PRIORITY_ALIASES,
    PRIORITY_ORDER,
    Category,
    Priority,
    Status,
    Tag,
    Ticket,
    TicketEvent,
    TicketType,
)
from tickets.services._common import (
    ensure_agent,
    ensure_not_closed,
    lock_ticket,
    record_event,
    require_text,
)

User = get_user_model()

# The allowed moves (product.md): open → in_progress → waiting_customer / waiting_internal
# → in_progress → resolved → closed, and resolved → in_progress when reopened.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.OPEN: frozenset({Status.IN_PROGRESS}),
    Status.IN_PROGRESS: frozenset(
        {Status.WAITING_CUSTOMER, Status.WAITING_INTERNAL, Status.RESOLVED}
    ),
    Status.WAITING_CUSTOMER: frozenset({Status.IN_PROGRESS}),
    Status.WAITING_INTERNAL: frozenset({Status.IN_PROGRESS}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.IN_PROGRESS}),
    Status.CLOSED: frozenset(),
}


def allowed_next_statuses(status: str) -> list[str]:
    """The statuses a ticket may move to next, in lifecycle order."""
    allowed = ALLOWED_TRANSITIONS.get(status, frozenset())
    return [value for value in Status.values if value in allowed]


def parse_priority(value: str) -> str:
    """Normalise a priority from input, accepting the aliases `urgent` and `normal`."""
    key = (value or "").strip().lower()
    key = PRIORITY_ALIASES.get(key, key)
    if key not in Priority.values:
        raise ValidationError(
            {"priority": f"Unknown priority {value!r}; use one of {', '.join(Priority.values)}."}
        )
    return key


def _label(status: str) -> str:
    return Status(status).label


def apply_status_change(
    ticket: Ticket, to_status: str, *, actor, reason: str = "", data: dict | None = None
) -> TicketEvent | None:
    """Move a locked ticket to `to_status`: guard, timestamps and the event. No hooks, no save
    of unrelated fields; callers hold the lock and save `update_fields` returned on the ticket."""
    from_status = ticket.status
    if to_status == from_status:
        return None
    if to_status not in Status.values:
        raise ValidationError({"status": f"Unknown status {to_status!r}."})
    if to_status not in ALLOWED_TRANSITIONS[from_status]:
        allowed = ", ".join(_label(s) for s in allowed_next_statuses(from_status)) or "none"
        raise ApplicationError(
            f"{ticket.reference} cannot move from {_label(from_status)} to {_label(to_status)}. "
            f"Allowed next: {allowed}.",
            code="transition_refused",
        )
    now = timezone.now()
    fields = ["status", "updated_at"]
    ticket.status = to_status
    ticket.updated_at = now
    if to_status == Status.RESOLVED:
        ticket.resolved_at = now
        fields.append("resolved_at")
    elif from_status == Status.RESOLVED and to_status == Status.IN_PROGRESS:
        ticket.resolved_at = None
        ticket.resolution = ""
        fields += ["resolved_at", "resolution"]
    if to_status == Status.CLOSED:
        ticket.closed_at = now
        fields.append("closed_at")
    ticket.save(update_fields=fields)
    event_data = dict(data or {})
    if reason:
        event_data["reason"] = reason
    return record_event(
        ticket,
        TicketEvent.Kind.STATUS_CHANGED,
        actor=actor,
        from_value=from_status,
        to_value=to_status,
        data=event_data,
        at=now,
    )


def close_merged_locked(ticket: Ticket, *, actor, reason: str) -> TicketEvent | None:
    """Close a locked ticket that was just merged into another, from any status but closed.

    The one move outside the table (docs/lifecycle.md, "Merging"): a merged duplicate has
    nothing left to resolve, so it goes straight to closed with one `status_changed` event
    (`data.via` = merge). Only `ticket_merge` calls it; the caller schedules the hooks.
    """
    from_status = ticket.status
    if from_status == Status.CLOSED:
        return None
    now = timezone.now()
    ticket.status = Status.CLOSED
    ticket.closed_at = now
    ticket.updated_at = now
    ticket.save(update_fields=["status", "closed_at", "updated_at"])
    return record_event(
        ticket,
        TicketEvent.Kind.STATUS_CHANGED,
        actor=actor,
        from_value=from_status,
        to_value=Status.CLOSED,
        data={"reason": reason, "via": "merge"},
        at=now,
    )


@transaction.atomic
def ticket_transition(
    *, ticket: Ticket, to_status: str, actor=None, reason: str = "", resolution: str = ""
) -> Ticket:
    """Move a ticket along the lifecycle table; anything else is refused with the reason.

    Moving to resolved needs a resolution text. Writes one `status_changed` event.
    """
    ensure_agent(actor)
    ticket = lock_ticket(ticket)
    if to_status == ticket.status:
        return ticket
    ctx = hooks.HookContext(
        verb="transition",
        ticket=ticket,
        actor=actor,
        changes={"status": to_status, "reason": reason},
    )
    if to_status == Status.RESOLVED:
        ctx.changes["resolution"] = require_text(
            resolution, field="resolution", label="A resolution"
        )
    hooks.run_before(ctx)
    to_status = ctx.changes["status"]
    data = {}
    if to_status == Status.RESOLVED:
        ticket.resolution = ctx.changes["resolution"]
        ticket.save(update_fields=["resolution"])
        data["resolution"] = ticket.resolution
    event = apply_status_change(
        ticket, to_status, actor=actor, reason=ctx.changes.get("reason", ""), data=data
    )
    if event is not None:
        ctx.events.append(event)
        hooks.schedule_after(ctx)
    return ticket


def ticket_resolve(*, ticket: Ticket, actor=None, resolution: str) -> Ticket:
    """Resolve with a resolution text the customer will see."""
    return ticket_transition(
        ticket=ticket, to_status=Status.RESOLVED, actor=actor, resolution=resolution
    )


def ticket_close(*, ticket: Ticket, actor=None, reason: str = "") -> Ticket:
    return ticket_transition(ticket=ticket, to_status=Status.CLOSED, actor=actor, reason=reason)


def ticket_reopen(*, ticket: Ticket, actor=None, reason: str = "") -> Ticket:
    """Reopen a resolved ticket: it goes back to in progress and loses its resolution."""
    if ticket.status != Status.RESOLVED:
        raise ApplicationError(
            f"Only resolved tickets can be reopened; {ticket.reference} is "
            f"{_label(ticket.status).lower()}.",
            code="transition_refused",
        )
    return ticket_transition(
        ticket=ticket, to_status=Status.IN_PROGRESS, actor=actor, reason=reason
    )


@transaction.atomic
def ticket_assign(
    *, ticket: Ticket, assignee, actor=None, via: str = "assign", details: dict | None = None
) -> Ticket:
    """Give the ticket to an agent (or to nobody with `assignee=None`).

    Writes one `assigned` event with the previous and new assignee; `details` (routing's
    strategy and scores) are merged into the event data so the timeline can say why.
    """
    ensure_agent(actor)
    if assignee is not None and not is_agent(assignee):
        raise ValidationError({"assignee": "Tickets can only be assigned to agents."})
    ticket = lock_ticket(ticket)
    ensure_not_closed(ticket)
    return _assign_locked(ticket, assignee=assignee, actor=actor, via=via, details=details)


def _assign_locked(
    ticket: Ticket, *, assignee, actor, via: str, details: dict | None = None
) -> Ticket:
    new_id = assignee.pk if assignee is not None else None
    if ticket.assignee_id == new_id:
        return ticket
    previous = ticket.assignee
    ctx = hooks.HookContext(
        verb="assign", ticket=ticket, actor=actor, changes={"assignee": assignee, "via": via}
    )
    hooks.run_before(ctx)
    assignee = ctx.changes["assignee"]
    ticket.assignee = assignee
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["assignee", "updated_at"])
    ctx.events.append(
        record_event(
            ticket,
            TicketEvent.Kind.ASSIGNED,
            actor=actor,
            from_value=agent_display_name(previous) if previous else "",
            to_value=agent_display_name(assignee) if assignee else "",
            data={
                **(details or {}),
                "from_id": previous.pk if previous else None,
                "to_id": assignee.pk if assignee else None,
                "via": ctx.changes.get("via", via),
            },
        )
    )
    hooks.schedule_after(ctx)
    return ticket


@transaction.atomic
def ticket_claim(*, ticket: Ticket, agent) -> Ticket:
    """An agent takes an unassigned ticket. When two claim at once exactly one wins: the row
    lock serialises them and the second sees the first one's claim and is refused."""
    ensure_agent(agent, allow_system=False)
    ticket = lock_ticket(ticket)
    ensure_not_closed(ticket)
    if ticket.assignee_id == agent.pk:
        return ticket
    if ticket.assignee_id is not None:
        raise ApplicationError(
            f"{ticket.reference} was already claimed by {agent_display_name(ticket.assignee)}.",
            code="already_claimed",
        )
    return _assign_locked(ticket, assignee=agent, actor=agent, via="claim")


@transaction.atomic
def ticket_change_team(*, ticket: Ticket, team: Team | None, actor=None) -> Ticket:
    ensure_agent(actor)
    ticket = lock_ticket(ticket)
    ensure_not_closed(ticket)
    new_id = team.pk if team else None
    if ticket.team_id == new_id:
        return ticket
    previous = ticket.team
    ctx = hooks.HookContext(verb="change_team", ticket=ticket, actor=actor, changes={"team": team})
    hooks.run_before(ctx)
    team = ctx.changes["team"]
    ticket.team = team
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["team", "updated_at"])
    ctx.events.append(
        record_event(
            ticket,
            TicketEvent.Kind.TEAM_CHANGED,
            actor=actor,
            from_value=previous.name if previous else "",
            to_value=team.name if team else "",
            data={"from_id": previous.pk if previous else None, "to_id": team.pk if team else None},
        )
    )
    hooks.schedule_after(ctx)
    return ticket


@transaction.atomic
def ticket_change_priority(
    *, ticket: Ticket, priority: str, actor=None, reason: str = ""
) -> Ticket:
    """Set the priority (aliases accepted). Writes one `priority_changed` event."""
    ensure_agent(actor)
    priority = parse_priority(priority)
    ticket = lock_ticket(ticket)
    ensure_not_closed(ticket)
    return _change_priority_locked(ticket, priority=priority, actor=actor, reason=reason)


def _change_priority_locked(ticket: Ticket, *, priority: str, actor, reason: str = "") -> Ticket:
    if ticket.priority == priority:
        return ticket
    ctx = hooks.HookContext(
        verb="change_priority", ticket=ticket, actor=actor, changes={"priority": priority}
    )
    hooks.run_before(ctx)
    previous = ticket.priority
    ticket.priority = ctx.changes["priority"]
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["priority", "updated_at"])
    data = {"reason": reason} if reason else {}
    ctx.events.append(
        record_event(
            ticket,
            TicketEvent.Kind.PRIORITY_CHANGED,
            actor=actor,
            from_value=previous,
            to_value=ticket.priority,
            data=data,
        )
    )
    hooks.schedule_after(ctx)
    return ticket


@transaction.atomic
def ticket_change_category(*, ticket: Ticket, category: Category | None, actor=None) -> Ticket:
    """Change the category. The reference keeps the prefix it was created with."""
    ensure_agent(actor)
    if category is not None and not category.active:
        raise ValidationError({"category": f"The category {category.name} is not active."})
    ticket = lock_ticket(ticket)
    ensure_not_closed(ticket)
    new_id = category.pk if category else None
    if ticket.category_id == new_id:
        return ticket
    ctx = hooks.HookContext(
        verb="change_category", ticket=ticket, actor=actor, changes={"category": category}
    )
    hooks.run_before(ctx)
    previous = ticket.category
    category = ctx.changes["category"]
    ticket.category = category
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["category", "updated_at"])
    ctx.events.append(
        record_event(
            ticket,
            TicketEvent.Kind.CATEGORY_CHANGED,
            actor=actor,
            from_value=previous.name if previous else "",
            to_value=category.name if category else "",
        )
    )
    hooks.schedule_after(ctx)
    return ticket


@transaction.atomic
def ticket_change_type(*, ticket: Ticket, type: str, actor=None) -> Ticket:
    """Change the ticket type (bug, question, …). Writes one `type_changed` event."""
    ensure_agent(actor)
    if type not in TicketType.values:
        raise ValidationError({"type": f"Unknown type {type!r}."})
    ticket = lock_ticket(ticket)
    ensure_not_closed(ticket)
    if ticket.type == type:
        return ticket
    ctx = hooks.HookContext(verb="change_type", ticket=ticket, actor=actor, changes={"type": type})
    hooks.run_before(ctx)
    previous = ticket.type
    ticket.type = ctx.changes["type"]
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["type", "updated_at"])
    ctx.events.append(
        record_event(
            ticket,
            TicketEvent.Kind.TYPE_CHANGED,
            actor=actor,
            from_value=previous,
            to_value=ticket.type,
        )
    )
    hooks.schedule_after(ctx)
    return ticket


def normalise_tags(names) -> list[str]:
    tags = []
    for name in names:
        slug = slugify(str(name))[:50]
        if slug and slug not in tags:
            tags.append(slug)
    return tags


@transaction.atomic
def ticket_set_tags(*, ticket: Ticket, tags, actor=None) -> Ticket:
    """Replace the ticket's tags. Writes one `tags_changed` event listing added and removed."""
    ensure_agent(actor)
    wanted = normalise_tags(tags)
    ticket = lock_ticket(ticket)
    ensure_not_closed(ticket)
    current = set(ticket.tags.values_list("name", flat=True))
    ctx = hooks.HookContext(
        verb="change_tags", ticket=ticket, actor=actor, changes={"tags": wanted}
    )
    hooks.run_before(ctx)
    wanted = normalise_tags(ctx.changes["tags"])
    added = [name for name in wanted if name not in current]
    removed = sorted(current - set(wanted))
    if not added and not removed:
        return ticket
    set_tags_locked(ticket, wanted)
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["updated_at"])
    ctx.events.append(
        record_event(
            ticket,
            TicketEvent.Kind.TAGS_CHANGED,
            actor=actor,
            from_value=", ".join(sorted(current)),
            to_value=", ".join(sorted(wanted)),
            data={"added": added, "removed": removed},
        )
    )
    hooks.schedule_after(ctx)
    return ticket


def set_tags_locked(ticket: Ticket, names: list[str]) -> None:
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    missing = [Tag(name=name) for name in names if name not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    ticket.tags.set([existing[name] for name in names])


def next_priority(priority: str) -> str:
    index = PRIORITY_ORDER.index(Priority(priority))
    return PRIORITY_ORDER[min(index + 1, len(PRIORITY_ORDER) - 1)]


@transaction.atomic
def ticket_escalate(
    *,
    ticket: Ticket,
    actor=None,
    reason: str,
    raise_priority: bool = True,
    data: dict | None = None,
) -> Ticket:
    """Escalate one level and (unless told not to) raise the priority one step; critical
    stays critical.

    Writes an `escalated` event with the reason (and `data`, e.g. the escalation ladder level
    and when it was due) and, when the priority moved, a `priority_changed` event.
    """
    ensure_agent(actor)
    reason = require_text(reason, field="reason", label="A reason for escalating", max_length=500)
    ticket = lock_ticket(ticket)
    ensure_not_closed(ticket)
    if ticket.status == Status.RESOLVED:
        raise ApplicationError(
            f"{ticket.reference} is resolved; reopen it before escalating.", code="ticket_resolved"
        )
    ctx = hooks.HookContext(
        verb="escalate",
        ticket=ticket,
        actor=actor,
        changes={"level": ticket.escalation_level + 1, "reason": reason},
    )
    hooks.run_before(ctx)
    previous_level = ticket.escalation_level
    ticket.escalation_level = ctx.changes["level"]
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["escalation_level", "updated_at"])
    ctx.events.append(
        record_event(
            ticket,
            TicketEvent.Kind.ESCALATED,
            actor=actor,
            from_value=previous_level,
            to_value=ticket.escalation_level,
            data={**(data or {}), "reason": reason},
        )
    )
    raised = next_priority(ticket.priority) if raise_priority else ticket.priority
    if raised != ticket.priority:
        _change_priority_locked(ticket, priority=raised, actor=actor, reason="Escalated")
    hooks.schedule_after(ctx)
    return ticket


ESCALATION_ACTIVITY = frozenset(
    {TicketEvent.Kind.ESCALATION_NOTIFIED, TicketEvent.Kind.ESCALATION_ACKNOWLEDGED}
)


@transaction.atomic
def ticket_log_escalation(*, ticket: Ticket, kind: str, actor=None, data: dict) -> TicketEvent:
    """Record escalation activity that changes no ticket field (a ladder level that only
    notified, an acknowledgement), so the timeline explains it. One event, no hooks."""
    if kind not in ESCALATION_ACTIVITY:
        raise ValueError(f"{kind!r} is not escalation activity")
    ensure_agent(actor)
    ticket = lock_ticket(ticket)
    return record_event(ticket, kind, actor=actor, data=data)
