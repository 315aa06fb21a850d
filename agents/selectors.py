"""Reads for agents: who is on call, and an agent's desk notifications."""

from datetime import datetime

from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from agents.models import AgentProfile, OnCallShift, Team
from tickets.models import OPEN_STATUSES, PRIORITY_ALIASES, Notification, Ticket


def on_call_agent(*, priority: str, at: datetime, team: Team | None = None):
    """The user on call at `at` for a ticket of `priority` (seed 000 `findOnCallAgent`), or
    None when nobody is.

    A shift counts when it covers the moment (`starts_at <= at < ends_at`) and the priority,
    and its agent is active and not offline. The team's own shift comes first, then a shift
    for every team (no team), then another team's; among equals the earliest-starting shift
    wins (then the oldest shift), so the answer is deterministic.

    Priorities are stored as a JSON list, which SQLite cannot search: the few shifts covering
    a moment are fetched and checked here.
    """
    priority = str(PRIORITY_ALIASES.get(priority, priority))
    shifts = (
        OnCallShift.objects.filter(starts_at__lte=at, ends_at__gt=at, agent__user__is_active=True)
        .exclude(agent__status=AgentProfile.Status.OFFLINE)
        .select_related("agent__user")
        .order_by("starts_at", "pk")
    )
    team_id = team.pk if team is not None else None
    covering = [shift for shift in shifts if shift.covers(priority)]
    if not covering:
        return None

    def preference(shift: OnCallShift) -> int:
        if team_id is not None and shift.team_id == team_id:
            return 0
        return 1 if shift.team_id is None else 2

    best = min(covering, key=preference)  # min keeps the first (earliest) of equals
    return best.agent.user


# ---------------------------------------------------------------------------------------------
# Desk notifications
# ---------------------------------------------------------------------------------------------


def desk_notifications_for_agent(*, agent) -> QuerySet[Notification]:
    """An agent's desk notifications: unread first, then newest first."""
    return (
        Notification.objects.filter(recipient_user=agent, channel=Notification.Channel.DESK)
        .annotate(unread=ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField()))
        .select_related("ticket")
        .order_by("-unread", "-created_at", "-id")
    )


def desk_notification_for_agent(*, agent, notification_id: int) -> Notification:
    """One of the agent's own desk notifications; anyone else's is a 404."""
    notification = Notification.objects.filter(
        pk=notification_id, recipient_user=agent, channel=Notification.Channel.DESK
    ).first()
    if notification is None:
        raise Http404("No such notification.")
    return notification


def unread_desk_notification_count(*, agent) -> int:
    return Notification.objects.filter(
        recipient_user=agent, channel=Notification.Channel.DESK, read_at__isnull=True
    ).count()


def open_ticket_count():
    """An agent profile's open assigned tickets, as an expression to annotate profiles with.

    A correlated count over the partial index of open tickets by assignee: a join of every
    ticket an agent was ever assigned, counted with a filter, read some 10,000 closed tickets
    per agent at a million tickets (a second per routing decision)."""
    open_tickets = (
        Ticket.objects.filter(assignee_id=OuterRef("user_id"), status__in=OPEN_STATUSES)
        .order_by()
        .values("assignee_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(open_tickets, output_field=IntegerField()), 0)
