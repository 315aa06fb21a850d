"""Lifecycle after-hook: ticket events become webhook events, with their payloads."""

from typing import Any

from tickets.hooks import HookContext
from tickets.models import Status, Ticket, TicketEvent, TicketMessage
from webhooks.recording import subscriptions_for, webhook_emit

# The verbs whose events can map to a webhook event. Internal notes ("note") never do.
HOOK_VERBS = ("create", "assign", "escalate", "transition", "reply", "customer_reply")


def _created(ticket: Ticket, event: TicketEvent, ctx: HookContext) -> dict[str, Any]:
    customer = ticket.customer
    return {
        "subject": ticket.subject,
        "type": ticket.type,
        "priority": ticket.priority,
        "status": ticket.status,
        "category": ticket.category.name if ticket.category_id else None,
        "channel": ticket.channel,
        "customer": {"email": customer.email, "name": customer.name},
        "created_at": ticket.created_at,
    }


def _assigned(ticket: Ticket, event: TicketEvent, ctx: HookContext) -> dict[str, Any]:
    # The event's own record (ids and display names at the time), not the ticket as it is now.
    def agent(user_id, name):
        return {"id": user_id, "name": name} if user_id else None

    data: dict[str, Any] = {
        "agent": agent(event.data.get("to_id"), event.to_value),  # None: unassigned
        "previous_agent": agent(event.data.get("from_id"), event.from_value),
        "via": event.data.get("via", ""),
    }
    if event.data.get("strategy"):
        data["strategy"] = event.data["strategy"]
    return data


def _escalated(ticket: Ticket, event: TicketEvent, ctx: HookContext) -> dict[str, Any]:
    return {
        "level": int(event.to_value or ticket.escalation_level),
        "reason": event.data.get("reason", ""),
        "priority": ticket.priority,
    }


def _resolved(ticket: Ticket, event: TicketEvent, ctx: HookContext) -> dict[str, Any]:
    return {
        "resolution": event.data.get("resolution", ticket.resolution),
        "resolved_at": event.created_at,
    }


def _message(ticket: Ticket, event: TicketEvent, ctx: HookContext) -> dict[str, Any] | None:
    message = ctx.message
    if message is None or message.pk != event.data.get("message_id"):
        message = TicketMessage.objects.filter(pk=event.data.get("message_id")).first()
    if message is None or message.is_internal:
        return None  # internal notes never leave the desk
    return {
        "message": {
            "id": message.pk,
            "author_kind": message.author_kind,
            "body": message.body,
            "created_at": message.created_at,
        }
    }


def webhook_event_for(event: TicketEvent) -> str | None:
    """The webhook event a ticket event maps to, if any."""
    kind = event.kind
    if kind == TicketEvent.Kind.STATUS_CHANGED:
        return "ticket.resolved" if event.to_value == Status.RESOLVED else None
    return {
        TicketEvent.Kind.CREATED: "ticket.created",
        TicketEvent.Kind.ASSIGNED: "ticket.assigned",
        TicketEvent.Kind.ESCALATED: "ticket.escalated",
        TicketEvent.Kind.REPLIED: "message.created",
        TicketEvent.Kind.CUSTOMER_REPLIED: "message.created",
    }.get(kind)


PAYLOADS = {
    "ticket.created": _created,
    "ticket.assigned": _assigned,
    "ticket.escalated": _escalated,
    "ticket.resolved": _resolved,
    "message.created": _message,
}


def on_ticket_changed(ctx: HookContext) -> None:
    """After-hook: emit a webhook event for each of the verb's events that maps to one."""
    for event in ctx.events:
        if event is None:
            continue
        name = webhook_event_for(event)
        if name is None or not subscriptions_for(name):
            continue
        data = PAYLOADS[name](ctx.ticket, event, ctx)
        if data is None:
            continue
        webhook_emit(event=name, ticket=ctx.ticket, data=data, source_key=f"event:{event.pk}")
