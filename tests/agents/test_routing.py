"""Routing: the team for a new ticket, each assignment strategy, waiting tickets, and fair
round-robin turns under concurrent creation."""

import threading
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.db import close_old_connections, connection

from agents import routing
from agents.models import AgentProfile, AssignmentStrategy
from agents.services import agent_set_status
from agents.tasks import assign_waiting_tickets, route_ticket
from desk.views.timeline import ticket_timeline
from tests.factories import (
    AgentFactory,
    CategoryFactory,
    CustomerFactory,
    TeamFactory,
    TicketFactory,
)
from tickets.models import Status, Ticket, TicketEvent
from tickets.services import (
    ticket_assign,
    ticket_change_team,
    ticket_resolve,
    ticket_transition,
)

# A Wednesday, 10:00 UTC: inside 09:00–17:00 working hours in UTC.
WORKDAY = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def workday():
    with time_machine.travel(WORKDAY, tick=True):
        yield


def member(team, **profile):
    user = AgentFactory(**{f"agent_profile__{k}": v for k, v in profile.items()})
    user.agent_profile.teams.add(team)
    return user


def give_open_tickets(user, team, count):
    for _ in range(count):
        ticket = TicketFactory()
        ticket_change_team(ticket=ticket, team=team)
        ticket_assign(ticket=ticket, assignee=user)


def waiting_ticket(team, **kwargs):
    ticket = TicketFactory(**kwargs)
    return ticket_change_team(ticket=ticket, team=team)


def assigned_events(ticket):
    return list(ticket.events.filter(kind=TicketEvent.Kind.ASSIGNED).order_by("pk"))


# ---------------------------------------------------------------------------------------------
# Skill scoring
# ---------------------------------------------------------------------------------------------


def test_skill_score_adds_every_reason_and_the_best_positive_score_wins(db, workday):
    billing = CategoryFactory()
    team = TeamFactory(assignment_strategy=AssignmentStrategy.SKILL_SCORED)
    team.categories.add(billing)
    customer = CustomerFactory(language="de")
    expert = member(team, expertise=4, languages=["de", "en"], display_name="Expert")
    expert.agent_profile.skills.add(billing)
    member(team, expertise=1, display_name="Novice", work_starts=time(0), work_ends=time(1))
    # The expert handled this customer before (a resolved ticket) and has 2 open tickets.
    old = TicketFactory(customer=customer)
    ticket_assign(ticket=old, assignee=expert)
    ticket_transition(ticket=old, to_status=Status.IN_PROGRESS)
    ticket_resolve(ticket=old, resolution="Done")
    give_open_tickets(expert, TeamFactory(assignment_strategy="manual"), 2)

    ticket = waiting_ticket(team, customer=customer, category=billing)
    routing.ticket_route(ticket=ticket)

    ticket.refresh_from_db()
    assert ticket.assignee == expert
    [event] = assigned_events(ticket)
    assert event.actor is None
    assert event.data["via"] == "skill_scored"
    assert event.data["points"] == {
        "skill": 30,
        "customer": 20,
        "expertise": 40,
        "load": -10,
        "language": 15,
        "hours": 10,
    }
    assert event.data["score"] == 105
    assert [(c["name"], c["score"]) for c in event.data["candidates"]] == [
        ("Expert", 105),
        ("Novice", 10),
    ]
    [entry] = [e for e in ticket_timeline(ticket) if e.kind == "assigned"]
    assert entry.actor == "System"
    assert entry.detail == (
        "Assigned by skill score: 105 (skill +30, customer before +20, expertise +40, "
        "load −10, language +15, working hours +10). Other candidates: Novice 10"
    )


def test_skill_score_ties_go_to_the_lighter_load_then_the_older_profile(db, workday):
    team = TeamFactory()
    first = member(team, expertise=3)
    second = member(team, expertise=3)
    ticket = waiting_ticket(team)
    routing.ticket_route(ticket=ticket)
    ticket.refresh_from_db()
    assert ticket.assignee == first

    # Now `first` has one open ticket (−5): the next one goes to `second`.
    ticket = waiting_ticket(team)
    routing.ticket_route(ticket=ticket)
    ticket.refresh_from_db()
    assert ticket.assignee == second


def test_nobody_with_a_positive_score_leaves_the_ticket_waiting(db, workday):
    team = TeamFactory()
    busy = member(team, expertise=1, work_starts=time(0), work_ends=time(1))
    give_open_tickets(busy, TeamFactory(assignment_strategy="manual"), 2)  # 10 − 10 = 0
    ticket = waiting_ticket(team)
    routing.ticket_route(ticket=ticket)
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert assigned_events(ticket) == []


@pytest.mark.parametrize("strategy", ["skill_scored", "round_robin", "least_busy"])
def test_away_offline_inactive_and_full_agents_are_skipped(db, workday, strategy):
    team = TeamFactory(assignment_strategy=strategy)
    member(team, status=AgentProfile.Status.AWAY, expertise=5)
    member(team, status=AgentProfile.Status.OFFLINE, expertise=5)
    gone = member(team, expertise=5)
    gone.is_active = False
    gone.save()
    full = member(team, expertise=5, capacity=1)
    give_open_tickets(full, TeamFactory(assignment_strategy="manual"), 1)
    fits = member(team, expertise=1)

    ticket = waiting_ticket(team)
    routing.ticket_route(ticket=ticket)
    ticket.refresh_from_db()
    assert ticket.assignee == fits
    assert assigned_events(ticket)[0].data["via"] == strategy


# ---------------------------------------------------------------------------------------------
# Round robin, least busy, manual
# ---------------------------------------------------------------------------------------------


def test_round_robin_takes_turns_and_wraps_around(db):
    team = TeamFactory(assignment_strategy=AssignmentStrategy.ROUND_ROBIN)
    agents = [member(team) for _ in range(3)]
    got = []
    for _ in range(7):
        ticket = waiting_ticket(team)
        routing.ticket_route(ticket=ticket)
        ticket.refresh_from_db()
        got.append(ticket.assignee)
    assert got == [*agents, *agents, agents[0]]
    team.refresh_from_db()
    assert team.last_assigned_agent == agents[0].agent_profile
    [entry] = [e for e in ticket_timeline(ticket) if e.kind == "assigned"]
    assert entry.detail == "Assigned by round robin: the team's next agent in turn"


def test_round_robin_skips_an_away_agent_without_losing_the_turn_order(db):
    team = TeamFactory(assignment_strategy=AssignmentStrategy.ROUND_ROBIN)
    a, b, c = (member(team) for _ in range(3))
    agent_set_status(agent=b.agent_profile, status="away", actor=b)
    got = []
    for _ in range(4):
        ticket = waiting_ticket(team)
        routing.ticket_route(ticket=ticket)
        ticket.refresh_from_db()
        got.append(ticket.assignee)
    assert got == [a, c, a, c]


def test_least_busy_picks_the_fewest_open_tickets_ties_by_id(db):
    team = TeamFactory(assignment_strategy=AssignmentStrategy.LEAST_BUSY)
    other = TeamFactory(assignment_strategy="manual")
    a, b, c = (member(team) for _ in range(3))
    give_open_tickets(a, other, 2)
    give_open_tickets(b, other, 1)
    give_open_tickets(c, other, 1)
    ticket = waiting_ticket(team)
    routing.ticket_route(ticket=ticket)
    ticket.refresh_from_db()
    assert ticket.assignee == b
    [entry] = [e for e in ticket_timeline(ticket) if e.kind == "assigned"]
    assert entry.detail == "Assigned by least busy: 1 open ticket"


def test_resolved_tickets_do_not_count_as_load(db):
    team = TeamFactory(assignment_strategy=AssignmentStrategy.LEAST_BUSY)
    a, b = member(team), member(team)
    give_open_tickets(a, TeamFactory(assignment_strategy="manual"), 1)
    done = a.assigned_tickets.get()
    ticket_transition(ticket=done, to_status=Status.IN_PROGRESS)
    ticket_resolve(ticket=done, resolution="Fixed")
    give_open_tickets(b, TeamFactory(assignment_strategy="manual"), 1)
    ticket = waiting_ticket(team)
    routing.ticket_route(ticket=ticket)
    ticket.refresh_from_db()
    assert ticket.assignee == a


def test_a_manual_team_gets_the_ticket_but_nobody_is_picked(db):
    category = CategoryFactory()
    team = TeamFactory(assignment_strategy=AssignmentStrategy.MANUAL)
    team.categories.add(category)
    member(team)
    ticket = TicketFactory(category=category)
    routing.ticket_route(ticket=ticket)
    ticket.refresh_from_db()
    assert ticket.team == team and ticket.assignee is None


# ---------------------------------------------------------------------------------------------
# Routing on creation (the "create" after-hook)
# ---------------------------------------------------------------------------------------------


def test_a_new_ticket_goes_to_its_category_team_and_an_agent(
    db, django_capture_on_commit_callbacks
):
    category = CategoryFactory()
    team = TeamFactory(assignment_strategy=AssignmentStrategy.LEAST_BUSY)
    team.categories.add(category)
    TeamFactory(name="Unrelated")
    agent = member(team)

    with django_capture_on_commit_callbacks(execute=True):
        ticket = TicketFactory(category=category)

    ticket.refresh_from_db()
    assert ticket.team == team
    assert ticket.assignee == agent
    team_event = ticket.events.get(kind=TicketEvent.Kind.TEAM_CHANGED)
    assert team_event.actor is None and team_event.to_value == team.name
    [assigned] = assigned_events(ticket)
    assert assigned.actor is None and assigned.data["via"] == "least_busy"
    assert assigned.data["to_id"] == agent.pk


def test_a_ticket_without_a_matching_team_is_left_alone(db, django_capture_on_commit_callbacks):
    TeamFactory().categories.add(CategoryFactory(slug="bug", name="Bug", prefix="BUG"))
    with django_capture_on_commit_callbacks(execute=True):
        ticket = TicketFactory(category=CategoryFactory())
    ticket.refresh_from_db()
    assert ticket.team is None and ticket.assignee is None
    assert ticket.events.exclude(kind=TicketEvent.Kind.CREATED).count() == 0


def test_routing_twice_changes_nothing_more(db):
    category = CategoryFactory()
    team = TeamFactory(assignment_strategy=AssignmentStrategy.ROUND_ROBIN)
    team.categories.add(category)
    member(team)
    member(team)
    ticket = TicketFactory(category=category)
    route_ticket(ticket.pk)
    route_ticket(ticket.pk)
    assert ticket.events.count() == 3  # created, team_changed, assigned
    team.refresh_from_db()
    assert team.last_assigned_agent.user == Ticket.objects.get(pk=ticket.pk).assignee


def test_a_new_ticket_waits_in_its_team_when_everyone_is_away(
    db, django_capture_on_commit_callbacks
):
    category = CategoryFactory()
    team = TeamFactory()
    team.categories.add(category)
    member(team, status="away")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = TicketFactory(category=category)
    ticket.refresh_from_db()
    assert ticket.team == team and ticket.assignee is None


def test_manual_claim_and_assign_still_work_on_a_waiting_ticket(db, agent, other_agent):
    team = TeamFactory(assignment_strategy="manual")
    ticket = waiting_ticket(team)
    from tickets.services import ticket_claim

    ticket_claim(ticket=ticket, agent=agent)
    ticket_assign(ticket=ticket, assignee=other_agent, actor=agent)
    assert [e.data["via"] for e in assigned_events(ticket)] == ["claim", "assign"]


# ---------------------------------------------------------------------------------------------
# Waiting tickets: handed out when an agent becomes available or frees capacity
# ---------------------------------------------------------------------------------------------


def test_an_agent_becoming_available_gets_waiting_tickets_oldest_deadline_first(
    db, django_capture_on_commit_callbacks
):
    team = TeamFactory(assignment_strategy=AssignmentStrategy.LEAST_BUSY)
    agent = member(team, status="away", capacity=2)
    now = datetime.now(UTC)
    later = waiting_ticket(team)
    no_deadline = waiting_ticket(team)
    soon = waiting_ticket(team)
    Ticket.objects.filter(pk=later.pk).update(sla_due_at=now + timedelta(hours=4))
    Ticket.objects.filter(pk=soon.pk).update(sla_due_at=now + timedelta(hours=1))
    Ticket.objects.filter(pk=no_deadline.pk).update(sla_due_at=None)

    with django_capture_on_commit_callbacks(execute=True):
        agent_set_status(agent=agent.agent_profile, status="available", actor=agent)

    assert set(agent.assigned_tickets.values_list("pk", flat=True)) == {soon.pk, later.pk}
    assert Ticket.objects.get(pk=no_deadline.pk).assignee is None

    # The task again (as the schedule would): the same state, no new events.
    events = TicketEvent.objects.count()
    assert assign_waiting_tickets(agent.pk) == 0
    assert assign_waiting_tickets() == 0
    assert TicketEvent.objects.count() == events
    assert set(agent.assigned_tickets.values_list("pk", flat=True)) == {soon.pk, later.pk}


def test_resolving_a_ticket_frees_capacity_for_a_waiting_one(
    db, django_capture_on_commit_callbacks
):
    team = TeamFactory(assignment_strategy=AssignmentStrategy.ROUND_ROBIN)
    agent = member(team, capacity=1)
    first = waiting_ticket(team)
    routing.ticket_route(ticket=first)
    waiting = waiting_ticket(team)
    routing.ticket_route(ticket=waiting)
    assert Ticket.objects.get(pk=waiting.pk).assignee is None

    ticket_transition(ticket=first, to_status=Status.IN_PROGRESS, actor=agent)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_resolve(ticket=first, actor=agent, resolution="Done")
    assert Ticket.objects.get(pk=waiting.pk).assignee == agent


def test_reassigning_a_ticket_away_frees_capacity(db, django_capture_on_commit_callbacks):
    team = TeamFactory(assignment_strategy=AssignmentStrategy.LEAST_BUSY)
    agent = member(team, capacity=1)
    other = AgentFactory()
    first = waiting_ticket(team)
    routing.ticket_route(ticket=first)
    waiting = waiting_ticket(team)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_assign(ticket=first, assignee=other, actor=agent)
    assert Ticket.objects.get(pk=waiting.pk).assignee == agent


def test_the_periodic_run_fills_every_team_and_respects_capacity(db):
    team = TeamFactory(assignment_strategy=AssignmentStrategy.ROUND_ROBIN)
    a, b = member(team, capacity=1), member(team, capacity=2)
    tickets = [waiting_ticket(team) for _ in range(4)]
    assert assign_waiting_tickets() == 3
    assert assign_waiting_tickets() == 0
    owners = [Ticket.objects.get(pk=t.pk).assignee for t in tickets]
    assert owners.count(a) == 1 and owners.count(b) == 2 and owners.count(None) == 1


def test_the_task_does_nothing_for_an_agent_who_is_not_available(db):
    team = TeamFactory()
    agent = member(team, status="offline")
    ticket = waiting_ticket(team)
    assert assign_waiting_tickets(agent.pk) == 0
    assert assign_waiting_tickets(999_999) == 0
    assert Ticket.objects.get(pk=ticket.pk).assignee is None


# ---------------------------------------------------------------------------------------------
# Working hours
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (datetime(2026, 3, 4, 8, 30, tzinfo=UTC), True),  # 09:30 in Berlin, Wednesday
        (datetime(2026, 3, 4, 16, 30, tzinfo=UTC), False),  # 17:30 in Berlin
        (datetime(2026, 3, 7, 10, 0, tzinfo=UTC), False),  # Saturday
    ],
)
def test_working_hours_are_weekdays_in_the_agents_time_zone(db, at, expected):
    profile = AgentProfile(timezone="Europe/Berlin", work_starts=time(9), work_ends=time(17))
    assert profile.in_working_hours(at) is expected


# ---------------------------------------------------------------------------------------------
# Fairness under concurrent creation (PostgreSQL: SQLite has no row locks)
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_round_robin_is_fair_when_tickets_are_filed_at_once():
    if connection.vendor != "postgresql":
        pytest.skip("Row locks (select_for_update) need PostgreSQL.")
    category = CategoryFactory()
    team = TeamFactory(assignment_strategy=AssignmentStrategy.ROUND_ROBIN)
    team.categories.add(category)
    agents = [member(team, capacity=100) for _ in range(3)]
    customer = CustomerFactory()
    n = 12
    barrier = threading.Barrier(n)
    errors = []

    def file_one(i):
        try:
            barrier.wait()
            # Filing commits and runs the "create" after-hook: routing, in this thread.
            TicketFactory(customer=customer, category=category, subject=f"Concurrent {i}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=file_one, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    tickets = Ticket.objects.filter(category=category)
    assert tickets.count() == n
    counts = [tickets.filter(assignee=a).count() for a in agents]
    assert sum(counts) == n
    assert max(counts) - min(counts) <= 1
    # Turns in assignment order cycle through the agents: no repeats, no skips.
    order = list(
        TicketEvent.objects.filter(kind=TicketEvent.Kind.ASSIGNED, ticket__category=category)
        .order_by("pk")
        .values_list("data__to_id", flat=True)
    )
    ids = [a.pk for a in agents]
    assert order == [ids[i % 3] for i in range(n)]


def test_eligible_agents_count_only_open_tickets_in_one_query(
    db, workday, django_assert_num_queries
):
    team = TeamFactory(assignment_strategy=AssignmentStrategy.LEAST_BUSY)
    busy = member(team, capacity=3)
    give_open_tickets(busy, team, 2)
    for _ in range(4):  # resolved and closed tickets never count against capacity
        ticket = TicketFactory()
        ticket_assign(ticket=ticket, assignee=busy)
        ticket_transition(ticket=ticket, to_status=Status.IN_PROGRESS, actor=busy)
        ticket_resolve(ticket=ticket, actor=busy, resolution="Answered.")
    idle = member(team, capacity=1)
    full = member(team, capacity=1)
    give_open_tickets(full, team, 1)

    with django_assert_num_queries(1):
        eligible = {agent.user: agent.open_count for agent in routing.eligible_agents(team)}
    assert eligible == {busy: 2, idle: 0}
