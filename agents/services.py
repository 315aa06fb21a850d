"""Writes for agents: their own status. Ticket changes go through `tickets.services`."""

from django.core.exceptions import ValidationError
from django.db import transaction

from agents.models import AgentProfile
from agents.routing import queue_assign_waiting
from common.exceptions import ApplicationError


@transaction.atomic
def agent_set_status(*, agent: AgentProfile, status: str, actor=None) -> AgentProfile:
    """Set an agent's status (available, away, offline). Only the agent themselves (or the
    system, `actor=None`) may change it.

    Routing skips away and offline agents. Becoming available queues handing out the waiting
    tickets of the agent's teams (on commit). Setting the current status is a no-op.
    """
    if status not in AgentProfile.Status.values:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    if actor is not None and actor.pk != agent.user_id:
        raise ApplicationError("Agents set only their own status.", code="not_own_status")
    profile = AgentProfile.objects.select_for_update().get(pk=agent.pk)
    if profile.status == status:
        return profile
    profile.status = status
    profile.save(update_fields=["status"])
    if status == AgentProfile.Status.AVAILABLE:
        queue_assign_waiting(profile.user_id)
    return profile
