"""Canned responses in the reply composer: search them, and fill one in for the reply box;
and the suggested reply.

The search answers the picker's results fragment. The insert endpoint fills a response's
placeholders for this ticket and the agent asking and answers JSON; a POST also counts the
use (the agent inserted it), a GET only previews. Sending stays the reply form's job.
"""

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agents.access import HtmxHttpRequest, agent_required
from common.exceptions import ApplicationError
from knowledge import reply_suggestions, selectors, services
from knowledge.ai.client import ai_enabled
from knowledge.suggestions import Suggestion, suggest_without_ai

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
@require_POST
def ticket_suggest(request: HtmxHttpRequest, reference: str) -> HttpResponse:
    """The composer's "Suggest a reply": an article or a similar ticket's resolution at once;
    failing both, with the AI on, a model draft asked in a background job (the fragment polls
    `ticket_suggestion`). "No suggestion available" when there is none."""
    ticket = selectors.ticket_for_composer(agent=request.user, reference=reference)
    suggestion = suggest_without_ai(ticket=ticket, agent=request.user)
    context = {"ticket": ticket, "suggestion": suggestion, "suggested": True}
    if suggestion is None and ai_enabled():
        context["pending"] = reply_suggestions.reply_suggestion_request(
            ticket=ticket, actor=request.user
        )
        context["poll_ms"] = reply_suggestions.POLL_INTERVAL_MS
    return render(request, "desk/ticket.html#reply-suggestion", context)


@agent_required
@require_GET
def ticket_suggestion(request: HtmxHttpRequest, reference: str, pk: int) -> HttpResponse:
    """The panel's poll: still waiting (the fragment polls again), the model's draft with an
    Insert button, or why there is none. A draft pending too long is reported as failed."""
    ticket = selectors.ticket_for_composer(agent=request.user, reference=reference)
    row = reply_suggestions.reply_suggestion_for_agent(agent=request.user, ticket=ticket, pk=pk)
    context = {"ticket": ticket, "suggested": True, "poll_ms": reply_suggestions.POLL_INTERVAL_MS}
    if row.status == row.Status.READY:
        context["suggestion"] = Suggestion(
            source=Suggestion.AI,
            text=row.text,
            confidence=float(row.confidence) if row.confidence is not None else None,
            why="Drafted by the AI model: check it before sending.",
        )
        context["ai_suggestion"] = row
    elif row.status == row.Status.FAILED:
        context["suggestion_error"] = row.error
    elif reply_suggestions.is_stale(row):
        context["suggestion_error"] = reply_suggestions.STALE_MESSAGE
    else:
        context["pending"] = row
    return render(request, "desk/ticket.html#reply-suggestion", context)


@agent_required
@require_POST
def ticket_suggestion_used(request: HtmxHttpRequest, reference: str, pk: int) -> HttpResponse:
    """The agent inserted the model's draft: record it as used (204; 409 when the row has no
    draft). The text itself is put into the reply box by the page."""
    ticket = selectors.ticket_for_composer(agent=request.user, reference=reference)
    row = reply_suggestions.reply_suggestion_for_agent(agent=request.user, ticket=ticket, pk=pk)
    try:
        reply_suggestions.reply_suggestion_mark_used(suggestion=row, actor=request.user)
    except ApplicationError as exc:
        return HttpResponse(exc.message, status=409, content_type="text/plain")
    return HttpResponse(status=204)
