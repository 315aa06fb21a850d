"""The SLA clock following the ticket lifecycle, with time travel instead of sleeps."""

from datetime import UTC, datetime, time, timedelta

import pytest

from sla.models import (
    BusinessCalendar,
    Metric,
    SlaClock,
    SlaEvent,
    SlaPolicy,
    SlaTarget,
    WorkingPeriod,
)
from sla.services import sla_sweep
from tests.factories import AgentFactory, CategoryFactory, CustomerFactory, OrganizationFactory
from tickets.models import Ticket
from tickets.services import (
    ticket_change_priority,
    ticket_create,
    ticket_customer_reply,
    ticket_reopen,
    ticket_reply,
    ticket_resolve,
    ticket_transition,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday


def clock(ticket, metric, cycle=1):
    return SlaClock.objects.get(ticket=ticket, metric=metric, cycle=cycle)


def timeline(ticket):
    return [
        (e.clock.metric, e.kind)
        for e in SlaEvent.objects.filter(ticket=ticket).select_related("clock")
    ]


def file(on_commit, *, tier="enterprise", priority="critical", organization=None, category=None):
    customer = CustomerFactory(plan_tier=tier, organization=organization)
    return on_commit(
        ticket_create,
        customer=customer,
        subject="Down",
        body="Everything is down",
        priority=priority,
        category=category,
    )


def test_new_ticket_starts_first_response_and_resolution_from_the_default_matrix(
    on_commit, clock_at
):
    clock_at(T0)
    ticket = file(on_commit)
    first = clock(ticket, Metric.FIRST_RESPONSE)
    resolution = clock(ticket, Metric.RESOLUTION)
    assert (first.target_minutes, resolution.target_minutes) == (15, 120)
    assert first.deadline == T0 + timedelta(minutes=15)
    assert first.warn_at == T0 + timedelta(minutes=15 * 0.75)
    assert first.policy.name == "Default"
    ticket.refresh_from_db()
    assert ticket.sla_due_at == T0 + timedelta(minutes=15)
    assert ticket.sla_state == "on_track"
    # Each clock's timeline starts with one "started" entry naming its target and deadline.
    started = {
        event.clock_id: event for event in SlaEvent.objects.filter(ticket=ticket, kind="started")
    }
    assert set(started) == {first.pk, resolution.pk}
    assert started[first.pk].at == T0
    assert started[first.pk].data == {
        "target_minutes": 15,
        "policy": "Default",
        "deadline": (T0 + timedelta(minutes=15)).isoformat(),
    }
    assert started[resolution.pk].data["target_minutes"] == 120


@pytest.mark.parametrize(
    ("tier", "priority", "first", "resolution"),
    [
        ("scale", "high", 120, 960),
        ("professional", "medium", 960, 4320),
        ("starter", "critical", 120, 1440),
        ("free", "low", 1440, 7200),
    ],
)
def test_matrix_per_tier_and_priority(on_commit, tier, priority, first, resolution):
    ticket = file(on_commit, tier=tier, priority=priority)
    assert clock(ticket, Metric.FIRST_RESPONSE).target_minutes == first
    assert clock(ticket, Metric.RESOLUTION).target_minutes == resolution


def test_customer_without_tier_gets_the_fallback_resolution_hours(on_commit):
    ticket = file(on_commit, tier="", priority="high")
    assert not SlaClock.objects.filter(ticket=ticket, metric=Metric.FIRST_RESPONSE).exists()
    assert clock(ticket, Metric.RESOLUTION).target_minutes == 4 * 60


def test_most_specific_policy_wins(on_commit):
    organization = OrganizationFactory()
    category = CategoryFactory()
    for name, org, cat, minutes in [
        ("Org", organization, None, 30),
        ("Category", None, category, 45),
        ("Contract", organization, category, 5),
    ]:
        policy = SlaPolicy.objects.create(name=name, organization=org, category=cat)
        SlaTarget.objects.create(
            policy=policy,
            priority="critical",
            plan_tier="enterprise",
            first_response_minutes=minutes,
            resolution_minutes=minutes * 10,
        )
    both = file(on_commit, organization=organization, category=category)
    org_only = file(on_commit, organization=organization)
    cat_only = file(on_commit, category=category)
    neither = file(on_commit)
    assert clock(both, Metric.FIRST_RESPONSE).policy.name == "Contract"
    assert clock(org_only, Metric.FIRST_RESPONSE).policy.name == "Org"
    assert clock(cat_only, Metric.FIRST_RESPONSE).policy.name == "Category"
    assert clock(neither, Metric.FIRST_RESPONSE).policy.name == "Default"


def test_first_public_reply_meets_first_response_not_a_note(on_commit, clock_at):
    agent = AgentFactory()
    clock_at(T0)
    ticket = file(on_commit)
    clock_at(T0 + timedelta(minutes=10))
    on_commit(ticket_reply, ticket=ticket, actor=agent, body="On it")
    first = clock(ticket, Metric.FIRST_RESPONSE)
    assert first.status == "stopped" and first.met_at == T0 + timedelta(minutes=10)
    assert timeline(ticket)[-1] == ("first_response", "met")
    ticket.refresh_from_db()
    assert ticket.sla_due_at == T0 + timedelta(minutes=120)  # resolution is next


def test_waiting_on_customer_pauses_and_banks_exactly_the_paused_time(on_commit, clock_at):
    agent = AgentFactory()
    clock_at(T0)
    ticket = file(on_commit)
    clock_at(T0 + timedelta(minutes=5))
    on_commit(ticket_reply, ticket=ticket, actor=agent, body="Can you send logs?")
    on_commit(ticket_transition, ticket=ticket, to_status="waiting_customer", actor=agent)
    resolution = clock(ticket, Metric.RESOLUTION)
    assert resolution.status == "paused" and resolution.deadline is None
    ticket.refresh_from_db()
    assert ticket.sla_state == "paused" and ticket.sla_due_at is None

    clock_at(T0 + timedelta(hours=3, minutes=5))  # longer than the whole 2 h target
    on_commit(ticket_customer_reply, ticket=ticket, customer=ticket.customer, body="Logs")
    resolution.refresh_from_db()
    assert resolution.status == "running"
    assert resolution.paused_minutes == pytest.approx(180)
    assert resolution.deadline == T0 + timedelta(minutes=120 + 180)
    kinds = [kind for metric, kind in timeline(ticket) if metric == "resolution"]
    assert kinds == ["started", "paused", "resumed"]
    assert sla_sweep() == 0  # it did not breach on resuming


def test_resolve_meets_and_reopen_continues_where_it_stopped(on_commit, clock_at):
    agent = AgentFactory()
    clock_at(T0)
    ticket = file(on_commit)
    on_commit(ticket_reply, ticket=ticket, actor=agent, body="Fixed")
    clock_at(T0 + timedelta(minutes=100))
    on_commit(ticket_resolve, ticket=ticket, actor=agent, resolution="Restarted the service")
    resolution = clock(ticket, Metric.RESOLUTION)
    assert resolution.status == "stopped" and resolution.met_at == T0 + timedelta(minutes=100)
    ticket.refresh_from_db()
    assert ticket.sla_state == "met"

    clock_at(T0 + timedelta(days=2))
    on_commit(ticket_reopen, ticket=ticket, actor=agent, reason="Down again")
    resolution.refresh_from_db()
    assert resolution.status == "running"
    # 100 minutes were used before resolving; 20 remain.
    assert resolution.deadline == T0 + timedelta(days=2, minutes=20)
    ticket.refresh_from_db()
    assert ticket.sla_state == "at_risk"  # 100 of 120 minutes used: past 75 %, not breached


def test_customer_reply_reopening_a_resolved_ticket_resumes_resolution(on_commit, clock_at):
    agent = AgentFactory()
    clock_at(T0)
    ticket = file(on_commit)
    on_commit(ticket_reply, ticket=ticket, actor=agent, body="Fixed")
    on_commit(ticket_resolve, ticket=ticket, actor=agent, resolution="Done")
    clock_at(T0 + timedelta(hours=5))
    on_commit(ticket_customer_reply, ticket=ticket, customer=ticket.customer, body="Not fixed")
    resolution = clock(ticket, Metric.RESOLUTION)
    assert resolution.status == "running"
    assert resolution.deadline == T0 + timedelta(hours=5, minutes=120)


def test_next_response_starts_at_a_customer_reply_and_keeps_the_earliest(on_commit, clock_at):
    agent = AgentFactory()
    clock_at(T0)
    ticket = file(on_commit, tier="scale", priority="high")
    on_commit(ticket_reply, ticket=ticket, actor=agent, body="Hello")
    clock_at(T0 + timedelta(minutes=30))
    on_commit(ticket_customer_reply, ticket=ticket, customer=ticket.customer, body="Still broken")
    clock_at(T0 + timedelta(minutes=50))
    on_commit(ticket_customer_reply, ticket=ticket, customer=ticket.customer, body="Hello??")
    next_response = clock(ticket, Metric.NEXT_RESPONSE)
    assert next_response.started_at == T0 + timedelta(minutes=30)
    assert next_response.deadline == T0 + timedelta(minutes=30 + 120)
    clock_at(T0 + timedelta(minutes=70))
    on_commit(ticket_reply, ticket=ticket, actor=agent, body="Looking")
    next_response.refresh_from_db()
    assert next_response.status == "stopped"
    clock_at(T0 + timedelta(minutes=80))
    on_commit(ticket_customer_reply, ticket=ticket, customer=ticket.customer, body="And now?")
    assert clock(ticket, Metric.NEXT_RESPONSE, cycle=2).started_at == T0 + timedelta(minutes=80)


def test_priority_change_recomputes_from_the_time_already_spent(on_commit, clock_at):
    agent = AgentFactory()
    clock_at(T0)
    ticket = file(on_commit, priority="medium")  # enterprise medium: 240 / 1440
    clock_at(T0 + timedelta(minutes=30))
    on_commit(ticket_change_priority, ticket=ticket, priority="critical", actor=agent)
    first = clock(ticket, Metric.FIRST_RESPONSE)
    assert first.target_minutes == 15 and first.generation == 2
    assert first.deadline == T0 + timedelta(minutes=15)  # already past: breaches next sweep
    recomputed = SlaEvent.objects.get(clock=first, kind="recomputed")
    assert recomputed.data["from_minutes"] == 240 and recomputed.data["to_minutes"] == 15
    assert sla_sweep() == 2  # first response: at risk and breached at once
    ticket.refresh_from_db()
    assert ticket.sla_state == "breached"


def test_the_sweep_records_warning_then_breach_exactly_once(on_commit, clock_at):
    clock_at(T0)
    ticket = file(on_commit)
    clock_at(T0 + timedelta(minutes=11))
    assert sla_sweep() == 0
    clock_at(T0 + timedelta(minutes=12))  # 75 % of 15 minutes is 11:15
    assert sla_sweep() == 1
    assert sla_sweep() == 0  # run twice: nothing new
    ticket.refresh_from_db()
    assert ticket.sla_state == "at_risk"
    clock_at(T0 + timedelta(minutes=16))
    assert sla_sweep() == 1
    ticket.refresh_from_db()
    assert ticket.sla_state == "breached"
    first = clock(ticket, Metric.FIRST_RESPONSE)
    kinds = [e.kind for e in first.events.all()]
    assert kinds == ["started", "warned", "breached"]
    assert first.events.get(kind="breached").at == T0 + timedelta(minutes=15)


def test_met_late_counts_as_breached(on_commit, clock_at):
    agent = AgentFactory()
    clock_at(T0)
    ticket = file(on_commit)
    clock_at(T0 + timedelta(minutes=20))
    sla_sweep()
    on_commit(ticket_reply, ticket=ticket, actor=agent, body="Sorry for the wait")
    met = clock(ticket, Metric.FIRST_RESPONSE).events.get(kind="met")
    assert met.data["late"] is True


def test_business_calendar_deadlines_skip_nights_and_weekends(on_commit, clock_at):
    calendar = BusinessCalendar.objects.create(name="Berlin office", timezone="Europe/Berlin")
    for weekday in range(5):
        WorkingPeriod.objects.create(
            calendar=calendar, weekday=weekday, start=time(9), end=time(17)
        )
    policy = SlaPolicy.objects.get(name="Default")
    policy.calendar = calendar
    policy.save()
    clock_at(datetime(2026, 3, 6, 15, 0, tzinfo=UTC))  # Friday 16:00 in Berlin
    ticket = file(on_commit, priority="high")  # enterprise high: 60 / 480
    first = clock(ticket, Metric.FIRST_RESPONSE)
    # One hour left on Friday, so 60 minutes end at closing; Monday 09:00 is after.
    assert first.deadline == datetime(2026, 3, 6, 16, 0, tzinfo=UTC)
    resolution = clock(ticket, Metric.RESOLUTION)
    # 60 minutes on Friday, 420 on Monday: Monday 16:00 Berlin = 15:00 UTC.
    assert resolution.deadline == datetime(2026, 3, 9, 15, 0, tzinfo=UTC)


def test_priority_change_to_a_priority_without_target_stops_the_clock(on_commit, clock_at):
    agent = AgentFactory()
    policy = SlaPolicy.objects.get(name="Default")
    SlaTarget.objects.filter(policy=policy, priority="low", plan_tier="enterprise").update(
        first_response_minutes=None
    )
    ticket = file(on_commit, priority="medium")
    on_commit(ticket_change_priority, ticket=ticket, priority="low", actor=agent)
    first = clock(ticket, Metric.FIRST_RESPONSE)
    assert first.status == "stopped" and first.met_at is None
    assert first.events.last().kind == "stopped"


def test_escalation_raises_priority_and_recomputes(on_commit):
    from tickets.services import ticket_escalate

    agent = AgentFactory()
    ticket = file(on_commit, priority="high")
    on_commit(ticket_escalate, ticket=ticket, actor=agent, reason="VIP")
    assert clock(ticket, Metric.FIRST_RESPONSE).target_minutes == 15


def test_sla_start_is_idempotent(on_commit):
    from sla.services import sla_start

    ticket = file(on_commit)
    assert sla_start(ticket=ticket) == []
    assert SlaClock.objects.filter(ticket=ticket).count() == 2


def test_queue_ordering_field_is_indexed():
    index_names = {index.name for index in Ticket._meta.indexes}
    assert {"ticket_sla_due", "ticket_sla_state_due"} <= index_names


def test_lowering_the_priority_keeps_a_recorded_breach(on_commit, clock_at):
    agent = AgentFactory()
    clock_at(T0)
    ticket = file(on_commit)  # enterprise critical: first response 15 minutes
    clock_at(T0 + timedelta(minutes=20))
    assert sla_sweep() == 2  # first response at risk and breached
    on_commit(ticket_change_priority, ticket=ticket, priority="low", actor=agent)

    first = clock(ticket, Metric.FIRST_RESPONSE)
    assert first.target_minutes == 1440 and first.generation == 2
    assert first.breached and first.warned
    ticket.refresh_from_db()
    assert ticket.sla_state == "breached"
    # The later deadline records nothing new, and the reply still counts as late.
    clock_at(T0 + timedelta(days=3))
    on_commit(ticket_reply, ticket=ticket, actor=agent, body="Sorry for the wait")
    assert sla_sweep() == 0
    met = clock(ticket, Metric.FIRST_RESPONSE)
    assert met.breached and met.events.get(kind="met").data["late"] is True
    assert SlaEvent.objects.filter(clock=first, kind="breached").count() == 1


def test_lowering_then_raising_the_priority_alerts_once_per_threshold(on_commit, clock_at):
    agent = AgentFactory()
    clock_at(T0)
    ticket = file(on_commit, priority="medium")  # enterprise medium: 240 first response
    clock_at(T0 + timedelta(minutes=200))
    assert sla_sweep() == 1  # at risk (75 % of 240 = 180)
    on_commit(ticket_change_priority, ticket=ticket, priority="low", actor=agent)
    assert clock(ticket, Metric.FIRST_RESPONSE).warned  # the warning stands
    on_commit(ticket_change_priority, ticket=ticket, priority="critical", actor=agent)
    # The raise moved the thresholds into the past: warning and breach for the new target
    # (and the resolution clock's, 120 minutes now).
    assert sla_sweep() == 4
    first = clock(ticket, Metric.FIRST_RESPONSE)
    assert first.breached and first.generation == 3
    alerts = SlaEvent.objects.filter(clock=first, kind__in=["warned", "breached"])
    assert sorted(alerts.values_list("kind", "generation")) == [
        ("breached", 3),
        ("warned", 1),
        ("warned", 3),
    ]
