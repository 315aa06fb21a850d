"""The demo's tickets (`manage.py seed_demo`): a plan of statuses, categories, tiers and
channels drawn from weights, built through the ticket services so every message and event
exists as the desk would have written it.
"""

import bisect
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from agents.models import Team
from sla.services import sla_replay, sla_sweep
from tickets.management.commands import _demo_content as content
from tickets.models import Category, Channel, Customer, Priority, Status, Ticket
from tickets.services import (
    ticket_add_note,
    ticket_assign,
    ticket_change_team,
    ticket_claim,
    ticket_close,
    ticket_create,
    ticket_customer_reply,
    ticket_escalate,
    ticket_reply,
    ticket_resolve,
    ticket_set_tags,
    ticket_transition,
)

HISTORY_DAYS = 60


# The first tickets walk through every status (and belong to the demo customer), so even a
# small `--tickets` has all of them; the rest follow these weights.
STATUS_WEIGHTS = {
    Status.OPEN: 14,
    Status.IN_PROGRESS: 18,
    Status.WAITING_CUSTOMER: 10,
    Status.WAITING_INTERNAL: 6,
    Status.RESOLVED: 17,
    Status.CLOSED: 35,
}
# How old a ticket in each status may be, in days: recent ones are still open.
# Open work is recent, as in a team that keeps up: most of it inside its SLA targets.
MAX_AGE_DAYS = {
    Status.OPEN: 0.5,
    Status.IN_PROGRESS: 4,
    Status.WAITING_CUSTOMER: 15,
    Status.WAITING_INTERNAL: 4,
    Status.RESOLVED: 25,
    Status.CLOSED: HISTORY_DAYS,
}
CATEGORY_WEIGHTS = {
    "billing": 24,
    "bug": 25,
    "feature_help": 17,
    "onboarding": 14,
    "security": 6,
    "data_loss": 5,
    None: 9,
}
TIER_WEIGHTS = {"enterprise": 3, "scale": 2.5, "professional": 2, "starter": 1.5, "free": 1, "": 1}
CHANNEL_WEIGHTS = {Channel.WEB: 55, Channel.EMAIL: 30, Channel.CHAT: 10, Channel.API: 5}
PRIORITY_WEIGHTS = {
    "usual": {Priority.LOW: 25, Priority.MEDIUM: 45, Priority.HIGH: 22, Priority.CRITICAL: 8},
    "urgent": {Priority.LOW: 5, Priority.MEDIUM: 25, Priority.HIGH: 40, Priority.CRITICAL: 30},
}
# Minutes until the first agent reply, by priority (roughly inside the default SLA).
FIRST_RESPONSE_MINUTES = {
    Priority.CRITICAL: (8, 45),
    Priority.HIGH: (30, 200),
    Priority.MEDIUM: (60, 900),
    Priority.LOW: (120, 1800),
}
TICKET_TIMESTAMPS = ["created_at", "updated_at", "first_response_at", "resolved_at", "closed_at"]


def weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class DemoClock:
    """Maps the real time at which a service stamped a row to the demo time of that step.

    Before each service call the seeder records (real now, planned demo time). Every timestamp
    written during that call lies between this step's real start and the next one, so it maps
    to the planned time plus the few milliseconds it took: conversations keep their order and
    get realistic gaps, whatever rows the services (and their hooks) wrote.
    """

    def __init__(self) -> None:
        self._real: list[datetime] = []
        self._demo: list[datetime] = []

    def step(self, demo_time: datetime) -> None:
        self._real.append(timezone.now())
        self._demo.append(demo_time)

    def demo_time(self, real: datetime | None) -> datetime | None:
        if real is None:
            return None
        index = bisect.bisect_right(self._real, real) - 1
        if index < 0:
            return real
        return self._demo[index] + (real - self._real[index])


@dataclass
class TicketSpec:
    status: str
    customer: Customer
    category: Category | None
    template: tuple[str, str, list[str]]
    priority: str
    channel: str
    team: Team | None
    agent: object
    lead: object
    tags: list[str] = field(default_factory=list)


class TicketSeeding:
    """The seeder's steps that file and work the demo tickets (a part of `Seeder`)."""

    # Tickets ----------------------------------------------------------------------------

    def seed_tickets(self, count: int) -> None:
        self.now = timezone.now()
        statuses = list(STATUS_WEIGHTS)
        for index in range(count):
            status = (
                statuses[index] if index < len(statuses) else weighted(self.rng, STATUS_WEIGHTS)
            )
            self._build(self._spec(index, status))
        self._move_back_in_time()
        self._record_delivered_emails()
        self._rebuild_sla()
        self._record_surveys()
        self.seed_on_call_rota()

    def _rebuild_sla(self) -> None:
        """The demo history's SLA: clocks replayed from the rewritten events, then the
        warnings and breaches of that history recorded without starting escalation ladders
        (nobody is paged about the past)."""
        for ticket_id in Ticket.objects.values_list("pk", flat=True):
            sla_replay(ticket_id=ticket_id)
        sla_sweep(start_ladders=False)

    def _spec(self, index: int, status: str) -> TicketSpec:
        rng = self.rng
        if index < len(STATUS_WEIGHTS) or rng.random() < 0.04:
            customer = self.demo_customer
        else:
            customer = rng.choices(
                self.customers, weights=[TIER_WEIGHTS[c.plan_tier] for c in self.customers]
            )[0]
        category_slug = weighted(rng, CATEGORY_WEIGHTS)
        urgency = "urgent" if category_slug in ("security", "data_loss") else "usual"
        team = self.team_for_category.get(category_slug)
        if team is not None:
            members = self.members[team.slug]
            lead = self.team_leads[team.slug]
        else:
            members = [u for u in self.agents.values() if not u.is_superuser]
            lead = self.agents["admin"]
        # Give the `agent` login a full queue.
        agent = rng.choices(members, weights=[4 if u.username == "agent" else 1 for u in members])[
            0
        ]
        template = rng.choice(content.TICKETS[category_slug])
        return TicketSpec(
            status=status,
            customer=customer,
            category=self.categories.get(category_slug),
            template=template,
            priority=weighted(rng, PRIORITY_WEIGHTS[urgency]),
            channel=weighted(rng, CHANNEL_WEIGHTS),
            team=team,
            agent=agent,
            lead=lead,
            tags=list(template[2]),
        )

    def _plan(self, s: TicketSpec) -> list[tuple[float, Callable[[Ticket], object]]]:
        """The ticket's story: (minutes after the previous step, the service call)."""
        rng = self.rng
        category = s.category.slug if s.category else None
        urgent = s.priority in (Priority.HIGH, Priority.CRITICAL)
        steps: list[tuple[float, Callable[[Ticket], object]]] = []

        def add(minutes_from: float, minutes_to: float, action) -> None:
            steps.append((rng.uniform(minutes_from, minutes_to), action))

        def reply(text_options):
            text = self._text(rng.choice(text_options), s)
            return lambda t: ticket_reply(ticket=t, actor=s.agent, body=text)

        def customer_says(text_options):
            text = self._text(rng.choice(text_options), s)
            return lambda t: ticket_customer_reply(ticket=t, customer=s.customer, body=text)

        def note(text_options):
            text = self._text(rng.choice(text_options), s)
            return lambda t: ticket_add_note(ticket=t, actor=s.agent, body=text)

        def move(status):
            return lambda t: ticket_transition(ticket=t, to_status=status, actor=s.agent)

        def escalate():
            reason = rng.choice(content.ESCALATION_REASONS)
            return lambda t: ticket_escalate(ticket=t, actor=s.agent, reason=reason)

        if s.team is not None:  # routed by category a moment after filing
            add(0.1, 2, lambda t: ticket_change_team(ticket=t, team=s.team, actor=None))

        if s.status == Status.OPEN:
            roll = rng.random()
            if roll < 0.3:
                add(10, 240, lambda t: ticket_assign(ticket=t, assignee=s.agent, actor=s.lead))
            elif roll < 0.55:
                add(60, 600, customer_says(content.CUSTOMER_FOLLOW_UPS))
            if urgent and rng.random() < 0.25:
                add(20, 120, escalate())
            return steps

        low, high = FIRST_RESPONSE_MINUTES[s.priority]
        first_response = rng.uniform(low, high)
        if rng.random() < 0.6:
            steps.append((first_response * 0.4, lambda t: ticket_claim(ticket=t, agent=s.agent)))
        else:
            steps.append(
                (
                    first_response * 0.4,
                    lambda t: ticket_assign(ticket=t, assignee=s.agent, actor=s.lead),
                )
            )
        if rng.random() < 0.3:
            add(1, 15, note(content.NOTES))
        steps.append((first_response * 0.6, reply(content.FIRST_REPLIES[category])))
        if rng.random() < 0.15:
            s.tags = [*s.tags, rng.choice(["vip", "needs-docs", "regression", "follow-up"])]
            tags = list(s.tags)
            add(5, 60, lambda t: ticket_set_tags(ticket=t, tags=tags, actor=s.agent))
        if urgent and rng.random() < 0.2:
            add(30, 240, escalate())

        for _ in range(rng.randint(0, 2)):
            if rng.random() < 0.5:  # the agent needs something from the customer
                add(20, 300, reply(content.INFO_REQUESTS))
                add(0.5, 2, move(Status.WAITING_CUSTOMER))
                add(60, 1440, customer_says(content.CUSTOMER_FOLLOW_UPS))  # back to in progress
            else:
                add(60, 1440, customer_says(content.CUSTOMER_FOLLOW_UPS))
                add(20, 480, reply(content.FOLLOW_UPS))

        if s.status == Status.IN_PROGRESS:
            if rng.random() < 0.4:
                add(10, 240, note(content.NOTES))
        elif s.status == Status.WAITING_CUSTOMER:
            add(20, 300, reply(content.INFO_REQUESTS))
            add(0.5, 2, move(Status.WAITING_CUSTOMER))
        elif s.status == Status.WAITING_INTERNAL:
            add(10, 240, note(content.WAITING_INTERNAL_NOTES))
            add(0.5, 2, move(Status.WAITING_INTERNAL))
        else:
            resolution = content.RESOLUTIONS[category]
            self._add_resolution(add, s, resolution)
            if rng.random() < 0.12:  # fixed, then back again: the customer reopens it
                add(600, 4000, customer_says(content.CUSTOMER_REOPENS))
                add(30, 600, reply(content.FOLLOW_UPS))
                self._add_resolution(add, s, resolution)
            if s.status == Status.CLOSED:
                reason = rng.choice(content.CLOSE_REASONS)
                add(1440, 7200, lambda t: ticket_close(ticket=t, actor=None, reason=reason))
        return steps

    def _add_resolution(self, add, s: TicketSpec, resolution: str) -> None:
        text = self._text(self.rng.choice(content.FINAL_REPLIES), s, resolution=resolution)
        add(60, 2880, lambda t: ticket_reply(ticket=t, actor=s.agent, body=text))
        add(1, 30, lambda t: ticket_resolve(ticket=t, actor=s.agent, resolution=resolution))

    def _text(self, template: str, s: TicketSpec, **extra) -> str:
        organization = s.customer.organization
        return template.format(
            first=s.customer.name.split(" ")[0],
            agent=s.agent.first_name or s.agent.username,
            org=organization.name if organization else "your team",
            **extra,
        )

    def _build(self, s: TicketSpec) -> None:
        steps = self._plan(s)
        story = timedelta(minutes=sum(minutes for minutes, _ in steps))
        # Place the story in the past: it ends at least 10 minutes ago, starts within
        # the status's age window and never before the 60 days of history.
        latest_start = self.now - story - timedelta(minutes=10)
        earliest_start = max(
            self.now - timedelta(days=MAX_AGE_DAYS[s.status]),
            self.now - timedelta(days=HISTORY_DAYS),
        )
        earliest_start = min(earliest_start, latest_start)
        at = earliest_start + (latest_start - earliest_start) * self.rng.random()

        subject, body, _ = s.template
        self.clock.step(at)
        ticket = ticket_create(
            customer=s.customer,
            subject=self._text(subject, s),
            body=self._text(body, s),
            category=s.category,
            type=self.category_types.get(s.category.slug) if s.category else "question",
            priority=s.priority,
            channel=s.channel,
            tags=s.template[2],
            classify=False,
        )
        for minutes, action in steps:
            at += timedelta(minutes=minutes)
            self.clock.step(at)
            action(ticket)
