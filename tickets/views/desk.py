"""The agent desk: the live queue, the ticket page and one POST endpoint per ticket action.

Every view parses with a form, reads through `tickets.selectors`, and changes a ticket only by
calling one service from `tickets.services`. HTMX requests get the page's partials; the same
URLs work as plain pages and plain form posts without JavaScript.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event
from django_htmx.middleware import HtmxDetails

from agents.permissions import agent_display_name, is_agent
from helpdesk.exceptions import ApplicationError
from tickets import services
from tickets.forms.desk import (
    DEFAULT_QUEUE_QUERY,
    SORT_CHOICES,
    AssignForm,
    CategoryForm,
    ClaimForm,
    EscalateForm,
    NoteForm,
    PriorityForm,
    QueueFilterForm,
    ReplyForm,
    ResolveForm,
    StatusForm,
    TagsForm,
    TeamForm,
    desk_choices,
)
from tickets.models import (
    OPEN_STATUSES,
    Channel,
    Priority,
    Status,
    Ticket,
    TicketEvent,
    TicketMessage,
)
from tickets.selectors import (
    DEFAULT_QUEUE_SORT,
    QueueFilters,
    attachment_for_agent,
    ticket_for_agent,
    ticket_queue_for_agent,
)


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def agent_required(view: Callable) -> Callable:
    """Only agents reach the desk: visitors go to the login page, everyone else gets a 403."""

    @wraps(view)
    def wrapper(request: HtmxHttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            if request.htmx:
                # A redirect would be followed inside the XHR and the login page swapped into
                # a region; send the whole browser there instead.
                back = request.htmx.current_url_abs_path or reverse("desk:queue")
                return HttpResponseClientRedirect(redirect_to_login(back).url)
            return redirect_to_login(request.get_full_path())
        if not is_agent(request.user):
            raise PermissionDenied("The desk is for agents.")
        return view(request, *args, **kwargs)

    return wrapper


# ---------------------------------------------------------------------------------------------
# The queue
# ---------------------------------------------------------------------------------------------

OPEN_STATUS_VALUES = [str(value) for value in OPEN_STATUSES]

QUICK_FILTERS: list[tuple[str, dict[str, Any]]] = [
    ("My open tickets", {"assignee": "me", "status": OPEN_STATUS_VALUES}),
    ("Unassigned", {"assignee": "unassigned", "status": OPEN_STATUS_VALUES}),
    ("All open", {"status": OPEN_STATUS_VALUES}),
    ("High & critical", {"priority": ["critical", "high"], "status": OPEN_STATUS_VALUES}),
    ("Waiting on customer", {"status": [Status.WAITING_CUSTOMER.value]}),
    ("Resolved", {"status": [Status.RESOLVED.value]}),
    ("All tickets", {}),
]


def _query(values: dict[str, Any]) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, value in values.items():
        if isinstance(value, list):
            query.setlist(key, value)
        else:
            query[key] = value
    return query


def _filter_key(filters: QueueFilters) -> tuple:
    """What a quick filter is compared on: everything but the sort order."""
    return (
        tuple(sorted(filters.status)),
        tuple(sorted(filters.priority)),
        filters.category,
        filters.team,
        filters.tag,
        filters.assignee,
        filters.q,
    )


def _quick_filters(current: QueueFilters) -> list[dict[str, Any]]:
    chips = []
    for label, values in QUICK_FILTERS:
        query = _query(values)
        if current.sort != DEFAULT_QUEUE_SORT or not values:
            # Keep the agent's sort; "All tickets" always carries it, so its query string is
            # never empty (an empty one means the default view).
            query["sort"] = current.sort
        chip_filters = QueueFilterForm(query).to_filters()
        chips.append(
            {
                "label": label,
                "query": query.urlencode(),
                "active": _filter_key(chip_filters) == _filter_key(current),
            }
        )
    return chips


@agent_required
@require_GET
def queue(request: HtmxHttpRequest) -> HttpResponse:
    """The live queue. Every filter lives in the query string; an HTMX request gets only the
    `queue-table` partial. Without a query string it shows the tickets still to work on."""
    data = request.GET if request.GET else _query(DEFAULT_QUEUE_QUERY)
    form = QueueFilterForm(data)
    filters = form.to_filters()
    tickets = ticket_queue_for_agent(agent=request.user, filters=filters)
    page = Paginator(tickets, settings.DESK_PAGE_SIZE).get_page(form.page_number)
    for ticket in page.object_list:
        ticket.assignee_name = agent_display_name(ticket.assignee) if ticket.assignee else ""

    query = data.copy()
    query.pop("page", None)
    context = {
        "filters": filters,
        "page": page,
        "query": query,
        "quick_filters": _quick_filters(filters),
        "is_default": not request.GET,
        "is_filtered": _filter_key(filters) != _filter_key(QueueFilters()),
    }
    if request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request:
        response = render(request, "desk/queue.html#queue-table", context)
    else:
        # The filter bar is only part of the full page.
        context |= {
            "choices": desk_choices(),
            "status_choices": Status.choices,
            "priority_choices": Priority.choices,
            "sort_choices": SORT_CHOICES,
        }
        response = render(request, "desk/queue.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# ---------------------------------------------------------------------------------------------
# The ticket page
# ---------------------------------------------------------------------------------------------

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
class TimelineEntry:
    kind: str
    actor: str
    summary: str
    from_value: str
    to_value: str
    detail: str
    created_at: datetime


def _status_label(value: str) -> str:
    return Status(value).label if value in Status.values else value


def _priority_label(value: str) -> str:
    return Priority(value).label if value in Priority.values else value


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
    }
    forms.update(bound or {})
    next_statuses = services.allowed_next_statuses(ticket.status)
    return {
        "ticket": ticket,
        "tags": tags,
        "assignee_name": agent_display_name(ticket.assignee) if ticket.assignee else "",
        "conversation": _conversation(ticket),
        "timeline": _timeline(ticket),
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


@agent_required
@require_GET
def attachment_download(request: HtmxHttpRequest, attachment_id: int) -> FileResponse:
    """Files are always downloaded, never displayed inline, so an uploaded HTML or SVG file
    cannot run in the desk's origin."""
    attachment = attachment_for_agent(agent=request.user, attachment_id=attachment_id)
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("The file of this attachment is missing.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------------------------------------
# Ticket actions: parse with a form, call one service, re-render the ticket's regions.
# ---------------------------------------------------------------------------------------------


def _add_service_errors(form: Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _run_action(
    request: HtmxHttpRequest,
    reference: str,
    *,
    action: str,
    form: Form,
    perform: Callable[[Ticket, dict], str],
) -> HttpResponse:
    """The shape every action shares.

    Success: HTMX gets the re-rendered regions and a `ticket-changed` event; a plain POST is
    redirected to the ticket page with a message. A refusal (ApplicationError) answers 409 and
    bad input 400, with the message next to the form and the agent's input kept.
    """
    ticket = ticket_for_agent(agent=request.user, reference=reference)
    status = 400
    if form.is_valid():
        try:
            done = perform(ticket, form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
            status = 409
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            if not request.htmx:
                messages.success(request, done)
                return redirect("desk:ticket", reference=reference)
            ticket = ticket_for_agent(agent=request.user, reference=reference)
            context = _ticket_context(ticket, composer=action)
            context["updated"] = action
            response = render(request, "desk/ticket.html#ticket-update", context)
            return trigger_client_event(response, "ticket-changed")

    # Re-read: the refusal may come from a change someone else just made (a lost claim).
    ticket = ticket_for_agent(agent=request.user, reference=reference)
    context = _ticket_context(ticket, bound={action: form}, composer=action)
    context["updated"] = action
    template = "desk/ticket.html#ticket-update" if request.htmx else "desk/ticket.html"
    return render(request, template, context, status=status)


@agent_required
@require_POST
def ticket_reply(request: HtmxHttpRequest, reference: str) -> HttpResponse:
    def perform(ticket, data):
        services.ticket_reply(
            ticket=ticket, actor=request.user, body=data["body"], files=data["files"]
        )
        return "Reply sent to the customer."

    form = ReplyForm(request.POST, request.FILES)
    return _run_action(request, reference, action="reply", form=form, perform=perform)


@agent_required
@require_POST
def ticket_note(request: HtmxHttpRequest, reference: str) -> HttpResponse:
    def perform(ticket, data):
        services.ticket_add_note(ticket=ticket, actor=request.user, body=data["body"])
        return "Internal note added."

    form = NoteForm(request.POST)
    return _run_action(request, reference, action="note", form=form, perform=perform)


@agent_required
@require_POST
def ticket_claim(request: HtmxHttpRequest, reference: str) -> HttpResponse:
    def perform(ticket, data):
        services.ticket_claim(ticket=ticket, agent=request.user)
        return f"{ticket.reference} is yours."

    form = ClaimForm(request.POST)
    return _run_action(request, reference, action="claim", form=form, perform=perform)


@agent_required
@require_POST
def ticket_assign(request: HtmxHttpRequest, reference: str) -> HttpResponse:
    def perform(ticket, data):
        assignee = data["assignee"]
        services.ticket_assign(ticket=ticket, assignee=assignee, actor=request.user)
        return f"Assigned to {agent_display_name(assignee)}." if assignee else "Unassigned."

    form = AssignForm(request.POST)
    return _run_action(request, reference, action="assign", form=form, perform=perform)


@agent_required
@require_POST
def ticket_team(request: HtmxHttpRequest, reference: str) -> HttpResponse:
    def perform(ticket, data):
        services.ticket_change_team(ticket=ticket, team=data["team"], actor=request.user)
        return f"Team set to {data['team']}." if data["team"] else "Team removed."

    form = TeamForm(request.POST)
    return _run_action(request, reference, action="team", form=form, perform=perform)


@agent_required
@require_POST
def ticket_status(request: HtmxHttpRequest, reference: str) -> HttpResponse:
    def perform(ticket, data):
        services.ticket_transition(
            ticket=ticket, to_status=data["status"], actor=request.user, reason=data["reason"]
        )
        return f"Status changed to {_status_label(data['status'])}."

    form = StatusForm(request.POST)
    return _run_action(request, reference, action="status", form=form, perform=perform)


@agent_required
@require_POST
def ticket_priority(request: HtmxHttpRequest, reference: str) -> HttpResponse:
    def perform(ticket, data):
        services.ticket_change_priority(
            ticket=ticket, priority=data["priority"], actor=request.user
        )
        return f"Priority set to {_priority_label(data['priority'])}."

    form = PriorityForm(request.POST)
    return _run_action(request, reference, action="priority", form=form, perform=perform)


@agent_required
@require_POST
def ticket_category(request: HtmxHttpRequest, reference: str) -> HttpResponse:
    def perform(ticket, data):
        services.ticket_change_category(
            ticket=ticket, category=data["category"], actor=request.user
        )
        return f"Category set to {data['category']}." if data["category"] else "Category removed."

    form = CategoryForm(request.POST)
    return _run_action(request, reference, action="category", form=form, perform=perform)


@agent_required
@require_POST
def ticket_tags(request: HtmxHttpRequest, reference: str) -> HttpResponse:
    def perform(ticket, data):
        services.ticket_set_tags(ticket=ticket, tags=data["tags"], actor=request.user)
        return "Tags saved."

    form = TagsForm(request.POST)
    return _run_action(request, reference, action="tags", form=form, perform=perform)


@agent_required
@require_POST
def ticket_escalate(request: HtmxHttpRequest, reference: str) -> HttpResponse:
    def perform(ticket, data):
        ticket = services.ticket_escalate(ticket=ticket, actor=request.user, reason=data["reason"])
        return f"Escalated to level {ticket.escalation_level}."

    form = EscalateForm(request.POST)
    return _run_action(request, reference, action="escalate", form=form, perform=perform)


@agent_required
@require_POST
def ticket_resolve(request: HtmxHttpRequest, reference: str) -> HttpResponse:
    def perform(ticket, data):
        services.ticket_resolve(ticket=ticket, actor=request.user, resolution=data["resolution"])
        return f"{ticket.reference} resolved."

    form = ResolveForm(request.POST)
    return _run_action(request, reference, action="resolve", form=form, perform=perform)
