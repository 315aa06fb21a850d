from agents.permissions import is_agent, is_team_lead


def navigation(request):
    """What the top bar needs: whether the visitor is an agent, and a team lead."""
    user = getattr(request, "user", None)
    return {
        "user_is_agent": bool(user and is_agent(user)),
        "user_is_lead": bool(user and is_team_lead(user)),
    }
