"""The live queue page, its quick filters and the query-string helpers behind them."""

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from agents.permissions import agent_display_name
from tickets.forms.desk import DEFAULT_QUEUE_QUERY, SORT_CHOICES, QueueFilterForm, desk_choices
from tickets.models import OPEN_STATUSES, Priority, SlaState, Status
from tickets.selectors import DEFAULT_QUEUE_SORT, QueueFilters, ticket_queue_for_agent
from tickets.views.desk.access import HtmxHttpRequest, agent_required

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
