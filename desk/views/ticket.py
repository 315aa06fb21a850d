"""The ticket page: its conversation and the context its regions render from (the audit
timeline is built by `desk.views.timeline`).
"""

from dataclasses import dataclass
from typing import Any

from django.forms import Form
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from agents.access import HtmxHttpRequest, agent_required
from agents.permissions import agent_display_name
from desk.forms import (
    AssignForm,
    CategoryForm,
    ClaimForm,
    EscalateForm,
    MergeForm,
    NoteForm,
    Option,
    PriorityForm,
    ReplyForm,
    ResolveForm,
    StatusForm,
    TagsForm,
    TeamForm,
    ticket_edit_choices,
)
from desk.views.labels import _status_label
from desk.views.sla import _ticket_sla
from desk.views.timeline import When, ticket_timeline, when_of
from tickets import services
from tickets.models import Priority, Status, Ticket, TicketLink, TicketMessage
from tickets.selectors import (
    PageWindow,
    ticket_for_agent,
    ticket_links,
    ticket_page_events,
    ticket_page_messages,
)
from tickets.services.attachments import download_refusal

AUTHOR_CLASSES = {
    TicketMessage.AuthorKind.CUSTOMER: "message-customer",
    TicketMessage.AuthorKind.AGENT: "message-agent",
    TicketMessage.AuthorKind.SYSTEM: "message-system",
    TicketMessage.AuthorKind.AI: "message-ai",
}
# An event kind's label, looked up per timeline entry (the enum's `values` and `choices`
# build their lists anew on every access).


# A long ticket opens on its newest messages and activity; the rest loads on demand, this
# many at a time. Rendering hundreds of messages is what made a long ticket's page slow.
PAGE_MESSAGES = 30
PAGE_EVENTS = 30
EARLIER_CHUNK = 100


@dataclass
class AttachmentRow:
    url: str
    filename: str
    size: str
    # Why the file is not served (pending scan, quarantined), empty when it is.
    refusal: str = ""
    state: str = ""


@dataclass
class MessageRow:
    message: TicketMessage
    author_name: str
    initial: str
    kind_label: str
    css_class: str
    attachments: list[AttachmentRow]
    when: When


@dataclass
class ShowEarlier:
    """The "Show N earlier …" control above a region that shows only its newest rows: how
    many are hidden, what the next click loads (HTMX) and the full page without JS."""

    hidden: int
    next_count: int
    url: str
    full_url: str
    nouns: tuple[str, str]

    @property
    def label(self) -> str:
        noun = self.nouns[0] if self.next_count == 1 else self.nouns[1]
        return f"Show {self.next_count} earlier {noun}"

    @property
    def summary(self) -> str:
        noun = self.nouns[0] if self.hidden == 1 else self.nouns[1]
        return f"{self.hidden} earlier {noun} not shown"


REGIONS = {
    # region: (fragment URL name, page query parameter, anchor, nouns)
    "conversation": (
        "desk:ticket_conversation",
        "conversation",
        "ticket-conversation",
        ("message", "messages"),
    ),
    "activity": ("desk:ticket_activity", "activity", "ticket-timeline", ("entry", "entries")),
}


def _show_earlier(window: PageWindow, *, ticket: Ticket, region: str) -> ShowEarlier | None:
    if not window.hidden:
        return None
    url_name, param, anchor, nouns = REGIONS[region]
    url = reverse(url_name, args=[ticket.reference])
    page = reverse("desk:ticket", args=[ticket.reference])
    return ShowEarlier(
        hidden=window.hidden,
        next_count=min(window.hidden, EARLIER_CHUNK),
        url=f"{url}?before={window.oldest_id}",
        full_url=f"{page}?{param}=all#{anchor}",
        nouns=nouns,
    )


@dataclass
class RelatedRow:
    ticket: Ticket
    label: str


def _related(ticket: Ticket) -> list[RelatedRow]:
    """The related-tickets card: each other ticket once, and why it is listed. Two tickets
    can be linked both ways (each found the other when it was filed) or both related and
    merged: a merge says most, else the first link found."""
    rows: dict[int, RelatedRow] = {}
    for link in ticket_links(ticket=ticket):
        outgoing = link.from_ticket_id == ticket.pk
        other = link.to_ticket if outgoing else link.from_ticket
        merged = link.kind == TicketLink.Kind.DUPLICATE_OF
        if other.pk in rows and not merged:
            continue
        if merged:
            label = "Merged into this ticket" if not outgoing else "Merged into"
        else:
            label = link.get_reason_display()
        rows[other.pk] = RelatedRow(other, label)
    return list(rows.values())


def _conversation(ticket: Ticket, messages=None) -> list[MessageRow]:
    """The message rows, everything the template prints already worked out."""
    kind_labels = dict(TicketMessage.AuthorKind.choices)
    now = timezone.now()
    rows = []
    for message in ticket.messages.all() if messages is None else messages:
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
        attachments = [
            AttachmentRow(
                url=reverse("desk:attachment", args=[attachment.pk]),
                filename=attachment.filename,
                size=filesizeformat(attachment.size),
                refusal=download_refusal(attachment) or "",
                state=attachment.scan_status,
            )
            for attachment in message.attachments.all()
        ]
        rows.append(
            MessageRow(
                message=message,
                author_name=name,
                initial=name[:1].upper(),
                kind_label=kind_labels.get(message.author_kind, message.author_kind),
                css_class=css,
                attachments=attachments,
                when=when_of(message.created_at, now),
            )
        )
    return rows


@dataclass
class TicketChoices:
    """The sidebar's select options, from the per-process copy (`ticket_edit_choices`); the
    assignee select is rendered by the `assignee_options` filter (desk.templatetags)."""

    agents: list[Option]
    assignee_id: int | None
    teams: list[Option]
    categories: list[Option]


def _choices(ticket: Ticket) -> TicketChoices:
    options = ticket_edit_choices()
    return TicketChoices(
        agents=options.agents,
        assignee_id=ticket.assignee_id,
        teams=options.teams,
        categories=options.categories,
    )


def _ticket_context(
    ticket: Ticket,
    *,
    bound: dict[str, Form] | None = None,
    composer: str = "reply",
    full_conversation: bool = False,
    full_activity: bool = False,
) -> dict[str, Any]:
    """Everything the ticket page renders. Only the newest messages and activity entries are
    read unless `full_*` asks for all (the no-JS "show earlier" links); the query count is the
    same either way and does not grow with the conversation."""
    messages = ticket_page_messages(
        ticket=ticket, limit=None if full_conversation else PAGE_MESSAGES
    )
    events = ticket_page_events(ticket=ticket, limit=None if full_activity else PAGE_EVENTS)
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
        "conversation": _conversation(ticket, messages.rows),
        "conversation_earlier": _show_earlier(messages, ticket=ticket, region="conversation"),
        # The newest message on the ticket (always among those shown); a reply carries it so
        # a colleague's reply or the customer's answer that arrived meanwhile is caught
        # before sending (live.py).
        "last_message_id": messages.newest_id,
        "timeline": ticket_timeline(ticket, events.rows),
        "timeline_earlier": _show_earlier(events, ticket=ticket, region="activity"),
        "related": _related(ticket),
        "forms": forms,
        "composer": composer,
        "choices": _choices(ticket),
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
    context = _ticket_context(
        ticket,
        full_conversation=request.GET.get("conversation") == "all",
        full_activity=request.GET.get("activity") == "all",
    )
    return render(request, "desk/ticket.html", context)


def _before_id(request: HtmxHttpRequest) -> int | None:
    value = request.GET.get("before", "")
    return int(value) if value.isdigit() else None


@agent_required
@require_GET
def ticket_conversation(request: HtmxHttpRequest, reference: str) -> HttpResponse:
    """The next chunk of earlier messages, older than message `before`, for the "Show earlier
    messages" control (HTMX). Without HTMX: the page with every message."""
    ticket = ticket_for_agent(agent=request.user, reference=reference)
    before = _before_id(request)
    if not request.htmx:
        return redirect(reverse("desk:ticket", args=[reference]) + "?conversation=all")
    if before is None:
        return HttpResponseBadRequest("Which earlier messages? `before` must be an id.")
    window = ticket_page_messages(ticket=ticket, limit=EARLIER_CHUNK, before_id=before)
    context = {
        "ticket": ticket,
        "conversation": _conversation(ticket, window.rows),
        "conversation_earlier": _show_earlier(window, ticket=ticket, region="conversation"),
    }
    return render(request, "desk/ticket.html#conversation-earlier", context)


@agent_required
@require_GET
def ticket_activity(request: HtmxHttpRequest, reference: str) -> HttpResponse:
    """The next chunk of earlier activity entries, older than event `before` (HTMX); without
    HTMX: the page with the full activity."""
    ticket = ticket_for_agent(agent=request.user, reference=reference)
    before = _before_id(request)
    if not request.htmx:
        return redirect(reverse("desk:ticket", args=[reference]) + "?activity=all")
    if before is None:
        return HttpResponseBadRequest("Which earlier entries? `before` must be an id.")
    window = ticket_page_events(ticket=ticket, limit=EARLIER_CHUNK, before_id=before)
    context = {
        "ticket": ticket,
        "timeline": ticket_timeline(ticket, window.rows),
        "timeline_earlier": _show_earlier(window, ticket=ticket, region="activity"),
    }
    return render(request, "desk/ticket.html#timeline-earlier", context)
