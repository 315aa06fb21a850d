"""The customer portal: file a ticket (with article suggestions while typing).

A ticket's own page, replies and "My tickets" are in `portal.views.ticket`; the survey
pages in `portal.views.survey`.

Views parse with a form, read through `tickets.selectors`, write through `tickets.services`
and render. A customer sees a ticket because they hold its unguessable link, or because it
is theirs by account; internal notes never reach these pages (the selectors leave them out).
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from common.exceptions import ApplicationError
from knowledge import selectors as knowledge_selectors
from knowledge import services as knowledge_services
from portal.forms import TicketForm, add_service_error
from ratelimits.limits import limit_posts_per_ip, retry_minutes
from tickets import selectors, services
from tickets.models import Channel, Customer, Ticket

SESSION_FILED_KEY = "portal_filed_tickets"
# References of tickets filed under an address with an account the filer has not proved.
SESSION_UNVERIFIED_KEY = "portal_filed_unverified"
SESSION_FILED_LIMIT = 20


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


# Filing a ticket ----------------------------------------------------------------------------

# What the form keeps when a post is turned away by the rate limit (files cannot be kept).
TYPED_FIELDS = ("name", "email", "subject", "category", "description")


def _render_rate_limited(request: HttpRequest, retry_after: int) -> HttpResponse:
    """Past the filing limit: the form again with everything the customer typed (nothing is
    filed) and when they can send it. The rate limit sets the 429 and Retry-After."""
    customer = selectors.customer_for_user(request.user)
    typed = {name: request.POST.get(name, "") for name in TYPED_FIELDS}
    # Unbound, with the typed values as initial: the form shows them without judging them.
    form = TicketForm(customer=customer, initial=typed)
    return _render_home(
        request,
        form,
        customer,
        status=429,
        files_dropped=bool(request.FILES),
        retry_minutes=retry_minutes(retry_after),
    )


@require_http_methods(["GET", "POST"])
@limit_posts_per_ip(
    "portal-ticket-create", "RATELIMIT_TICKET_CREATE_IP", limited=_render_rate_limited
)
def home(request: HtmxHttpRequest) -> HttpResponse:
    """The portal's front page: the new-ticket form. A valid form files the ticket and
    redirects to its confirmation page (POST/redirect/GET)."""
    customer = selectors.customer_for_user(request.user)
    if request.method != "POST":
        initial = {}
        if customer is None and request.user.is_authenticated:
            initial = {"name": request.user.get_full_name(), "email": request.user.email}
        form = TicketForm(customer=customer, initial=initial)
        return _render_home(request, form, customer)

    form = TicketForm(request.POST, request.FILES, customer=customer)
    status = 400
    if form.is_valid():
        try:
            ticket = _file_ticket(request, form, customer)
        except ValidationError as exc:
            add_service_error(form, exc, field_map={"body": "description"})
        except ApplicationError as exc:
            add_service_error(form, exc)
            status = 409
        else:
            if request.FILES:
                attachments = selectors.attachments_of_ticket(ticket=ticket)
                for notice in services.scan_notices(attachments):
                    messages.warning(request, notice)
            if ticket.sender_unverified:
                # The filer has not shown they own the address: the link goes by email only,
                # so the confirmation's URL must not carry the ticket's public id either.
                _remember_filed(request, ticket.reference, key=SESSION_UNVERIFIED_KEY)
                return redirect("portal:submitted_check_email", reference=ticket.reference)
            _remember_filed(request, ticket.public_id)
            return redirect("portal:submitted", public_id=ticket.public_id)
    return _render_home(request, form, customer, status=status, files_dropped=bool(request.FILES))


def _file_ticket(request: HttpRequest, form: TicketForm, customer: Customer | None) -> Ticket:
    data = form.cleaned_data
    # The session row is written before the transaction: a refused ticket rolls back what
    # the transaction wrote, and the session must outlive that.
    session_key = _session_key(request)
    # One transaction around the services: if the ticket is refused, the customer row
    # created for it is rolled back too, and a ticket always has its filing row (the
    # deflection rate's denominator). Nothing is half-saved.
    with transaction.atomic():
        sender_unverified = False
        if customer is None:
            customer = services.customer_get_or_create(email=data["email"], name=data["name"])
            # Anyone can type an address. Under one that has an account, the ticket is not
            # the filer's to read until the owner answers from the email or signs in.
            sender_unverified = customer.user_id is not None
        ticket = services.ticket_create(
            customer=customer,
            subject=data["subject"],
            body=data["description"],
            category=data["category"],
            channel=Channel.WEB,
            files=data["attachments"],
            actor=request.user if request.user.is_authenticated else None,
            sender_unverified=sender_unverified,
        )
        knowledge_services.portal_filing_record(ticket=ticket, session_key=session_key)
        return ticket


def _render_home(
    request: HttpRequest,
    form: TicketForm,
    customer: Customer | None,
    *,
    status: int = 200,
    files_dropped: bool = False,
    retry_minutes: int | None = None,
) -> HttpResponse:
    context = {
        "form": form,
        "customer": customer,
        "rules": form.rules,
        "files_dropped": files_dropped,
        "retry_minutes": retry_minutes,
    }
    return render(request, "portal/home.html", context, status=status)


def _remember_filed(request: HttpRequest, value: str, *, key: str = SESSION_FILED_KEY) -> None:
    """The confirmation page is only for whoever filed the ticket, in this session."""
    filed = [item for item in request.session.get(key, []) if item != value]
    filed.append(value)
    request.session[key] = filed[-SESSION_FILED_LIMIT:]


@never_cache
@require_GET
def submitted(request: HttpRequest, public_id: str) -> HttpResponse:
    """The confirmation, with a link to the ticket: the filer is its customer (a new address,
    or signed in)."""
    if public_id not in request.session.get(SESSION_FILED_KEY, []):
        raise Http404
    ticket = selectors.ticket_for_public_link(public_id=public_id)
    return _render_submitted(request, ticket, show_link=not ticket.sender_unverified)


@never_cache
@require_GET
def submitted_check_email(request: HttpRequest, reference: str) -> HttpResponse:
    """The confirmation for a ticket filed signed out under the address of a customer with an
    account: no link to the ticket (it goes to that address only), nothing of its
    conversation, just the reference and where to look."""
    if reference not in request.session.get(SESSION_UNVERIFIED_KEY, []):
        raise Http404
    ticket = selectors.ticket_confirmation(reference=reference)
    return _render_submitted(request, ticket, show_link=False)


def _render_submitted(request: HttpRequest, ticket: Ticket, *, show_link: bool) -> HttpResponse:
    return render(
        request,
        "portal/submitted.html",
        {
            "ticket": ticket,
            "show_link": show_link,
            "customer": selectors.customer_for_user(request.user),
        },
    )


# Suggested articles while the customer types ------------------------------------------------

SUGGESTIONS_LIMIT = 5
SUGGESTIONS_MIN_QUERY = 3
SUGGESTIONS_MAX_QUERY = 200
SUGGESTIONS_TEMPLATE = "portal/home.html#suggestions"
DEFLECTED_MESSAGE = "Glad that helped — no ticket needed. Still stuck? Send the form anyway."


def _session_key(request: HttpRequest) -> str:
    """This browser's session key, creating the session if it has none yet (a first-time
    visitor filing without an account)."""
    if request.session.session_key is None:
        request.session.save()
    return request.session.session_key


def _typed_subject(data) -> str:
    """The subject as typed, from `q` or the form's own `subject` field, capped so a huge
    query never reaches the search."""
    return (data.get("q") or data.get("subject") or "").strip()[:SUGGESTIONS_MAX_QUERY]


@never_cache
@require_GET
def suggestions(request: HtmxHttpRequest) -> HttpResponse:
    """Published articles matching the subject being typed, best first. Fewer than three
    characters give an empty box, so a first keystroke does not search."""
    query = _typed_subject(request.GET)
    articles = []
    if len(query) >= SUGGESTIONS_MIN_QUERY:
        articles = knowledge_selectors.portal_article_suggestions(
            query=query, limit=SUGGESTIONS_LIMIT
        )
    return render(request, SUGGESTIONS_TEMPLATE, {"suggestions": articles})


@require_POST
def suggestion_helpful(request: HtmxHttpRequest, article_id: int) -> HttpResponse:
    """The "This answered my question" button: count a deflection for this session and
    article (once, however often it is clicked). No ticket is created; the form stays
    usable."""
    article = knowledge_selectors.portal_article_for_deflection(pk=article_id)
    customer = selectors.customer_for_user(request.user)
    knowledge_services.deflection_record(
        article=article,
        query=_typed_subject(request.POST),
        session_key=_session_key(request),
        email=_known_email(request, customer),
    )
    if not request.htmx:
        messages.success(request, DEFLECTED_MESSAGE)
        return redirect("portal:home")
    return render(request, SUGGESTIONS_TEMPLATE, {"deflected": True})


def _known_email(request: HttpRequest, customer: Customer | None) -> str:
    """The customer's email when we know it: their record, their account, or a valid address
    already typed into the form. Never required."""
    if customer is not None:
        return customer.email
    if request.user.is_authenticated and request.user.email:
        return request.user.email
    field = forms.EmailField(max_length=254, required=False)
    try:
        return field.clean(request.POST.get("email", ""))
    except ValidationError:
        return ""
