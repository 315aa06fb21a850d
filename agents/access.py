"""Who reaches the agent pages (the desk, SLA, analytics, notifications, API tokens): the
HTMX-aware request type and the `agent_required` decorator."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from agents.permissions import is_agent


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def agent_required(view: Callable) -> Callable:
    """Only agents reach the desk: visitors go to the login page, everyone else gets a 403."""

    @wraps(view)
    def wrapper(request: HtmxHttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            if request.htmx:
                # A redirect would be followed inside the XHR and the login page swapped into
                # a region; send the whole browser there instead.
                back = request.htmx.current_url_abs_path or reverse("desk:queue")
                return HttpResponseClientRedirect(redirect_to_login(back).url)
            return redirect_to_login(request.get_full_path())
        if not is_agent(request.user):
            raise PermissionDenied("The desk is for agents.")
        return view(request, *args, **kwargs)

    return wrapper
