"""Reads for canned responses, scoped to what an agent may use on a given ticket."""

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import Http404

from agents.permissions import is_agent
from knowledge.models import CannedResponse
from tickets.models import Ticket

SEARCH_LIMIT = 10


def ticket_for_composer(*, agent, reference: str) -> Ticket:
    """The ticket with what placeholders read (customer, organization, category), or 404.
    Lighter than the ticket page's selector: no conversation or audit trail."""
    if not is_agent(agent):
        raise Http404
    try:
        return Ticket.objects.select_related("customer__organization", "category").get(
            reference=reference
        )
    except Ticket.DoesNotExist:
        raise Http404 from None


def _for_ticket(ticket: Ticket) -> QuerySet[CannedResponse]:
    """Active responses for the ticket's category and those for any category."""
    scope = Q(category__isnull=True)
    if ticket.category_id:
        scope |= Q(category_id=ticket.category_id)
    return CannedResponse.objects.filter(scope, active=True).select_related("category")


def canned_responses_for_ticket(
    *, agent, ticket: Ticket, query: str = "", limit: int = SEARCH_LIMIT
) -> list[CannedResponse]:
    """Active responses an agent may use on `ticket` matching `query` (name, slug or text),
    the ticket's own category first, then the general ones, each by name. One query."""
    if not is_agent(agent):
        return []
    qs = _for_ticket(ticket)
    for word in (query or "").split()[:5]:
        qs = qs.filter(
            Q(name__icontains=word) | Q(slug__icontains=word) | Q(content__icontains=word)
        )
    qs = qs.annotate(
        general=Case(
            When(category__isnull=True, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    ).order_by("general", "name", "id")
    return list(qs[:limit])


def canned_response_for_ticket(*, agent, ticket: Ticket, pk: int) -> CannedResponse:
    """One active response usable on `ticket`, or 404."""
    if not is_agent(agent):
        raise Http404
    try:
        return _for_ticket(ticket).get(pk=pk)
    except CannedResponse.DoesNotExist:
        raise Http404 from None
