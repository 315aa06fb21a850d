"""Desk notifications: the bell in the top bar, the list page, and marking them read; and the
agent's own status control next to the bell.

Agents only, like the rest of the desk (`agent_required`). An agent sees and changes only
their own notifications (anyone else's is a 404) and only their own status.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from agents.access import HtmxHttpRequest, agent_required
from agents.forms import AgentStatusForm
from agents.selectors import (
    desk_notification_for_agent,
    desk_notifications_for_agent,
    unread_desk_notification_count,
)
from agents.services import agent_set_status
from tickets.notifications import notification_mark_read, notifications_mark_all_read

CHANGED_EVENT = "notifications-changed"
STATUS_CHANGED_EVENT = "agent-status-changed"


def _list_context(request: HtmxHttpRequest, page_number) -> dict:
    notifications = desk_notifications_for_agent(agent=request.user)
    page = Paginator(notifications, settings.DESK_PAGE_SIZE).get_page(page_number)
    return {
        "page": page,
        # Shared with the bell in the top bar, so the page counts unread ones once.
        "desk_unread": unread_desk_notification_count(agent=request.user),
    }


@agent_required
@require_GET
def bell(request: HtmxHttpRequest) -> HttpResponse:
    """The bell alone: it polls this every 30 seconds and swaps itself."""
    response = render(request, "agents/_bell.html")
    add_never_cache_headers(response)
    return response


@agent_required
@require_GET
def notification_list(request: HtmxHttpRequest) -> HttpResponse:
    """The agent's desk notifications, unread first. An HTMX request gets the list region."""
    context = _list_context(request, request.GET.get("page"))
    if request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request:
        response = render(request, "agents/notifications.html#notification-list", context)
    else:
        response = render(request, "agents/notifications.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _after_change(request: HtmxHttpRequest) -> HttpResponse:
    """HTMX: the re-rendered list, and an event so the bell updates. Without JavaScript:
    back to where the agent was."""
    page_number = request.POST.get("page")
    if request.htmx:
        context = _list_context(request, page_number)
        response = render(request, "agents/notifications.html#notification-list", context)
        return trigger_client_event(response, CHANGED_EVENT)
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(back)
    url = reverse("notifications:list")
    return redirect(f"{url}?page={page_number}" if page_number else url)


@agent_required
@require_POST
def notification_read(request: HtmxHttpRequest, notification_id: int) -> HttpResponse:
    notification = desk_notification_for_agent(agent=request.user, notification_id=notification_id)
    notification_mark_read(notification=notification)
    return _after_change(request)


@agent_required
@require_POST
def notifications_read_all(request: HtmxHttpRequest) -> HttpResponse:
    notifications_mark_all_read(user=request.user)
    return _after_change(request)


@agent_required
@require_POST
def agent_status(request: HtmxHttpRequest) -> HttpResponse:
    """Set the requesting agent's own status (available, away, offline). There is no agent
    parameter: nobody sets someone else's status here. HTMX gets the control back."""
    profile = getattr(request.user, "agent_profile", None)
    if profile is None:
        raise PermissionDenied("Only agents with a profile have a status.")
    form = AgentStatusForm(request.POST)
    if not form.is_valid():
        return render(request, "agents/_status.html", {"status_error": True}, status=400)
    changed = agent_set_status(
        agent=profile, status=form.cleaned_data["agent_status"], actor=request.user
    )
    profile.status = changed.status  # the control renders from the request's profile
    back = request.POST.get("next", "")
    if request.htmx:
        response = render(request, "agents/_status.html", {"next": back})
        return trigger_client_event(response, STATUS_CHANGED_EVENT)
    if url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(back)
    return redirect("desk:queue")
