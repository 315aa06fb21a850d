"""Routing: which team and which agent a ticket goes to.

On creation (an after-hook on "create") a ticket without a team goes to the team whose
categories include its category (seed 001 `selectTeam`), then to an agent picked by the team's
assignment strategy:

- skill_scored (seed 001 `calculateAgentScore`): +30 the category is one of the agent's skills,
  +20 the agent handled this customer before, −5 per open ticket, +10 × expertise, +15 the
  agent speaks the customer's language, +10 inside the agent's working hours. The best positive
  score wins; ties go to the agent with fewer open tickets, then the older profile.
- round_robin: the next agent after the team's last one, in profile order. The team row is
  locked while the turn is taken, so concurrent tickets never take the same turn.
- least_busy (seed 003): fewest open tickets, ties by profile id.
- manual: nobody is picked; agents claim from the queue.

Away, offline, inactive and at-capacity agents are never picked. When nobody fits the ticket
waits in its team, unassigned; `team_assign_waiting` hands waiting tickets out, oldest deadline
first, when an agent becomes available or frees capacity (`agents.tasks`).

Every write goes through `tickets.services` (`ticket_change_team`, `ticket_assign`), which
writes the audit events; the assignment event carries the strategy and, for skill scoring, each
candidate's score breakdown.
"""

import logging
from dataclasses import dataclass, field
from functools import partial

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_q.tasks import async_task

from agents.models import AgentProfile, AssignmentStrategy, Team
from agents.selectors import open_ticket_count
from tickets.models import OPEN_STATUSES, Ticket
from tickets.services import ticket_assign, ticket_change_team

logger = logging.getLogger(__name__)

# The most waiting tickets one run hands out per team; the periodic job picks up the rest.
WAITING_BATCH = 200

SCORE_LABELS = {
    "skill": "skill",
    "customer": "customer before",
    "expertise": "expertise",
    "load": "load",
    "language": "language",
    "hours": "working hours",
}


@dataclass
class Pick:
    """The chosen agent (None: nobody fits, the ticket waits) and why, for the event."""

    agent: AgentProfile | None
    details: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Reads
# ---------------------------------------------------------------------------------------------


def team_for_category(category) -> Team | None:
    """The team handling `category` (the first by name when several do), or None."""
    if category is None:
        return None
    return Team.objects.filter(categories=category).order_by("name", "pk").first()


def eligible_agents(team: Team) -> list[AgentProfile]:
    """The team's agents who can take a ticket now: available, active and under capacity,
    each annotated with `open_count`, in profile order."""
    return list(
        team.members.filter(status=AgentProfile.Status.AVAILABLE, user__is_active=True)
        .annotate(open_count=open_ticket_count())
        .filter(open_count__lt=F("capacity"))
        .select_related("user")
        .order_by("pk")
    )


# ---------------------------------------------------------------------------------------------
# Strategies: (team, ticket, candidates) -> Pick
# ---------------------------------------------------------------------------------------------


def score_breakdown(agent: AgentProfile, ticket: Ticket, *, skilled, served, now) -> dict:
    """One candidate's points by reason (seed 001). `skilled`: profile ids with the ticket's
    category as a skill; `served`: user ids that had a ticket of this customer before."""
    points = {}
    if agent.pk in skilled:
        points["skill"] = 30
    if agent.user_id in served:
        points["customer"] = 20
    points["expertise"] = 10 * agent.expertise
    if agent.open_count:
        points["load"] = -5 * agent.open_count
    language = (ticket.customer.language or "").lower()
    if language and language in [code.lower() for code in agent.languages or []]:
        points["language"] = 15
    if agent.in_working_hours(now):
        points["hours"] = 10
    return points


def pick_skill_scored(team: Team, ticket: Ticket, candidates: list[AgentProfile]) -> Pick:
    if not candidates:
        return Pick(None, {"strategy": AssignmentStrategy.SKILL_SCORED, "candidates": []})
    ids = [agent.pk for agent in candidates]
    skilled = set()
    if ticket.category_id is not None:
        skilled = set(
            AgentProfile.skills.through.objects.filter(
                category_id=ticket.category_id, agentprofile_id__in=ids
            ).values_list("agentprofile_id", flat=True)
        )
    served = set(
        Ticket.objects.filter(
            customer_id=ticket.customer_id, assignee_id__in=[a.user_id for a in candidates]
        )
        .exclude(pk=ticket.pk)
        .values_list("assignee_id", flat=True)
    )
    now = timezone.now()
    scored = []
    for agent in candidates:
        points = score_breakdown(agent, ticket, skilled=skilled, served=served, now=now)
        scored.append((sum(points.values()), agent, points))
    scored.sort(key=lambda row: (-row[0], row[1].open_count, row[1].pk))
    details = {
        "strategy": AssignmentStrategy.SKILL_SCORED,
        "candidates": [
            {"agent_id": agent.user_id, "name": agent.display_name, "score": score, "points": pts}
            for score, agent, pts in scored
        ],
    }
    best_score, best, points = scored[0]
    if best_score <= 0:
        return Pick(None, details)
    details.update(score=best_score, points=points)
    return Pick(best, details)


def pick_round_robin(team: Team, ticket: Ticket, candidates: list[AgentProfile]) -> Pick:
    """The first candidate after the team's last assigned agent, wrapping around. The caller
    holds the team row lock and stores the new turn."""
    if not candidates:
        return Pick(None, {"strategy": AssignmentStrategy.ROUND_ROBIN})
    last = team.last_assigned_agent_id or 0
    agent = next((a for a in candidates if a.pk > last), candidates[0])
    return Pick(agent, {"strategy": AssignmentStrategy.ROUND_ROBIN})


def pick_least_busy(team: Team, ticket: Ticket, candidates: list[AgentProfile]) -> Pick:
    if not candidates:
        return Pick(None, {"strategy": AssignmentStrategy.LEAST_BUSY})
    agent = min(candidates, key=lambda a: (a.open_count, a.pk))
    return Pick(agent, {"strategy": AssignmentStrategy.LEAST_BUSY, "open": agent.open_count})


STRATEGIES = {
    AssignmentStrategy.SKILL_SCORED: pick_skill_scored,
    AssignmentStrategy.ROUND_ROBIN: pick_round_robin,
    AssignmentStrategy.LEAST_BUSY: pick_least_busy,
}


# ---------------------------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------------------------


def _is_waiting(ticket: Ticket, team_id: int) -> bool:
    return (
        ticket.assignee_id is None and ticket.status in OPEN_STATUSES and ticket.team_id == team_id
    )


def _assign_in_team(team_id: int, ticket_id: int) -> Ticket | None:
    """Inside a transaction: lock the team (its turn and its agents' load), then the ticket,
    and give the ticket to the strategy's pick. Returns the ticket when it was assigned."""
    team = Team.objects.select_for_update().get(pk=team_id)
    strategy = STRATEGIES.get(team.assignment_strategy)
    if strategy is None:
        return None
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("customer")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None or not _is_waiting(ticket, team.pk):
        return None
    pick = strategy(team, ticket, eligible_agents(team))
    if pick.agent is None:
        return None
    ticket = ticket_assign(
        ticket=ticket,
        assignee=pick.agent.user,
        actor=None,
        via=team.assignment_strategy,
        details=pick.details,
    )
    if team.assignment_strategy == AssignmentStrategy.ROUND_ROBIN:
        team.last_assigned_agent = pick.agent
        team.save(update_fields=["last_assigned_agent"])
    return ticket


@transaction.atomic
def ticket_route(*, ticket: Ticket | int) -> Ticket | None:
    """Route a new ticket: to the team of its category when it has no team, then to an agent
    by the team's strategy. A ticket already assigned, closed or without a matching team is
    left alone, so running it twice changes nothing.

    Writes `team_changed` and `assigned` events through `tickets.services`; when nobody fits
    the ticket waits in its team. Locks the team row before the ticket (the same order as
    `team_assign_waiting`)."""
    pk = ticket.pk if isinstance(ticket, Ticket) else ticket
    current = Ticket.objects.select_related("category").filter(pk=pk).first()
    if current is None or current.assignee_id is not None:
        return current
    if current.status not in OPEN_STATUSES:
        return current
    team = current.team or team_for_category(current.category)
    if team is None:
        return current
    Team.objects.select_for_update().get(pk=team.pk)
    if current.team_id is None:
        current = ticket_change_team(ticket=current, team=team, actor=None)
    return _assign_in_team(team.pk, current.pk) or current


def waiting_tickets(team: Team):
    """The team's unassigned open tickets, the nearest SLA deadline first (none last), then
    the oldest."""
    return (
        Ticket.objects.filter(team=team, assignee__isnull=True, status__in=OPEN_STATUSES)
        .order_by(F("sla_due_at").asc(nulls_last=True), "created_at", "pk")
        .values_list("pk", flat=True)
    )


def team_assign_waiting(*, team: Team) -> int:
    """Hand the team's waiting tickets to its agents, the oldest deadline first, while anyone
    has room. Each ticket is its own transaction (team row, then ticket, locked); a ticket
    taken meanwhile is skipped, so running this twice gives the same result. Returns how many
    tickets were assigned."""
    if team.assignment_strategy not in STRATEGIES:
        return 0
    assigned = 0
    for ticket_id in list(waiting_tickets(team)[:WAITING_BATCH]):
        with transaction.atomic():
            if _assign_in_team(team.pk, ticket_id) is not None:
                assigned += 1
                continue
        if not eligible_agents(team):
            break
    return assigned


# ---------------------------------------------------------------------------------------------
# Lifecycle after-hooks (registered in AgentsConfig.ready())
# ---------------------------------------------------------------------------------------------


def on_ticket_created(ctx) -> None:
    """Deferred after-hook on "create": route the new ticket. It runs in the ticket's
    follow-up task, already in the background, so it routes there and then rather than
    queueing a task of its own (one queued task fewer per ticket)."""
    ticket_route(ticket=ctx.ticket.pk)


def on_category_changed(ctx) -> None:
    """After a category change (an agent, or the AI classification answering after the
    ticket was filed): a ticket still without team and assignee is routed now, so it reaches
    the category's team whichever of the routing and classification tasks ran first."""
    ticket = ctx.ticket
    if ticket.team_id is None and ticket.assignee_id is None and ticket.status in OPEN_STATUSES:
        async_task("agents.tasks.route_ticket", ticket.pk)


def on_capacity_freed(ctx) -> None:
    """After an assignment or status change: when an agent lost a ticket (reassigned away, or
    resolved/closed), queue handing their teams' waiting tickets out."""
    user_id = None
    if ctx.verb == "assign":
        data = ctx.events[0].data if ctx.events else {}
        user_id = data.get("from_id")
    elif ctx.verb == "transition" and ctx.ticket.status not in OPEN_STATUSES:
        user_id = ctx.ticket.assignee_id
    if user_id is not None:
        async_task("agents.tasks.assign_waiting_tickets", user_id)


def queue_assign_waiting(user_id: int) -> None:
    """On commit, queue handing out waiting tickets for this agent's teams."""
    transaction.on_commit(partial(async_task, "agents.tasks.assign_waiting_tickets", user_id))


# ---------------------------------------------------------------------------------------------
# The timeline's explanation
# ---------------------------------------------------------------------------------------------


def _signed(value: int) -> str:
    return f"+{value}" if value >= 0 else f"−{-value}"


def explain_assignment(data: dict) -> str:
    """Why routing picked the assignee, in words, from the `assigned` event's data:
    "Assigned by skill score: 75 (skill +30, expertise +40, load −10, …)"."""
    strategy = data.get("strategy") or data.get("via")
    if strategy == AssignmentStrategy.SKILL_SCORED:
        points = data.get("points") or {}
        # In the seed's order: stored JSON (jsonb) does not keep the keys' order.
        parts = ", ".join(
            f"{label} {_signed(points[key])}"
            for key, label in SCORE_LABELS.items()
            if key in points
        )
        text = f"Assigned by skill score: {data.get('score', 0)} ({parts})"
        others = [
            f"{c.get('name')} {c.get('score')}"
            for c in data.get("candidates", [])
            if c.get("agent_id") != data.get("to_id")
        ]
        if others:
            text += ". Other candidates: " + ", ".join(others)
        return text
    if strategy == AssignmentStrategy.ROUND_ROBIN:
        return "Assigned by round robin: the team's next agent in turn"
    if strategy == AssignmentStrategy.LEAST_BUSY:
        count = data.get("open", 0)
        return f"Assigned by least busy: {count} open ticket{'' if count == 1 else 's'}"
    return ""
