"""The benchmark data set: a realistic helpdesk of any size, bulk-loaded with PostgreSQL COPY.

At one million tickets the desk has 50,000 customers, 100 agents in 8 teams, 500 articles,
a few messages and audit events per ticket, an open backlog of a few percent (tens of
thousands of tickets, with their SLA clocks) and everything else resolved or closed over two
years. One open ticket has a 200-message conversation for the ticket-page scenario.

Rows are written straight into the tables with `COPY ... FROM STDIN` (psycopg 3), in chunks,
with the big tables' secondary indexes dropped during the load and rebuilt afterwards, which
is an order of magnitude faster than the ORM. The ORM-level invariants the services keep
(one CREATED event per ticket, the SLA summary on the ticket matching its clocks, warnings
and breaches recorded so an idle sweep has nothing to do) are kept by construction here.

A marker table records the size and `SEED_VERSION`, so a second run with the same size reuses
the data; a different size or version starts from an empty database.

This module creates or reuses the database and runs the seeder; the data it draws from is in
`bench.seed_data`, the COPY helpers in `bench.seed_copy`, and the rows it writes are made by
`bench.seed_people` (teams, agents, customers, articles) and `bench.seed_tickets`.
"""

import json
import random
import time
from datetime import UTC, datetime

from bench.seed_copy import Progress, Sizes, log_line, secondary_indexes
from bench.seed_data import ROLLUP_DAYS
from bench.seed_people import ReferenceSeeding
from bench.seed_tickets import TicketSeeding

SEED_VERSION = 1
MARKER_TABLE = "bench_seed_marker"
BENCH_AGENT = "agent001"

# Tables whose secondary indexes are dropped while they load and rebuilt after.
BULK_TABLES = [
    "tickets_ticket",
    "tickets_ticketmessage",
    "tickets_ticketevent",
    "tickets_ticket_tags",
    "sla_slaclock",
    "tickets_customer",
]


def _conninfo(settings_dict: dict, dbname: str) -> dict:
    info = {
        "dbname": dbname,
        "host": settings_dict.get("HOST") or None,
        "port": settings_dict.get("PORT") or None,
        "user": settings_dict.get("USER") or None,
        "password": settings_dict.get("PASSWORD") or None,
    }
    return {key: value for key, value in info.items() if value}


def prepare_database(settings_dict: dict, *, tickets: int, out=None) -> bool:
    """Make sure the bench database (Django's settings dict for it) exists. Returns True when
    it already holds this size and seed version, to reuse; otherwise it is dropped and
    created empty, ready to migrate."""
    import psycopg

    name = settings_dict["NAME"]
    try:
        with psycopg.connect(**_conninfo(settings_dict, name), autocommit=True) as conn:
            found = seeded_marker(conn.cursor())
        if found and found == (tickets, SEED_VERSION):
            return True
        log_line(out, f"Bench database {name} holds {found or 'something else'}: starting again.")
    except psycopg.OperationalError:
        log_line(out, f"Creating the bench database {name}.")
    with psycopg.connect(**_conninfo(settings_dict, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return False


def seeded_marker(cursor) -> tuple[int, int] | None:
    cursor.execute("SELECT to_regclass(%s)", [MARKER_TABLE])
    if cursor.fetchone()[0] is None:
        return None
    cursor.execute(f"SELECT tickets, version FROM {MARKER_TABLE} ORDER BY id DESC LIMIT 1")  # noqa: S608
    row = cursor.fetchone()
    return (row[0], row[1]) if row else None


def marker_details(cursor) -> dict:
    cursor.execute(f"SELECT details FROM {MARKER_TABLE} ORDER BY id DESC LIMIT 1")  # noqa: S608
    row = cursor.fetchone()
    details = row[0] if row else {}
    return json.loads(details) if isinstance(details, str) else details


class BenchSeeder(ReferenceSeeding, TicketSeeding):
    """Seeds the benchmark data set; its steps for rows are in the two parts it is made of."""

    def __init__(self, cursor, *, sizes: Sizes, seed: int = 1, out=None, stream=None) -> None:
        self.cursor, self.sizes, self.out, self.stream = cursor, sizes, out, stream
        self.rng = random.Random(seed)
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.superuser = False

    def run(self) -> dict:
        self._fast_session()
        try:
            return self._run()
        finally:
            self._checks_back_on()
            self.cursor.execute("RESET synchronous_commit")
            self.cursor.execute("RESET maintenance_work_mem")

    def _run(self) -> dict:
        started = time.monotonic()
        self.seed_reference_data()
        self.seed_people()
        self.seed_articles()
        dropped = self._drop_indexes()
        details = self.seed_tickets()
        self._rebuild_indexes(dropped)
        self._reset_sequences()
        from django.db import connection

        if connection.in_atomic_block:
            log_line(self.out, "Analyzing the tables.")
            self.cursor.execute("ANALYZE")
        else:
            # VACUUM also sets the visibility map, so index-only scans skip the heap as they
            # would on a table that has lived for a while.
            log_line(self.out, "Vacuuming and analyzing the tables.")
            self.cursor.execute("VACUUM ANALYZE")
        details["rollup_rows"] = self._backfill_rollups()
        details |= {
            "seconds": round(time.monotonic() - started, 1),
            "seeded_at": self.now.isoformat(),
            "agent": BENCH_AGENT,
        }
        self.cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (id serial PRIMARY KEY, "
            "tickets integer NOT NULL, version integer NOT NULL, details jsonb NOT NULL)"
        )
        self.cursor.execute(
            f"INSERT INTO {MARKER_TABLE} (tickets, version, details) VALUES (%s, %s, %s)",  # noqa: S608
            [self.sizes.tickets, SEED_VERSION, json.dumps(details)],
        )
        return details

    def _backfill_rollups(self) -> int | None:
        """The analytics dashboard reads hourly rollups: fill the range it shows by default,
        as the backfill command would after an import. None when there is no rollup."""
        try:
            from analytics.rollup import metrics_backfill
        except ImportError:
            return None
        log_line(self.out, f"Backfilling {ROLLUP_DAYS} days of analytics rollups.")
        self._checks_back_on()
        return metrics_backfill(days=ROLLUP_DAYS)

    def _fast_session(self) -> None:
        self.cursor.execute("SET synchronous_commit = off")
        self.cursor.execute("SET maintenance_work_mem = '512MB'")
        # Foreign keys are right by construction; skipping their per-row triggers halves the
        # load time. Only a superuser may; everyone else loads with the checks on.
        self.cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        self.superuser = bool(self.cursor.fetchone()[0])
        if self.superuser:
            self.cursor.execute("SET session_replication_role = replica")

    def _checks_back_on(self) -> None:
        """Foreign-key triggers on again (only a superuser could have turned them off)."""
        if self.superuser:
            self.cursor.execute("RESET session_replication_role")

    def _drop_indexes(self) -> list[str]:
        definitions = []
        for table in BULK_TABLES:
            for name, definition in secondary_indexes(self.cursor, table):
                self.cursor.execute(f'DROP INDEX "{name}"')
                definitions.append(definition)
        return definitions

    def _rebuild_indexes(self, definitions: list[str]) -> None:
        from django.db import connection

        if connection.in_atomic_block:
            # Inside a transaction (the tests), Django's deferred foreign-key checks are still
            # pending when the loading role is not a superuser, and PostgreSQL refuses
            # CREATE INDEX on a table with pending trigger events: run the checks now.
            self.cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        progress = Progress("indexes", len(definitions), self.stream)
        for done, definition in enumerate(definitions, 1):
            self.cursor.execute(definition)
            progress.update(done)

    def _reset_sequences(self) -> None:
        for table in [
            "auth_user",
            "agents_team",
            "agents_agentprofile",
            "agents_agentprofile_teams",
            "agents_team_categories",
            "tickets_organization",
            "tickets_customer",
            "tickets_tag",
            "tickets_ticket",
            "tickets_ticket_tags",
            "tickets_ticketmessage",
            "tickets_ticketevent",
            "sla_slaclock",
            "knowledge_article",
        ]:
            self.cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
            )


def seed(*, tickets: int, seed: int = 1, out=None, stream=None) -> dict:
    """Load the data set into the default database, which must be migrated and empty."""
    from django.db import connection

    with connection.cursor() as cursor:
        return BenchSeeder(
            cursor, sizes=Sizes.for_tickets(tickets), seed=seed, out=out, stream=stream
        ).run()
