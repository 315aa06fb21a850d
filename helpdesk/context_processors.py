from agents.permissions import is_agent


def navigation(request):
    """What the top bar needs: whether the visitor is an agent."""
    user = getattr(request, "user", None)
    return {"user_is_agent": bool(user and is_agent(user))}
