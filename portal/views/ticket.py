"""The customer portal's ticket pages: a ticket by its secure link (read, reply, say an
automatic answer did not help, download a file) and "My tickets".

A customer sees a ticket because they hold its unguessable link, or because it is theirs by
account; internal notes never reach these pages (the selectors leave them out).
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from agents.permissions import agent_display_name
from common.exceptions import ApplicationError
from common.markdown import render_markdown
from knowledge import selectors as knowledge_selectors
from portal.forms import ReplyForm, add_service_error
from portal.views.filing import HtmxHttpRequest
from tickets import selectors, services
from tickets.models import Status, Ticket, TicketMessage
from tickets.services.sender import VerifiedVia
from tickets.views.attachment_files import attachment_file_response

MY_TICKETS_PAGE_SIZE = 20


@dataclass(frozen=True)
class CustomerStatus:
    """A status as the customer reads it. Internal nuances (waiting on another team) are
    shown as plain "in progress"."""

    label: str
    hint: str
    css: str


CUSTOMER_STATUS = {
    Status.OPEN: CustomerStatus(
        "Received",
        "Your request is in our queue. We will reply here and by email.",
        "status-open",
    ),
    Status.IN_PROGRESS: CustomerStatus(
        "In progress", "Our team is working on your request.", "status-in_progress"
    ),
    Status.WAITING_CUSTOMER: CustomerStatus(
        "Waiting for your reply",
        "We need something from you to carry on. Please reply below.",
        "status-waiting_customer",
    ),
    Status.WAITING_INTERNAL: CustomerStatus(
        "In progress", "Our team is working on your request.", "status-in_progress"
    ),
    Status.RESOLVED: CustomerStatus(
        "Resolved",
        "We believe this is solved. Not quite? Reply and the ticket reopens.",
        "status-resolved",
    ),
    Status.CLOSED: CustomerStatus("Closed", "This request is closed.", "status-closed"),
}


def customer_status(status: str) -> CustomerStatus:
    return CUSTOMER_STATUS.get(status, CUSTOMER_STATUS[Status.OPEN])


@dataclass(frozen=True)
class ConversationEntry:
    message: TicketMessage
    author: str
    from_customer: bool


def _author_label(message: TicketMessage) -> str:
    kind = message.author_kind
    if kind == TicketMessage.AuthorKind.CUSTOMER:
        return "You"
    if kind == TicketMessage.AuthorKind.AGENT and message.author is not None:
        return agent_display_name(message.author)
    if kind == TicketMessage.AuthorKind.AI:
        return "Support assistant"
    return "Support team"


def _conversation(ticket: Ticket) -> list[ConversationEntry]:
    # `public_messages` comes from the selector: internal notes are never loaded here.
    return [
        ConversationEntry(
            message=message,
            author=_author_label(message),
            from_customer=message.author_kind == TicketMessage.AuthorKind.CUSTOMER,
        )
        for message in ticket.public_messages
    ]


# The secure link page -----------------------------------------------------------------------


def _ticket_context(ticket: Ticket, form: ReplyForm, *, notice: str = "", alert: str = "") -> dict:
    return {
        "ticket": ticket,
        "status": customer_status(ticket.status),
        "conversation": _conversation(ticket),
        "form": form,
        "rules": form.rules,
        "can_reply": ticket.status != Status.CLOSED,
        "reply_reopens": ticket.status == Status.RESOLVED,
        # Written by an agent, possibly in markdown: rendered and sanitised like messages.
        "resolution_html": render_markdown(ticket.resolution)
        if ticket.resolution and ticket.status in (Status.RESOLVED, Status.CLOSED)
        else "",
        "notice": notice,
        "alert": alert,
        # A merged request points to the ticket it went into. Merges stay within one
        # customer; the check keeps another customer's secure link from ever showing here.
        "merged_link": ticket.merged_into is not None
        and ticket.merged_into.customer_id == ticket.customer_id,
        # Automatic answers (knowledge.autoanswer): sent ones the customer may still say did
        # not help, and drafts an agent checked before sending.
        "auto_answers": knowledge_selectors.auto_answer_marks(ticket=ticket),
        # Filed signed out under this address: the reader holds the emailed link, so they can
        # confirm it was them by replying (or tell us it was not).
        "sender_unverified": ticket.sender_unverified,
    }


def _render_ticket(request: HtmxHttpRequest, context: dict, *, status: int = 200) -> HttpResponse:
    template = "portal/ticket.html"
    if request.htmx:
        template += "#conversation"
    return render(request, template, context, status=status)


@never_cache
@require_GET
def ticket_detail(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    ticket = selectors.ticket_for_public_link(public_id=public_id)
    if ticket.sender_unverified and _is_ticket_customer(request, ticket):
        # The customer opened it signed in to the address's account: it is theirs.
        services.ticket_verify_sender(ticket=ticket, actor=request.user, via=VerifiedVia.SIGNED_IN)
        ticket.sender_unverified = False
    return _render_ticket(request, _ticket_context(ticket, ReplyForm()))


def _is_ticket_customer(request: HttpRequest, ticket: Ticket) -> bool:
    user = request.user
    return user.is_authenticated and ticket.customer.user_id == user.pk


def _closed_message(ticket: Ticket) -> str:
    return (
        f"{ticket.reference} is closed, so it cannot take new replies. Please open a new "
        f"request and mention {ticket.reference} in it."
    )


@never_cache
@require_POST
def reply(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    """The customer replies by the secure link. A reply on a resolved ticket reopens it (the
    service does it); a closed ticket refuses with 409."""
    ticket = selectors.ticket_for_public_link(public_id=public_id)
    form = ReplyForm(request.POST, request.FILES)
    if ticket.status == Status.CLOSED:
        context = _ticket_context(ticket, form, alert=_closed_message(ticket))
        return _render_ticket(request, context, status=409)
    if not form.is_valid():
        return _render_ticket(request, _ticket_context(ticket, form), status=400)

    was_resolved = ticket.status == Status.RESOLVED
    try:
        message = services.ticket_customer_reply(
            ticket=ticket,
            customer=ticket.customer,
            body=form.cleaned_data["body"],
            files=form.cleaned_data["attachments"],
            # The secure link goes to the customer's address only: replying by it proves it.
            proves_address=True,
        )
    except ValidationError as exc:
        add_service_error(form, exc)
        return _render_ticket(request, _ticket_context(ticket, form), status=400)
    except ApplicationError as exc:
        # Refused after all (closed meanwhile): show the current state and keep the text.
        ticket = selectors.ticket_for_public_link(public_id=public_id)
        context = _ticket_context(ticket, form, alert=exc.message)
        return _render_ticket(request, context, status=409)

    notice = "Your reply was sent. We will get back to you here and by email."
    if was_resolved:
        notice = "Your reply was sent and the ticket is open again. We will take another look."
    notice = " ".join([notice, *services.scan_notices(message.attachments.all())])
    if request.htmx:
        ticket = selectors.ticket_for_public_link(public_id=public_id)
        response = _render_ticket(request, _ticket_context(ticket, ReplyForm(), notice=notice))
        return trigger_client_event(response, "ticket-changed")
    messages.success(request, notice)
    return redirect("portal:ticket", public_id=public_id)


@never_cache
@require_POST
def auto_answer_not_helpful(
    request: HtmxHttpRequest, public_id: str, message_id: int
) -> HttpResponse:
    """The customer says an automatic answer did not help (by the secure link): recorded, and
    the ticket goes in front of an agent."""
    from knowledge import autoanswer

    ticket = selectors.ticket_for_public_link(public_id=public_id)
    answer = autoanswer.auto_answer_for_message(ticket=ticket, message_id=message_id)
    autoanswer.auto_answer_not_helpful(answer=answer)
    notice = "Thanks for telling us. A member of our team will look at your request."
    if request.htmx:
        ticket = selectors.ticket_for_public_link(public_id=public_id)
        response = _render_ticket(request, _ticket_context(ticket, ReplyForm(), notice=notice))
        return trigger_client_event(response, "ticket-changed")
    messages.success(request, notice)
    return redirect("portal:ticket", public_id=public_id)


@require_GET
def attachment_download(request: HttpRequest, public_id: str, attachment_id: int) -> HttpResponse:
    """A file on a public message of this ticket, always as a download: never rendered by the
    browser, so an uploaded HTML or SVG file cannot run in our origin."""
    attachment = selectors.attachment_for_public_link(
        public_id=public_id, attachment_id=attachment_id
    )
    return attachment_file_response(attachment)


# My tickets ---------------------------------------------------------------------------------


@login_required
@require_GET
def my_tickets(request: HtmxHttpRequest) -> HttpResponse:
    """The logged-in customer's own tickets, newest first. Accounts without a customer record
    (and so without tickets) get an empty state."""
    customer = selectors.customer_for_user(request.user)
    page = None
    if customer is not None:
        paginator = Paginator(
            selectors.tickets_for_customer(customer=customer), MY_TICKETS_PAGE_SIZE
        )
        page = paginator.get_page(request.GET.get("page"))
        for ticket in page:
            ticket.customer_status = customer_status(ticket.status)
    template = "portal/my_tickets.html"
    if request.htmx:
        template += "#ticket-list"
    return render(request, template, {"customer": customer, "page": page})
