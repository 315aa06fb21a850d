"""Who is an agent. Every desk view and agent API endpoint asks here."""


def is_agent(user) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return hasattr(user, "agent_profile")


def is_team_lead(user) -> bool:
    if not is_agent(user):
        return False
    if user.is_superuser:
        return True
    return user.agent_profile.is_lead


def agent_display_name(user) -> str:
    if user is None:
        return "System"
    profile = getattr(user, "agent_profile", None)
    if profile is not None:
        return profile.display_name
    return user.get_full_name() or user.get_username()
