"""The sweep under concurrency (PostgreSQL) and through django-q2's real scheduler."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, connections
from django.utils import timezone
from django_q.models import Schedule
from django_q.scheduler import scheduler

from sla.models import SlaClock, SlaEvent
from sla.services import sla_start, sla_sweep
from tests.factories import CustomerFactory
from tickets.services import ticket_create


def file_overdue_tickets(count):
    """Tickets filed an hour ago: their first-response clock (15 min) crossed both thresholds."""
    with time_machine.travel(timezone.now() - timedelta(hours=1), tick=False):
        tickets = [
            ticket_create(
                customer=CustomerFactory(plan_tier="enterprise"),
                subject="S",
                body="B",
                priority="critical",
            )
            for _ in range(count)
        ]
        for ticket in tickets:
            sla_start(ticket=ticket)  # no-op where the after-commit hook already started it
    return tickets


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_the_same_moment_record_each_alert_once():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent sweeps are checked on PostgreSQL")
    tickets = file_overdue_tickets(30)
    barrier = threading.Barrier(3)
    results = []

    def sweep():
        try:
            barrier.wait(timeout=10)
            results.append(sla_sweep())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # An hour in, only first response (15 min) crossed its thresholds; resolution (120 min,
    # warning at 90) did not: one warning and one breach per ticket.
    expected = len(tickets) * 2
    assert sum(results) == expected
    assert SlaEvent.objects.filter(kind__in=["warned", "breached"]).count() == expected
    assert not SlaClock.objects.filter(metric="first_response", breached=False).exists()


@pytest.mark.django_db
def test_the_sweep_runs_through_the_django_q_scheduler():
    file_overdue_tickets(2)
    Schedule.objects.create(
        name="helpdesk:sla-sweep",
        func="sla.tasks.sweep",
        schedule_type=Schedule.MINUTES,
        minutes=1,
        next_run=timezone.now() - timedelta(minutes=1),
    )
    scheduler()
    assert SlaEvent.objects.filter(kind="breached").count() == 2
    schedule = Schedule.objects.get(name="helpdesk:sla-sweep")
    assert schedule.next_run > timezone.now()


@pytest.mark.django_db
def test_filing_writes_the_clocks_in_the_same_transaction():
    """No after-commit hook runs here (as when the process dies right after the commit):
    the clocks and the due time are there all the same."""
    ticket = ticket_create(
        customer=CustomerFactory(plan_tier="enterprise"), subject="S", body="B", priority="high"
    )
    assert sorted(SlaClock.objects.filter(ticket=ticket).values_list("metric", flat=True)) == [
        "first_response",
        "resolution",
    ]
    ticket.refresh_from_db()
    assert ticket.sla_due_at == ticket.created_at + timedelta(minutes=60)


@pytest.mark.django_db
def test_a_failing_sla_engine_does_not_lose_the_ticket_and_the_sweep_starts_its_clocks(
    monkeypatch,
):
    from sla.services import clock as clock_service

    def broken(*args, **kwargs):
        raise RuntimeError("policy lookup failed")

    with monkeypatch.context() as patched:
        patched.setattr(clock_service, "_start_clocks", broken)
        ticket = ticket_create(
            customer=CustomerFactory(plan_tier="enterprise"),
            subject="S",
            body="B",
            priority="critical",
        )
    assert not SlaClock.objects.filter(ticket=ticket).exists()

    with time_machine.travel(ticket.created_at + timedelta(minutes=20), tick=False):
        assert sla_sweep() == 2  # started from the filing time: first response breached

    first = SlaClock.objects.get(ticket=ticket, metric="first_response")
    assert first.started_at == ticket.created_at and first.breached
    ticket.refresh_from_db()
    assert ticket.sla_state == "breached" and ticket.sla_due_at is not None
    with time_machine.travel(ticket.created_at + timedelta(minutes=21), tick=False):
        assert sla_sweep() == 0  # healed once
    assert SlaClock.objects.filter(ticket=ticket).count() == 2
