"""The live desk: the queue's "changed since" poll, who else is on a ticket, and the reply
collision check.

The queue page polls `queue_changes` every few seconds with its filters and the version token
it was rendered with: one aggregate query, 204 while nothing changed, and a `queue-changed`
event (which makes the table refresh itself) when something did. The ticket page beats
`ticket_presence` every few seconds and shows which other agents are viewing or replying. A
reply carries the id of the newest message the agent saw; when a newer public message arrived
meanwhile, `reply_collision` answers 409 with it, and nothing is sent until the agent confirms.
"""

from django.forms import Form
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from agents.access import HtmxHttpRequest, agent_required
from agents.permissions import agent_display_name
from agents.presence import presence_for_ticket, presence_leave, presence_touch
from desk.forms import DEFAULT_QUEUE_QUERY, QueueFilterForm
from desk.views.queue import _query
from desk.views.ticket import _ticket_context
from tickets.models import TicketMessage
from tickets.queue_version import ticket_queue_version
from tickets.selectors import ticket_for_agent, ticket_messages_since, ticket_summary_for_agent

# What the ticket page's beacon sends when the agent leaves the page.
PRESENCE_GONE = "gone"


@agent_required
@require_GET
def queue_changes(request: HtmxHttpRequest) -> HttpResponse:
    """Has the agent's current queue view changed since `version`? 204 if not; otherwise 200
    with the new token and a `queue-changed` event, on which the table reloads itself."""
    data = request.GET.copy()
    seen = data.pop("version", [""])[-1]
    data.pop("page", None)
    if not data:
        data = _query(DEFAULT_QUEUE_QUERY)
    filters = QueueFilterForm(data).to_filters()
    version = ticket_queue_version(agent=request.user, filters=filters)
    if version.token == seen:
        response = HttpResponse(status=204)
    else:
        response = HttpResponse(version.token, content_type="text/plain")
        response["X-Queue-Version"] = version.token
        trigger_client_event(response, "queue-changed", {"version": version.token})
    add_never_cache_headers(response)
    return response


@agent_required
@require_POST
def ticket_presence(request: HtmxHttpRequest, reference: str) -> HttpResponse:
    """The ticket page's heartbeat: note that this agent is here (viewing or replying) and
    answer with the other agents on the ticket. A `gone` beat (the page was left) removes
    the agent at once."""
    ticket = ticket_summary_for_agent(agent=request.user, reference=reference)
    state = request.POST.get("state", "")
    if state == PRESENCE_GONE:
        presence_leave(ticket=ticket, user=request.user)
        return HttpResponse(status=204)
    presence_touch(ticket=ticket, user=request.user, state=state)
    others = presence_for_ticket(ticket=ticket, exclude_user=request.user)
    response = render(request, "desk/ticket.html#presence-list", {"present": others})
    add_never_cache_headers(response)
    return response


def _last_seen(data: QueryDict) -> int | None:
    try:
        value = int(data.get("last_seen", ""))
    except ValueError:
        return None
    return value if value >= 0 else None


def _message_author(ticket, message: TicketMessage) -> str:
    if message.author_kind == TicketMessage.AuthorKind.CUSTOMER:
        return ticket.customer.name
    if message.author_kind == TicketMessage.AuthorKind.AI:
        return "AI assistant"
    return agent_display_name(message.author)


def reply_collision(request: HtmxHttpRequest, reference: str, form: Form) -> HttpResponse | None:
    """A 409 when someone else wrote on the ticket since the agent last looked, or None.

    The reply form carries `last_seen`, the newest message id on the page it was written on.
    Newer public messages from anyone else (a colleague's reply, the customer's answer) stop
    the send: nothing is saved, the conversation is refreshed, and the warning lists them with
    a "Send anyway" button that posts the same form again with `confirm`. Without `last_seen`
    (an old page, an API-like post) or with `confirm`, there is nothing to check.
    """
    after = _last_seen(request.POST)
    if after is None or request.POST.get("confirm") or not form.is_valid():
        return None
    summary = ticket_summary_for_agent(agent=request.user, reference=reference)
    newer = ticket_messages_since(ticket=summary, after_id=after, exclude_author=request.user)
    if not newer:
        return None
    ticket = ticket_for_agent(agent=request.user, reference=reference)
    context = _ticket_context(ticket, bound={"reply": form}, composer="reply")
    context["collision"] = [
        {"author": _message_author(ticket, message), "message": message} for message in newer
    ]
    context["collision_oob"] = bool(request.htmx)
    if request.htmx:
        return render(request, "desk/ticket.html#reply-conflict", context, status=409)
    return render(request, "desk/ticket.html", context, status=409)
