"""The ticket page: its conversation, audit timeline and the context its regions render from."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from agents.permissions import agent_display_name, is_agent
from agents.routing import explain_assignment
from tickets import services
from tickets.forms.desk import (
    AssignForm,
    CategoryForm,
    ClaimForm,
    EscalateForm,
    MergeForm,
    NoteForm,
    PriorityForm,
    ReplyForm,
    ResolveForm,
    StatusForm,
    TagsForm,
    TeamForm,
    desk_choices,
)
from tickets.models import (
    Channel,
    Priority,
    Status,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketMessage,
)
from tickets.selectors import ticket_for_agent, ticket_links
from tickets.views.desk.access import HtmxHttpRequest, agent_required
from tickets.views.desk.labels import _priority_label, _status_label
from tickets.views.desk.sla import _ticket_sla

AUTHOR_CLASSES = {
    TicketMessage.AuthorKind.CUSTOMER: "message-customer",
    TicketMessage.AuthorKind.AGENT: "message-agent",
    TicketMessage.AuthorKind.SYSTEM: "message-system",
    TicketMessage.AuthorKind.AI: "message-ai",
}


@dataclass
class MessageRow:
    message: TicketMessage
    author_name: str
    css_class: str
    attachments: list


@dataclass
class RelatedRow:
    ticket: Ticket
    label: str


def _related(ticket: Ticket) -> list[RelatedRow]:
    """The related-tickets card: the other ticket of each link, and why it is listed."""
    rows = []
    for link in ticket_links(ticket=ticket):
        outgoing = link.from_ticket_id == ticket.pk
        other = link.to_ticket if outgoing else link.from_ticket
        if link.kind == TicketLink.Kind.DUPLICATE_OF:
            label = "Merged into this ticket" if not outgoing else "Merged into"
        else:
            label = link.get_reason_display()
        rows.append(RelatedRow(other, label))
    return rows


@dataclass
class TimelineEntry:
    kind: str
    actor: str
    summary: str
    from_value: str
    to_value: str
    detail: str
    created_at: datetime


def _conversation(ticket: Ticket) -> list[MessageRow]:
    rows = []
    for message in ticket.messages.all():
        if message.author_kind == TicketMessage.AuthorKind.CUSTOMER:
            name = ticket.customer.name
        elif message.author_kind == TicketMessage.AuthorKind.AI:
            name = "AI assistant"
        elif message.author is None:
            name = "System"
        else:
            name = agent_display_name(message.author)
        css = AUTHOR_CLASSES.get(message.author_kind, "message-system")
        if message.is_internal:
            css += " message-internal"
        rows.append(MessageRow(message, name, css, list(message.attachments.all())))
    return rows


def _event_actor(ticket: Ticket, event: TicketEvent) -> str:
    actor = event.actor
    if actor is None:
        if event.kind in (TicketEvent.Kind.CREATED, TicketEvent.Kind.CUSTOMER_REPLIED):
            return ticket.customer.name
        return "System"
    if not is_agent(actor) and ticket.customer.user_id == actor.pk:
        return ticket.customer.name
    return agent_display_name(actor)


def _timeline(ticket: Ticket) -> list[TimelineEntry]:
    """The audit trail in words: who did what, from what to what, when, and why."""
    kinds = TicketEvent.Kind
    entries = []
    for event in ticket.events.all():
        data = event.data or {}
        old, new = event.from_value, event.to_value
        summary = kinds(event.kind).label if event.kind in kinds.values else event.kind
        detail = data.get("reason", "")
        match event.kind:
            case kinds.CREATED:
                summary = "filed the ticket"
                old, new = "", ""
                channel = data.get("channel")
                if channel in Channel.values:
                    detail = f"via {Channel(channel).label}"
            case kinds.ASSIGNED:
                if data.get("via") == "claim":
                    summary, old, new = "claimed the ticket", "", ""
                elif not new:
                    summary, new = "unassigned the ticket", "Unassigned"
                else:
                    summary = "assigned the ticket"
                    old = old or "Unassigned"
                    # Routing's assignments say why: strategy and, when scored, the points.
                    detail = explain_assignment(data) or detail
            case kinds.TEAM_CHANGED:
                summary = "changed the team"
                old, new = old or "No team", new or "No team"
            case kinds.STATUS_CHANGED:
                summary = "changed the status"
                old, new = _status_label(old), _status_label(new)
                if data.get("resolution"):
                    detail = f"Resolution: {data['resolution']}"
            case kinds.PRIORITY_CHANGED:
                summary = "changed the priority"
                old, new = _priority_label(old), _priority_label(new)
            case kinds.CATEGORY_CHANGED:
                summary = "changed the category"
                old, new = old or "None", new or "None"
            case kinds.TAGS_CHANGED:
                summary = "changed the tags"
                old, new = "", ""
                parts = []
                if data.get("added"):
                    parts.append("added " + ", ".join(data["added"]))
                if data.get("removed"):
                    parts.append("removed " + ", ".join(data["removed"]))
                detail = "; ".join(parts)
            case kinds.REPLIED:
                summary, old, new = "replied to the customer", "", ""
            case kinds.CUSTOMER_REPLIED:
                summary, old, new = "replied", "", ""
            case kinds.NOTE_ADDED:
                summary, old, new = "added an internal note", "", ""
            case kinds.ESCALATED:
                summary = "escalated the ticket"
                old, new = f"Level {old or 0}", f"Level {new}"
            case kinds.AUTO_ANSWERED:
                summary, old, new = "answered automatically", "", ""
            case kinds.AUTO_ANSWER_NOT_HELPFUL:
                summary, old, new = "said the automatic answer did not help", "", ""
            case kinds.MERGED:
                if data.get("into"):
                    summary = f"merged this ticket into {data['into']}"
                else:
                    summary = f"merged {data.get('from', old)} into this ticket"
                old, new = "", ""
                notes = [f"{data.get('messages', 0)} message(s) moved"]
                if data.get("reason"):
                    notes.append(data["reason"])
                detail = "; ".join(notes)
        entries.append(
            TimelineEntry(
                kind=event.kind,
                actor=_event_actor(ticket, event),
                summary=summary,
                from_value=old,
                to_value=new,
                detail=str(detail),
                created_at=event.created_at,
            )
        )
    return entries


def _ticket_context(
    ticket: Ticket,
    *,
    bound: dict[str, Form] | None = None,
    composer: str = "reply",
) -> dict[str, Any]:
    tags = [tag.name for tag in ticket.tags.all()]
    forms = {
        "reply": ReplyForm(),
        "note": NoteForm(),
        "claim": ClaimForm(),
        "assign": AssignForm(),
        "team": TeamForm(),
        "status": StatusForm(),
        "priority": PriorityForm(),
        "category": CategoryForm(),
        "tags": TagsForm(initial={"tags": ", ".join(tags)}),
        "escalate": EscalateForm(),
        "resolve": ResolveForm(),
        "merge": MergeForm(),
        "acknowledge": Form(),
    }
    forms.update(bound or {})
    next_statuses = services.allowed_next_statuses(ticket.status)
    now = timezone.now()
    return {
        "ticket": ticket,
        "now": now,
        "sla": _ticket_sla(ticket, now),
        "tags": tags,
        "assignee_name": agent_display_name(ticket.assignee) if ticket.assignee else "",
        "conversation": _conversation(ticket),
        "timeline": _timeline(ticket),
        "related": _related(ticket),
        "forms": forms,
        "composer": composer,
        "choices": desk_choices(),
        # Resolving needs a resolution text, so it has its own form rather than the select.
        "status_options": [
            (value, _status_label(value)) for value in next_statuses if value != Status.RESOLVED
        ],
        "can_resolve": Status.RESOLVED in next_statuses,
        "is_closed": ticket.status == Status.CLOSED,
        "can_escalate": ticket.status not in (Status.RESOLVED, Status.CLOSED),
        "priority_choices": Priority.choices,
    }


@agent_required
@require_GET
def ticket_detail(request: HtmxHttpRequest, reference: str) -> HttpResponse:
    ticket = ticket_for_agent(agent=request.user, reference=reference)
    return render(request, "desk/ticket.html", _ticket_context(ticket))
