"""Races that only a real database with row locks can show: run on PostgreSQL."""

import threading

import pytest
from django.db import connection, connections

from common.exceptions import ApplicationError
from tests.factories import AgentFactory, CustomerFactory, TicketFactory
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_claim

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock races are checked on PostgreSQL")


def test_two_agents_claiming_at_once_exactly_one_wins():
    agents = [AgentFactory(), AgentFactory()]
    tickets = [TicketFactory(customer=CustomerFactory()) for _ in range(10)]
    results: dict[tuple[int, int], str] = {}
    barrier = threading.Barrier(2)

    def claim_all(agent):
        try:
            for ticket in tickets:
                barrier.wait(timeout=10)
                try:
                    ticket_claim(ticket=Ticket.objects.get(pk=ticket.pk), agent=agent)
                    results[(ticket.pk, agent.pk)] = "won"
                except ApplicationError as exc:
                    results[(ticket.pk, agent.pk)] = exc.code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim_all, args=(agent,)) for agent in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    for ticket in tickets:
        outcomes = sorted(results[(ticket.pk, agent.pk)] for agent in agents)
        assert outcomes == ["already_claimed", "won"]
        winner = next(a for a in agents if results[(ticket.pk, a.pk)] == "won")
        ticket.refresh_from_db()
        assert ticket.assignee_id == winner.pk
        assert TicketEvent.objects.filter(ticket=ticket, kind="assigned").count() == 1
