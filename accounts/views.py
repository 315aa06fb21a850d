from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from agents.permissions import is_agent


@require_GET
def home(request):
    """Agents land on their queue, everyone else on the portal."""
    if is_agent(request.user):
        return redirect("desk:queue")
    return redirect("portal:home")
