"""The agent desk: the live queue, the ticket page and one POST endpoint per ticket action.

Every view parses with a form, reads through `tickets.selectors`, and changes a ticket only by
calling one service from `tickets.services`. HTMX requests get the page's partials; the same
URLs work as plain pages and plain form posts without JavaScript.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
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
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event
from django_htmx.middleware import HtmxDetails

from agents.permissions import agent_display_name, is_agent
from helpdesk.exceptions import ApplicationError
from sla import selectors as sla_selectors
from sla import services as sla_services
from sla.business_time import Schedule, business_minutes_between
from sla.models import Metric, SlaClock, SlaEvent
from sla.services.clock import STATE_SEVERITY, clock_state
from sla.templatetags.sla_tags import countdown_text, sla_duration
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
    SlaState,
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
    (
        "At risk & breached",
        {"sla": [SlaState.AT_RISK.value, SlaState.BREACHED.value], "status": OPEN_STATUS_VALUES},
    ),
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
        tuple(sorted(filters.sla)),
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
        "now": timezone.now(),
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
            "sla_choices": [(value, label) for value, label in SlaState.choices if value],
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


# ---------------------------------------------------------------------------------------------
# The ticket's SLA: one card per page with every clock, and the SLA timeline
# ---------------------------------------------------------------------------------------------


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
        # The escalate button climbs the manual escalation ladder (sla.services).
        ticket = sla_services.escalation_escalate_manually(
            ticket=ticket, actor=request.user, reason=data["reason"]
        )
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


@agent_required
@require_POST
def ticket_acknowledge(request: HtmxHttpRequest, reference: str) -> HttpResponse:
    """Take ownership of a running escalation: its ladder stops climbing."""

    def perform(ticket, data):
        if sla_services.escalation_acknowledge(ticket=ticket, actor=request.user):
            return "Escalation acknowledged: it is yours now."
        return "No running escalation to acknowledge."

    return _run_action(
        request, reference, action="acknowledge", form=Form(request.POST), perform=perform
    )
