"""The desk's organization page: an account's health (seed 003 "health_check"), its customers
and its latest tickets. Agents only; linked from the customer card on the ticket page."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from agents.access import HtmxHttpRequest, agent_required
from tickets.organization_health import HEALTH_WINDOW, organization_overview


@agent_required
@require_GET
def organization_detail(request: HtmxHttpRequest, organization_id: int) -> HttpResponse:
    overview = organization_overview(organization_id=organization_id)
    if overview is None:
        raise Http404("No such organization.")
    return render(
        request,
        "desk/organization.html",
        {"overview": overview, "org": overview.organization, "window_days": HEALTH_WINDOW.days},
    )
