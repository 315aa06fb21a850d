"""Canned responses in the reply composer: search them, and fill one in for the reply box;
and the suggested reply.

The search answers the picker's results fragment. The insert endpoint fills a response's
placeholders for this ticket and the agent asking and answers JSON; a POST also counts the
use (the agent inserted it), a GET only previews. Sending stays the reply form's job.
"""

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from knowledge import selectors, services
from knowledge.suggestions import suggest_reply
from tickets.views.desk.access import HtmxHttpRequest, agent_required

QUERY_MAX_LENGTH = 100


@agent_required
@require_GET
def canned_search(request: HtmxHttpRequest, reference: str) -> HttpResponse:
    ticket = selectors.ticket_for_composer(agent=request.user, reference=reference)
    query = request.GET.get("q", "").strip()[:QUERY_MAX_LENGTH]
    responses = selectors.canned_responses_for_ticket(
        agent=request.user, ticket=ticket, query=query
    )
    context = {
        "ticket": ticket,
        "canned_responses": responses,
        "canned_query": query,
        "canned_searched": True,
    }
    return render(request, "desk/ticket.html#canned-results", context)


@agent_required
@require_http_methods(["GET", "POST"])
def canned_insert(request: HtmxHttpRequest, reference: str, pk: int) -> JsonResponse:
    ticket = selectors.ticket_for_composer(agent=request.user, reference=reference)
    response = selectors.canned_response_for_ticket(agent=request.user, ticket=ticket, pk=pk)
    body = services.canned_response_render(response=response, ticket=ticket, agent=request.user)
    if request.method == "POST":
        services.canned_response_mark_used(response=response)
    return JsonResponse({"id": response.pk, "name": response.name, "body": body})


@agent_required
@require_GET
def ticket_suggest(request: HtmxHttpRequest, reference: str) -> HttpResponse:
    """The composer's "Suggest a reply": an article, a similar ticket's resolution or a model
    draft, shown with an Insert button; "No suggestion available" when there is none."""
    ticket = selectors.ticket_for_composer(agent=request.user, reference=reference)
    suggestion = suggest_reply(ticket=ticket, agent=request.user)
    context = {"ticket": ticket, "suggestion": suggestion, "suggested": True}
    return render(request, "desk/ticket.html#reply-suggestion", context)
