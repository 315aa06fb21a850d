"""The ticket actions: parse with a form, call one service, re-render the ticket's regions."""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from agents.access import HtmxHttpRequest, agent_required
from agents.permissions import agent_display_name
from common.exceptions import ApplicationError
from desk.forms import (
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
)
from desk.views.labels import _priority_label, _status_label
from desk.views.live import reply_collision
from desk.views.ticket import _ticket_context
from sla import services as sla_services
from tickets import services
from tickets.models import Ticket
from tickets.selectors import ticket_for_agent


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
    notices: list[str] | None = None,
) -> HttpResponse:
    """The shape every action shares.

    Success: HTMX gets the re-rendered regions and a `ticket-changed` event; a plain POST is
    redirected to the ticket page with a message (HTMX shows `notices`, filled by `perform`,
    above the composer). A refusal (ApplicationError) answers 409 and
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
            context["action_notices"] = notices or []
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
    notices: list[str] = []

    def perform(ticket, data):
        message = services.ticket_reply(
            ticket=ticket, actor=request.user, body=data["body"], files=data["files"]
        )
        # Files the virus scanner removed or has not scanned yet: the agent is told.
        notices.extend(services.scan_notices(message.attachments.all()))
        return " ".join(["Reply sent to the customer.", *notices])

    form = ReplyForm(request.POST, request.FILES)
    # Someone else wrote on the ticket since the agent looked: warn, send nothing (live.py).
    collision = reply_collision(request, reference, form)
    if collision is not None:
        return collision
    return _run_action(
        request, reference, action="reply", form=form, perform=perform, notices=notices
    )


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
def ticket_merge(request: HtmxHttpRequest, reference: str) -> HttpResponse:
    """Merge this ticket (a duplicate) into the ticket whose reference the agent typed."""

    def perform(ticket, data):
        target = Ticket.objects.filter(reference=data["target"]).first()
        if target is None:
            raise ValidationError({"target": f"No ticket {data['target']}."})
        services.ticket_merge(
            source=ticket, target=target, actor=request.user, reason=data["reason"]
        )
        return f"{ticket.reference} merged into {target.reference}."

    form = MergeForm(request.POST)
    return _run_action(request, reference, action="merge", form=form, perform=perform)


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
