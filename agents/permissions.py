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
    return display_name_of(
        profile.display_name if profile is not None else None,
        full_name=user.get_full_name(),
        username=user.get_username(),
    )


def display_name_of(profile_name: str | None, *, full_name: str, username: str) -> str:
    """The name a user goes by in the desk, from its parts (for reads of plain values): the
    agent profile's display name (None without a profile), else the full name, else the
    username."""
    if profile_name is not None:
        return profile_name
    return full_name or username
