"""Desk pages of the SLA engine: the daily reports, for team leads."""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from agents.access import agent_required
from agents.permissions import is_team_lead
from sla.models import DailySlaReport


def _lead_only(request) -> None:
    if not is_team_lead(request.user):
        raise PermissionDenied("SLA reports are for team leads and managers.")


@require_GET
@agent_required
def reports(request):
    _lead_only(request)
    page = Paginator(
        DailySlaReport.objects.select_related("team").order_by("-date", "team__name"), 30
    ).get_page(request.GET.get("page"))
    return render(request, "sla/reports.html", {"page": page})


@require_GET
@agent_required
def report(request, pk: int):
    _lead_only(request)
    daily = get_object_or_404(DailySlaReport.objects.select_related("team"), pk=pk)
    return render(request, "sla/report.html", {"report": daily, "data": daily.data})
