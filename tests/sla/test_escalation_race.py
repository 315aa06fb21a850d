"""Two sweep workers at the same moment start each escalation ladder once per ticket
(PostgreSQL: real concurrent connections)."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, connections
from django.utils import timezone

from sla.models import EscalationLadder, SlaEvent, TicketEscalation
from sla.services import sla_start, sla_sweep
from tests.factories import CustomerFactory
from tickets.services import ticket_create

TICKETS = 12


def file_tickets_overdue_on_both_clocks(count):
    """Enterprise critical tickets filed three hours ago: first response (15 min) and
    resolution (120 min) both crossed their warning and breach, so one sweep records two
    warnings and two breaches per ticket, which all start the same two ladders."""
    with time_machine.travel(timezone.now() - timedelta(hours=3), tick=False):
        tickets = [
            ticket_create(
                customer=CustomerFactory(plan_tier="enterprise"),
                subject="Checkout is down",
                body="Every payment fails.",
                priority="critical",
            )
            for _ in range(count)
        ]
        for ticket in tickets:
            sla_start(ticket=ticket)
    return tickets


def run_at_once(worker, count):
    barrier = threading.Barrier(count)
    errors = []

    def run():
        try:
            barrier.wait(timeout=10)
            worker()
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweep_workers_start_each_ladder_once_per_ticket():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent sweep workers are checked on PostgreSQL")
    tickets = file_tickets_overdue_on_both_clocks(TICKETS)

    errors = run_at_once(sla_sweep, 2)

    assert errors == []
    assert SlaEvent.objects.filter(kind="breached").count() == 2 * TICKETS
    ladders = EscalationLadder.objects.filter(trigger__in=["warning", "breach"])
    for ticket in tickets:
        for ladder in ladders:
            runs = TicketEscalation.objects.filter(ticket=ticket, ladder=ladder)
            assert runs.count() == 1, f"{ladder} started {runs.count()} times on {ticket}"


@pytest.mark.django_db
def test_the_schema_refuses_a_second_open_run_of_one_ladder_on_one_ticket():
    from django.db import IntegrityError, transaction

    ticket = file_tickets_overdue_on_both_clocks(1)[0]
    ladder = EscalationLadder.objects.get(trigger="breach")
    now = timezone.now()
    TicketEscalation.objects.create(ticket=ticket, ladder=ladder, started_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        TicketEscalation.objects.create(ticket=ticket, ladder=ladder, started_at=now)
    # An acknowledged run is history: the ladder may start again.
    TicketEscalation.objects.update(acknowledged_at=now)
    TicketEscalation.objects.create(ticket=ticket, ladder=ladder, started_at=now)
    assert TicketEscalation.objects.filter(acknowledged_at__isnull=True).count() == 1
