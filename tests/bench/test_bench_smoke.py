"""`make bench` in miniature: the same seeder and scenarios on a tiny data set (PostgreSQL).

Checks the seeder's COPY load gives a consistent helpdesk (references, SLA summaries, the long
conversation, the marker), that every scenario runs and the JSON has its shape, and that the
queue's query count does not depend on the page size.
"""

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

from bench import seed as bench_seed
from bench.scenarios import Requester, Scenario, measure
from bench.seed_data import LONG_CONVERSATION, OPEN
from sla.models import SlaClock
from tickets.models import Ticket, TicketMessage

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

TICKETS = 200


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("the bench loads with PostgreSQL COPY")


@pytest.fixture
def seeded():
    return bench_seed.seed(tickets=TICKETS, seed=7)


def test_seeder_loads_a_consistent_helpdesk(seeded):
    assert Ticket.objects.count() == TICKETS
    assert seeded["tickets"] == TICKETS
    assert seeded["messages"] == TicketMessage.objects.count()
    long_ticket = Ticket.objects.get(reference=seeded["long_ticket"])
    assert long_ticket.messages.count() == LONG_CONVERSATION
    assert long_ticket.status == "in_progress"
    # Every ticket has its CREATED event and a reference from its category's prefix.
    assert Ticket.objects.filter(events__kind="created").distinct().count() == TICKETS
    for ticket in Ticket.objects.select_related("category")[:20]:
        prefix = ticket.category.prefix if ticket.category else "TKT"
        assert ticket.reference == f"{prefix}-{ticket.pk:05d}"
    # Open tickets carry clocks; the stored summary matches them; the sweep has nothing to do.
    open_ids = set(Ticket.objects.filter(status__in=OPEN).values_list("pk", flat=True))
    assert set(SlaClock.objects.values_list("ticket_id", flat=True)) == open_ids
    running = SlaClock.objects.filter(status="running", breached=True).values_list("ticket_id")
    assert not Ticket.objects.filter(pk__in=running).exclude(sla_state="breached").exists()
    with connection.cursor() as cursor:
        assert bench_seed.seeded_marker(cursor) == (TICKETS, bench_seed.SEED_VERSION)
    # Sequences continue after the copied ids: the ORM can still insert.
    customer = Ticket.objects.first().customer
    assert (
        Ticket.objects.create(
            reference="X-1",
            subject="s",
            body="b",
            customer=customer,
            created_at=long_ticket.created_at,
            updated_at=long_ticket.updated_at,
        ).pk
        > TICKETS
    )


def test_every_scenario_runs_and_the_json_has_its_shape(seeded, tmp_path):
    path = tmp_path / "latest.json"
    call_command("bench_run", iterations=1, warmup=0, json=str(path))

    results = json.loads(path.read_text())
    assert {"date", "machine", "data", "scenarios", "iterations", "warmup"} <= set(results)
    assert results["machine"]["cores"] >= 1
    assert results["machine"]["postgresql"]
    scenarios = results["scenarios"]
    for name in [
        "queue_default",
        "queue_high_priority",
        "queue_team",
        "queue_search",
        "queue_page_2",
        "ticket_long",
        "kb_search_selector",
        "kb_search_page",
        "sla_sweep_idle",
        "dashboard",
    ]:
        row = scenarios[name]
        if row["status"] == "skipped":
            assert row["reason"]
            continue
        assert row["iterations"] == 1
        assert row["median_ms"] > 0
        assert row["p95_ms"] >= row["median_ms"]
        assert row["queries"] >= 1
        assert row["status"] in {"pass", "miss", "n/a"}
    # An idle sweep: the open tickets that lost their clocks (none), then the due clocks (none).
    assert scenarios["sla_sweep_idle"]["queries"] == 2


def test_queue_query_count_does_not_depend_on_the_page_size(seeded):
    agent = get_user_model().objects.get(username=bench_seed.BENCH_AGENT)
    requester = Requester(agent)
    counts = {}
    for size in (5, 100):
        for name, params in [("all", {"sort": "newest"}), ("default", None)]:
            scenario = Scenario(
                name,
                name,
                None,
                requester.get("/desk/", params),
                settings={"DESK_PAGE_SIZE": size},
            )
            counts[(name, size)] = measure(scenario, warmup=0, iterations=1)["queries"]
    assert counts[("all", 5)] == counts[("all", 100)]
    assert counts[("default", 5)] == counts[("default", 100)]
