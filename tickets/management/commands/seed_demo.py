"""`manage.py seed_demo`: the demo helpdesk that `make run` starts with.

Creates the demo logins (product.md), two teams with their agents, the categories with
seed 001's reference prefixes, organizations and customers of every plan tier, and a few
hundred tickets in every status with their conversations, tags and audit events, spread over
the last 60 days.

Tickets are built with the ticket services, so every message and event exists exactly as the
desk would have written it; their timestamps are then moved back in time in bulk. The same
`--seed` gives the same demo data. Safe to run twice: people, teams and categories are only
added when missing, and tickets only into a database that has none.
"""

import bisect
import random
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from agents import routing
from agents.models import AgentProfile, OnCallShift, Team
from knowledge import autoanswer
from knowledge.defaults import install_default_canned_responses
from knowledge.models import Article, CannedResponse
from knowledge.services import article_create, canned_response_create
from sla import hooks as sla_hooks
from sla.services import sla_replay, sla_sweep
from tickets import hooks, notification_rendering, notifications, surveys
from tickets.automation import engine as rules_engine
from tickets.automation.defaults import DEFAULT_RULE_NAMES, install_default_rules
from tickets.classification import link_default_teams
from tickets.hooks import SLA_VERBS
from tickets.management.commands import _demo_content as content
from tickets.management.commands._demo_articles import ARTICLES
from tickets.models import (
    Category,
    Channel,
    Customer,
    Notification,
    Organization,
    Priority,
    Rule,
    RuleAction,
    RuleCondition,
    SatisfactionSurvey,
    Status,
    Ticket,
    TicketEvent,
    TicketMessage,
)
from tickets.services import (
    customer_get_or_create,
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

User = get_user_model()

DEMO_PASSWORD = "demo"  # noqa: S105 - the documented demo password, never for production
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


# The demo's own canned responses, next to the defaults the default automation rules send
# (knowledge.defaults): slug, name, category slug (None: any ticket), follow-up status, content.
CANNED_RESPONSES = [
    (
        "need_more_details",
        "Ask for more details",
        None,
        Status.WAITING_CUSTOMER,
        "Hi {customer_name},\n\nTo look into {ticket_id} we need a little more detail: "
        "the steps that lead to the problem, what you expected, and a screenshot if you "
        "can.\n\nThanks,\n{agent_name}",
    ),
    (
        "bug_acknowledged",
        "Bug acknowledged",
        "bug",
        "",
        "Hi {customer_name},\n\nThanks for the report filed on {created_date}. We can "
        "reproduce it and our engineers are on it; we'll update {ticket_id} as soon as a "
        "fix ships.\n\n{agent_name}",
    ),
    (
        "resolved_check_in",
        "Resolved, check-in",
        None,
        Status.RESOLVED,
        "Hi {customer_name},\n\nThis should now be fixed. If anything is still not right, "
        "reply here and {ticket_id} reopens.\n\n{agent_name}",
    ),
]


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


# Demo routing: billing hands tickets to whoever has the fewest open ones, technical support
# scores agents by skill (seed 001). username: (skills, languages, expertise 1-5, time zone).
DEMO_STRATEGIES = {"billing-accounts": "least_busy", "technical-support": "skill_scored"}
DEMO_AGENT_ROUTING = {
    "admin": ([], ["en"], 5, "Europe/London"),
    "agent": (["bug", "feature_help"], ["en"], 2, "Europe/London"),
    "lead": (["bug", "security", "data_loss"], ["en", "es"], 4, "America/New_York"),
    "dana": (["billing"], ["en"], 4, "Europe/London"),
    "sam": (["billing"], ["en", "fr"], 2, "Europe/Paris"),
    "priya": (["security", "data_loss", "bug"], ["en", "hi"], 5, "Asia/Kolkata"),
    "tomas": (["onboarding", "feature_help"], ["es", "en"], 3, "Europe/Madrid"),
    "li": (["billing", "onboarding"], ["zh", "en"], 3, "Asia/Singapore"),
}


@contextmanager
def customer_emails_detached():
    """Demo tickets are history: nobody should be emailed about them now, and thousands of
    queued emails would flood the console (or the outbox in tests) on the first `make run`.

    So the two email after-hooks are detached while seeding, and the seeder then records the
    emails those tickets would have produced as already delivered (`sent_at` set), which keeps
    the admin's notification list realistic and gives the retry job nothing to send.
    """
    detached = [
        ("create", notifications.on_ticket_created),
        ("reply", notifications.on_agent_replied),
        # The SLA clocks follow "now"; the seeder rebuilds them from the rewritten history.
        *((verb, sla_hooks.on_ticket_changed) for verb in SLA_VERBS),
        # Demo tickets are history: automation rules must not act on them as they are filed.
        *((verb, rules_engine.on_ticket_event) for verb in rules_engine.HOOK_VERBS),
        # The seeder assigns demo tickets itself: routing must not hand them out again.
        ("create", routing.on_ticket_created),
        ("assign", routing.on_capacity_freed),
        ("transition", routing.on_capacity_freed),
        # Nor may the auto-answer cascade answer them (the default policy would).
        ("create", autoanswer.answer_new_ticket),
        # Nor survey their customers now: the seeder records answered demo surveys itself.
        ("transition", surveys.on_ticket_resolved),
    ]
    in_transaction = [hooks.unregister(verb, hook) for verb, hook in detached]
    try:
        yield
    finally:
        for (verb, hook), was_in_transaction in zip(detached, in_transaction, strict=True):
            hooks.register_again(verb, hook, in_transaction=was_in_transaction)


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


class Command(BaseCommand):
    help = "Fill the database with demo people, teams and tickets (safe to run twice)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--tickets", type=int, default=300, help="How many tickets (default 300)."
        )
        parser.add_argument(
            "--seed", type=int, default=2026, help="Random seed; the same seed gives the same data."
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing at all when the database already has tickets (used by make run).",
        )

    def handle(self, *args, tickets: int, seed: int, if_empty: bool, **options):
        if tickets < 0:
            raise CommandError("--tickets must be zero or more.")
        if if_empty and Ticket.objects.exists():
            self.stdout.write("The database already has tickets: demo data not added.")
            return
        started = time.monotonic()
        with customer_emails_detached(), transaction.atomic():
            seeder = Seeder(rng=random.Random(seed))
            seeder.seed_people()
            seeder.seed_canned_responses()
            seeder.seed_articles()
            had_tickets = Ticket.objects.exists()
            if had_tickets:
                self.stdout.write("Tickets exist already: only missing people and teams added.")
            else:
                seeder.seed_tickets(tickets)
            # After the tickets, so the demo history is not rewritten by the rules.
            seeder.seed_rules(switch_on_defaults=not had_tickets)
        # The dashboard reads hourly rollups: fill them for the demo history (idempotent).
        from tickets.analytics.rollup import metrics_backfill

        metrics_backfill(days=HISTORY_DAYS + 31)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready in {time.monotonic() - started:.1f} s: "
                f"{Ticket.objects.count()} tickets, {TicketMessage.objects.count()} messages, "
                f"{TicketEvent.objects.count()} events, {Customer.objects.count()} customers. "
                f"Logins: admin, agent, lead, customer@example.com (password {DEMO_PASSWORD!r})."
            )
        )


class Seeder:
    def __init__(self, *, rng: random.Random) -> None:
        self.rng = rng
        self.password = make_password(DEMO_PASSWORD)  # hashed once: hashing is slow on purpose
        self.clock = DemoClock()

    # People, teams, categories ----------------------------------------------------------

    def seed_people(self) -> None:
        self.categories = {}
        for slug, name, prefix, _ in content.CATEGORIES:
            category, _ = Category.objects.get_or_create(
                slug=slug, defaults={"name": name, "prefix": prefix}
            )
            self.categories[slug] = category
        self.category_types = {slug: ticket_type for slug, _, _, ticket_type in content.CATEGORIES}

        self.teams = {}
        for slug, name, category_slugs in content.TEAMS:
            team, _ = Team.objects.get_or_create(slug=slug, defaults={"name": name})
            team.categories.add(*[self.categories[s] for s in category_slugs])
            self.teams[slug] = team
        # The default categories the demo has no tickets for (form builder, import and
        # export, performance) get their default team too.
        link_default_teams(Category, Team)
        self.team_for_category = {
            category_slug: self.teams[team_slug]
            for team_slug, _, category_slugs in content.TEAMS
            for category_slug in category_slugs
        }

        self.agents = {}
        self.members: dict[str, list] = {slug: [] for slug in self.teams}
        for username, first, last, seniority, team_slugs, leads in content.AGENTS:
            superuser = username == "admin"
            user = self._user(
                username,
                email=f"{username}@example.com",
                first_name=first,
                last_name=last,
                is_staff=superuser,
                is_superuser=superuser,
            )
            profile, _ = AgentProfile.objects.get_or_create(
                user=user, defaults={"display_name": f"{first} {last}", "seniority": seniority}
            )
            profile.teams.add(*[self.teams[s] for s in team_slugs])
            if leads and self.teams[leads].lead_id is None:
                self.teams[leads].lead = user
                self.teams[leads].save(update_fields=["lead"])
            self.agents[username] = user
            if not superuser:
                for slug in team_slugs:
                    self.members[slug].append(user)
        self.team_leads = {
            slug: team.lead or self.agents["admin"] for slug, team in self.teams.items()
        }
        self.seed_routing()

        self.customers: list[Customer] = []
        created: list[int] = []
        for org_name, domain, tier, names in content.ORGANIZATIONS:
            organization, _ = Organization.objects.get_or_create(
                name=org_name, defaults={"domain": domain, "plan_tier": tier}
            )
            for name in names:
                email = f"{slugify(name).replace('-', '.')}@{domain}"
                self.customers.append(self._customer(email, name, tier, organization, created))
        for name, tier in content.INDIVIDUALS:
            email = f"{slugify(name).replace('-', '.')}@example.net"
            self.customers.append(self._customer(email, name, tier, None, created))

        email, name = content.DEMO_CUSTOMER
        example_co = Organization.objects.get(name="Example Co")
        self.demo_customer = self._customer(email, name, "professional", example_co, created)
        if self.demo_customer.user_id is None:
            first, last = name.split(" ", 1)
            self.demo_customer.user = self._user(
                email, email=email, first_name=first, last_name=last
            )
            self.demo_customer.save(update_fields=["user"])
        self.customers.append(self.demo_customer)

        # Customers signed up before their first demo ticket.
        Customer.objects.filter(pk__in=created).update(
            created_at=timezone.now() - timedelta(days=HISTORY_DAYS + 30)
        )

    def seed_routing(self) -> None:
        """Demo routing (seed 001): each team's strategy and each agent's skills, languages,
        expertise and time zone. Setting them again gives the same values."""
        for slug, strategy in DEMO_STRATEGIES.items():
            Team.objects.filter(slug=slug).update(assignment_strategy=strategy)
        for username, (skills, languages, expertise, tz) in DEMO_AGENT_ROUTING.items():
            profile = AgentProfile.objects.get(user=self.agents[username])
            profile.languages, profile.expertise, profile.timezone = languages, expertise, tz
            profile.save(update_fields=["languages", "expertise", "timezone"])
            profile.skills.set([self.categories[slug] for slug in skills])

    def seed_canned_responses(self) -> None:
        """The default canned responses (`refund_policy` and `onboarding_welcome`, which the
        default automation rules send) and the demo's own. Only the missing ones are added."""
        install_default_canned_responses(CannedResponse, Category)
        existing = set(CannedResponse.objects.values_list("slug", flat=True))
        for slug, name, category_slug, follow_up, text in CANNED_RESPONSES:
            if slug not in existing:
                canned_response_create(
                    slug=slug,
                    name=name,
                    category=self.categories[category_slug] if category_slug else None,
                    follow_up_status=follow_up,
                    content=text,
                )

    def seed_articles(self) -> None:
        """The demo help center: published articles in every category. Only the missing ones
        (by slug) are added, through the article services."""
        existing = set(Article.objects.values_list("slug", flat=True))
        for slug, category_slug, title, summary, tags, body in ARTICLES:
            if slug not in existing:
                article_create(
                    slug=slug,
                    title=title,
                    summary=summary,
                    body=body,
                    tags=tags,
                    category=self.categories[category_slug],
                    published=True,
                )

    def _user(self, username: str, **fields):
        user, _ = User.objects.get_or_create(
            username=username, defaults={**fields, "password": self.password}
        )
        return user

    def _customer(self, email, name, tier, organization, created: list[int]) -> Customer:
        existed = Customer.objects.filter(email__iexact=email).exists()
        customer = customer_get_or_create(email=email, name=name)
        if not existed:
            customer.plan_tier = tier
            customer.organization = organization
            customer.save(update_fields=["plan_tier", "organization"])
            created.append(customer.pk)
        return customer

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

    def _move_back_in_time(self) -> None:
        """Rewrite the timestamps the services stamped as "now" to the planned demo times.
        Only ever runs on a database whose tickets are all demo tickets."""
        to_demo = self.clock.demo_time
        tickets = list(Ticket.objects.only("pk", *TICKET_TIMESTAMPS))
        for ticket in tickets:
            for name in TICKET_TIMESTAMPS:
                setattr(ticket, name, to_demo(getattr(ticket, name)))
        Ticket.objects.bulk_update(tickets, TICKET_TIMESTAMPS, batch_size=500)
        for model in (TicketMessage, TicketEvent):
            rows = list(model.objects.only("pk", "created_at"))
            for row in rows:
                row.created_at = to_demo(row.created_at)
            model.objects.bulk_update(rows, ["created_at"], batch_size=500)

    def _record_delivered_emails(self) -> None:
        """The emails the demo tickets would have sent (see `customer_emails_detached`),
        rendered and keyed exactly as `notifications.notify` would have."""
        rows = []

        def record(kind: str, ticket: Ticket, message: TicketMessage | None, sent_at) -> None:
            customer = ticket.customer
            link = notifications.ticket_link(ticket)
            context = {"ticket": ticket, "message": message, "customer": customer, "link": link}
            rendered = notification_rendering.render_notification(
                kind, context, ticket=ticket, email=True
            )
            parts = [ticket] if message is None else [ticket, message]
            rows.append(
                Notification(
                    kind=kind,
                    channel=Notification.Channel.EMAIL,
                    recipient_email=customer.email,
                    ticket=ticket,
                    message=message,
                    subject=rendered.subject,
                    body_text=rendered.text,
                    body_html=rendered.html,
                    link=link,
                    dedupe_key=notifications.build_dedupe_key(
                        kind=kind,
                        channel=Notification.Channel.EMAIL,
                        recipient_key=f"customer:{customer.pk}",
                        parts=parts,
                    ),
                    created_at=sent_at,
                    sent_at=sent_at,
                    attempts=1,
                )
            )

        for ticket in Ticket.objects.select_related("customer"):
            record("ticket_created", ticket, None, ticket.created_at)
        replies = TicketMessage.objects.filter(
            author_kind=TicketMessage.AuthorKind.AGENT, is_internal=False
        ).select_related("ticket__customer")
        for message in replies:
            record("agent_replied", message.ticket, message, message.created_at)
        Notification.objects.bulk_create(rows, batch_size=500)

    def _record_surveys(self) -> None:
        """The satisfaction surveys the demo resolutions would have produced (the after-hook is
        detached while seeding), already sent, about 60 % answered, mostly happily, so the
        dashboard's CSAT and the organization pages have figures. Like the other demo history
        they are written in bulk with their demo times, each answer with its
        `satisfaction_rated` event; then every organization's health is computed."""
        from tickets.organization_health import organization_refresh_health

        rng, now = self.rng, timezone.now()
        resolved = Ticket.objects.filter(resolved_at__isnull=False).order_by("pk")
        rows, events, rated = [], [], []
        for ticket in resolved:
            sent_at = min(ticket.resolved_at + timedelta(hours=1), now)
            survey = SatisfactionSurvey(
                ticket=ticket,
                resolved_at=ticket.resolved_at,
                created_at=ticket.resolved_at,
                due_at=sent_at,
                sent_at=sent_at,
            )
            if rng.random() < 0.6:
                survey.rating = weighted(rng, DEMO_RATING_WEIGHTS)
                survey.comment = rng.choice(DEMO_SURVEY_COMMENTS[survey.rating])
                survey.answered_at = min(sent_at + timedelta(minutes=rng.uniform(5, 2880)), now)
                ticket.satisfaction_rating = survey.rating
                ticket.satisfaction_comment = survey.comment
                rated.append(ticket)
            rows.append(survey)
        SatisfactionSurvey.objects.bulk_create(rows, batch_size=500)
        for survey in rows:
            if survey.rating is not None:
                events.append(
                    TicketEvent(
                        ticket=survey.ticket,
                        kind=TicketEvent.Kind.SATISFACTION_RATED,
                        to_value=str(survey.rating),
                        data={
                            "survey_id": survey.pk,
                            "resolved_at": survey.resolved_at.isoformat(),
                            "comment": survey.comment,
                            "current": True,
                        },
                        created_at=survey.answered_at,
                    )
                )
        TicketEvent.objects.bulk_create(events, batch_size=500)
        Ticket.objects.bulk_update(
            rated, ["satisfaction_rating", "satisfaction_comment"], batch_size=500
        )
        for organization in Organization.objects.all():
            organization_refresh_health(organization=organization, now=now)

    def seed_on_call_rota(self) -> None:
        """This week's on-call rota from today, midnight: each team's members take a day in
        turn for every priority, and the team lead covers high and critical all week."""
        start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        shifts = []
        for slug, team in self.teams.items():
            lead = self.team_leads[slug]
            members = [u for u in self.members[slug] if u != lead]
            for day in range(7):
                agent = members[day % len(members)]
                shifts.append(
                    OnCallShift(
                        agent=agent.agent_profile,
                        team=team,
                        starts_at=start + timedelta(days=day),
                        ends_at=start + timedelta(days=day + 1),
                        priorities=[p.value for p in Priority],
                        note="Daily rota",
                    )
                )
            shifts.append(
                OnCallShift(
                    agent=lead.agent_profile,
                    team=team,
                    starts_at=start,
                    ends_at=start + timedelta(days=7),
                    priorities=[Priority.HIGH.value, Priority.CRITICAL.value],
                    note="Lead backup for urgent tickets",
                )
            )
        OnCallShift.objects.bulk_create(shifts)

    # Automation rules ---------------------------------------------------------------------

    def seed_rules(self, *, switch_on_defaults: bool) -> None:
        """Seed 001's three automation rules, as the migrations install them (inactive), are
        switched on for the demo, next to a demo-only time-based rule. Rules are matched by
        name: an existing one (perhaps edited by an admin) is left alone, and the defaults
        are switched on only by the run that adds the demo tickets, so a rule an admin
        switched off stays off. Closing resolved tickets is the
        AUTO_CLOSE_RESOLVED_DAYS job now, so the old demo rule that did it is removed: one
        mechanism, not two racing each other."""
        Rule.objects.filter(name=RETIRED_CLOSE_RULE).delete()
        install_default_rules(Rule, RuleCondition, RuleAction)  # only the missing ones
        if switch_on_defaults:
            Rule.objects.filter(name__in=DEFAULT_RULE_NAMES).update(active=True)
        for position, (name, trigger, description, conditions, actions) in enumerate(
            DEMO_RULES, start=len(DEFAULT_RULE_NAMES) + 1
        ):
            if Rule.objects.filter(name=name).exists():
                continue
            rule = Rule.objects.create(
                name=name, trigger=trigger, description=description, position=position * 10
            )
            for field_name, operator, value in conditions:
                condition = RuleCondition(
                    rule=rule, field=field_name, operator=operator, value=value
                )
                condition.full_clean()
                condition.save()
            for index, (kind, value) in enumerate(actions, start=1):
                action = RuleAction(rule=rule, position=index, kind=kind, value=value)
                action.full_clean()
                action.save()


Field, Op, Act = RuleCondition.Field, RuleCondition.Operator, RuleAction.Kind
# Demo-only rules, after the defaults: name, trigger, description, conditions (field,
# operator, value), actions (kind, value).
DEMO_RULES = [
    (
        "Remind customers after 3 days",
        Rule.Trigger.HOURLY,
        "A ticket waiting on the customer for 3 days sends them one reminder.",
        [(Field.STATUS, Op.EQUALS, "waiting_customer"), (Field.HOURS_IN_STATUS, Op.GTE, 72)],
        [(Act.REMIND_CUSTOMER, "")],
    ),
]
# Replaced by the auto-close job (tickets.services.auto_close); removed from older demo data.
RETIRED_CLOSE_RULE = "Close resolved tickets after 7 days"

# Demo survey answers: mostly satisfied, some not (rating: weight), and what people write.
DEMO_RATING_WEIGHTS = {5: 45, 4: 30, 3: 12, 2: 8, 1: 5}
DEMO_SURVEY_COMMENTS = {
    5: ["Quick and kind, thank you!", "Solved in no time.", "", "Great support as always."],
    4: ["Good, took a little while.", "", "Helpful answer."],
    3: ["It works now, but it took several emails.", ""],
    2: ["Slow to answer and I had to explain twice.", "The fix did not last long."],
    1: ["Nobody read my messages properly.", "Still broken in my opinion."],
}
