"""Who is on a ticket right now: the desk's collision detection.

The ticket page sends a heartbeat every few seconds (`presence_touch`) saying whether the
agent is only viewing or writing a reply; `presence_for_ticket` lists the other agents seen
within the last `PRESENCE_WINDOW`. Nothing ever has to clean up after a closed tab: a row
that stops being refreshed simply falls out of the window. Presence is ephemeral, so it
writes no audit event.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from agents.models import TicketPresence
from agents.permissions import agent_display_name

# The page beats every 10 s; three missed beats and the agent counts as gone.
PRESENCE_WINDOW = timedelta(seconds=30)


@dataclass(frozen=True)
class PresenceRow:
    user_id: int
    name: str
    state: str

    @property
    def is_replying(self) -> bool:
        return self.state == TicketPresence.State.REPLYING


def presence_touch(*, ticket, user, state: str) -> None:
    """Record that `user` has `ticket` open in `state` now (one row per agent and ticket).

    One upsert statement on the (ticket, user) constraint, so a beat every few seconds from
    every open ticket page stays cheap and two tabs racing cannot create a second row; being
    a single statement it needs no transaction. An unknown state counts as viewing. No event,
    no side effects: presence is not history.
    """
    if state not in TicketPresence.State.values:
        state = TicketPresence.State.VIEWING
    TicketPresence.objects.bulk_create(
        [TicketPresence(ticket=ticket, user=user, state=state, last_seen=timezone.now())],
        update_conflicts=True,
        unique_fields=["ticket", "user"],
        update_fields=["state", "last_seen"],
    )


def presence_leave(*, ticket, user) -> None:
    """The agent closed or left the ticket page: stop showing them at once (one delete)."""
    TicketPresence.objects.filter(ticket=ticket, user=user).delete()


def presence_for_ticket(*, ticket, exclude_user=None) -> list[PresenceRow]:
    """The agents seen on `ticket` within the window, replying ones first: one query."""
    cutoff = timezone.now() - PRESENCE_WINDOW
    rows = (
        TicketPresence.objects.filter(ticket=ticket, last_seen__gte=cutoff)
        .select_related("user", "user__agent_profile")
        .order_by("state", "user_id")  # "replying" sorts before "viewing"
    )
    if exclude_user is not None:
        rows = rows.exclude(user=exclude_user)
    return [PresenceRow(row.user_id, agent_display_name(row.user), row.state) for row in rows]
