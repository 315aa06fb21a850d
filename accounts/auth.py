"""The signed-in user, read with their agent profile in one query.

Every desk request asks whether the user is an agent (`agents.permissions.is_agent`), which
read the profile in a query of its own after Django's session middleware had read the user:
one query more on every page and every 10-second live-queue poll of every agent.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class UserWithProfileBackend(ModelBackend):
    """Django's username-and-password backend; the user of a session comes with its agent
    profile joined (a customer's is cached as missing, so asking costs nothing either)."""

    def get_user(self, user_id):
        users = get_user_model()._default_manager.select_related("agent_profile")
        try:
            user = users.get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
