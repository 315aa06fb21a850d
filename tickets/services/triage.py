"""How a ticket is sorted: its priority, category, type and tags, and its escalation.

Each verb locks the ticket, checks its guard, runs the before-hooks and writes one
`TicketEvent` per effective change, as every lifecycle verb does (`tickets.services.lifecycle`).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

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


def parse_priority(value: str) -> str:
    """Normalise a priority from input, accepting the aliases `urgent` and `normal`."""
    key = (value or "").strip().lower()
    key = PRIORITY_ALIASES.get(key, key)
    if key not in Priority.values:
        raise ValidationError(
            {"priority": f"Unknown priority {value!r}; use one of {', '.join(Priority.values)}."}
        )
    return key


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
