"""The live queue page, its quick filters and the query-string helpers behind them."""

from functools import cache, lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET

from agents.access import HtmxHttpRequest, agent_required
from desk.forms import (
    DEFAULT_QUEUE_QUERY,
    SORT_CHOICES,
    QueueFilterForm,
    queue_filter_choices,
)
from desk.views.queue_rows import QueueRows, sla_badge_html
from tickets.models import OPEN_STATUSES, Priority, SlaState, Status
from tickets.queue_selectors import DEFAULT_QUEUE_SORT, QueueFilters, ticket_queue_page
from tickets.queue_version import ticket_queue_version

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


@cache
def _quick_filter_specs() -> list[tuple[str, str, tuple]]:
    """Each quick filter's label, query string (without the sort) and filter key, parsed once
    per process: the chips are constants, so the filter form validates them once, not eight
    times on every page."""
    specs = []
    for label, values in QUICK_FILTERS:
        query = _query(values)
        specs.append((label, query.urlencode(), _filter_key(QueueFilterForm(query).to_filters())))
    return specs


def _quick_filters(current: QueueFilters) -> list[dict[str, Any]]:
    current_key = _filter_key(current)
    sort = _query({"sort": current.sort}).urlencode()
    queue_url = reverse("desk:queue")
    chips = []
    for label, query, key in _quick_filter_specs():
        if current.sort != DEFAULT_QUEUE_SORT or not query:
            # Keep the agent's sort; "All tickets" always carries it, so its query string is
            # never empty (an empty one means the default view).
            query = f"{query}&{sort}" if query else sort
        chips.append({"label": label, "href": f"{queue_url}?{query}", "active": key == current_key})
    return chips


def _options(choices: list[tuple[str, str]], selected: str) -> SafeString:
    """`<option>`s for a filter select, escaped by format_html: one string instead of a
    template loop over every agent on every page load. The same choices and selection give
    the same markup, so it is remembered (a hundred agents are a few hundred escapes)."""
    return _options_html(tuple(choices), selected)


@lru_cache(maxsize=256)
def _options_html(choices: tuple[tuple[str, str], ...], selected: str) -> SafeString:
    return format_html_join(
        "\n",
        '<option value="{}"{}>{}</option>',
        (
            (value, mark_safe(" selected") if value == selected else "", label)  # noqa: S308
            for value, label in choices
        ),
    )


def _filter_bar(filters: QueueFilters) -> dict[str, Any]:
    """The filter bar's options with their state, for the full page only."""
    choices = queue_filter_choices()
    return {
        "status_options": [
            (value, label, value in filters.status) for value, label in Status.choices
        ],
        "priority_options": [
            (value, label, value in filters.priority) for value, label in Priority.choices
        ],
        "sla_options": [
            (value, sla_badge_html(value), value in filters.sla)
            for value, _label in SlaState.choices
            if value
        ],
        "agent_options": _options(choices.agents, filters.assignee),
        "team_options": _options(choices.teams, filters.team),
        "category_options": _options(choices.categories, filters.category),
        "sort_options": [(value, label, value == filters.sort) for value, label in SORT_CHOICES],
    }


@agent_required
@require_GET
def queue(request: HtmxHttpRequest) -> HttpResponse:
    """The live queue. Every filter lives in the query string; an HTMX request gets only the
    `queue-table` partial. Without a query string it shows the tickets still to work on."""
    data = request.GET if request.GET else _query(DEFAULT_QUEUE_QUERY)
    form = QueueFilterForm(data)
    filters = form.to_filters()
    # The live queue's version token is one aggregate; its count is also the page's total.
    version = ticket_queue_version(agent=request.user, filters=filters)
    # Keyset pages (`after`/`before` cursors): no OFFSET, the same queries at any depth.
    page = ticket_queue_page(
        agent=request.user,
        filters=filters,
        size=settings.DESK_PAGE_SIZE,
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
    )
    page.count, page.count_capped = version.count, version.count_capped

    query = data.copy()
    for key in ("page", "after", "before"):
        query.pop(key, None)
    rows = QueueRows(agent=request.user, now=timezone.now(), query=query)
    context = {
        "filters": filters,
        "page": page,
        "rows": rows.html(page),
        "query": query,
        "version": version.token,
        "quick_filters": _quick_filters(filters),
        "is_default": not request.GET,
        "is_filtered": _filter_key(filters) != _filter_key(QueueFilters()),
    }
    if request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request:
        response = render(request, "desk/queue.html#queue-table", context)
    else:
        # The filter bar is only part of the full page.
        context |= _filter_bar(filters)
        response = render(request, "desk/queue.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response
