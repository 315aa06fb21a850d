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
