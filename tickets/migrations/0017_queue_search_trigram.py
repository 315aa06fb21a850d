"""Trigram indexes for the desk queue's text search (and one partial index for its live
version), on PostgreSQL only.

The queue's `q=` filter is `icontains` on the ticket subject and the customer's name, which
Django writes as `UPPER(col::text) LIKE UPPER('%word%')`: no b-tree serves a pattern with a
leading wildcard, so the search scanned the open tickets (and joined every customer) until
enough matched. A pg_trgm GIN index on exactly that expression lets PostgreSQL find the
matches by trigram; `UPPER(reference)` gets a b-tree for the `iexact` arm, so the whole OR can
be answered from indexes (a BitmapOr) when the word is rare.

pg_trgm is a trusted extension since PostgreSQL 13: the database owner may create it without
being a superuser. Where the extension cannot be created, the indexes are skipped with a
warning (the search still works, only slower). SQLite (development, tests) gets nothing: its
`LIKE` is case-insensitive for ASCII and the data sets there are small.

The indexes are built CONCURRENTLY (a non-atomic migration), so a large production table keeps
taking writes while they build. They are not part of the models' state: Django cannot express
a PostgreSQL-only index, and `makemigrations` must not try to create them on SQLite.
"""

import sys

from django.db import DatabaseError, migrations

# (name, table, index definition after USING). The expressions match what the ORM compiles
# for `icontains` / `iexact` on PostgreSQL, character for character where it matters.
INDEXES = [
    ("ticket_subject_trgm", "tickets_ticket", 'gin (UPPER("subject"::text) gin_trgm_ops)'),
    ("customer_name_trgm", "tickets_customer", 'gin (UPPER("name"::text) gin_trgm_ops)'),
    ("ticket_reference_upper", "tickets_ticket", 'btree (UPPER("reference"::text))'),
    # The live queue's version counts the open at-risk and breached tickets on every page and
    # every 10-second poll: a few thousand rows read from the heap (8-35 ms at a million
    # tickets). This small partial index answers the count by an index-only scan, the common
    # filters (status, priority, team, assignee, category) included.
    (
        "ticket_open_sla_alert",
        "tickets_ticket",
        'btree ("sla_state") INCLUDE ("status", "priority", "team_id", "assignee_id", '
        '"category_id") WHERE "status" IN '
        "('open', 'in_progress', 'waiting_customer', 'waiting_internal') "
        "AND \"sla_state\" IN ('at_risk', 'breached')",
    ),
    # "My open tickets" and one team's open tickets in deadline order: the first page is read
    # straight off these (small, partial) indexes instead of sorting all of an agent's or a
    # team's tickets, open or not (30-50 ms at a million tickets).
    (
        "ticket_open_assignee_due",
        "tickets_ticket",
        'btree ("assignee_id", "sla_due_at", "id") WHERE "status" IN '
        "('open', 'in_progress', 'waiting_customer', 'waiting_internal')",
    ),
    (
        "ticket_open_team_due",
        "tickets_ticket",
        'btree ("team_id", "sla_due_at", "id") WHERE "status" IN '
        "('open', 'in_progress', 'waiting_customer', 'waiting_internal')",
    ),
]


def create_indexes(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        try:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DatabaseError as error:
            sys.stderr.write(
                f"\n  pg_trgm could not be created ({error}); the queue search works without "
                "its trigram indexes, only slower. Create the extension as a superuser and "
                "run this migration again to add them.\n"
            )
            names = [index for index in INDEXES if "gin_trgm_ops" not in index[2]]
        else:
            names = INDEXES
        for name, table, definition in names:
            cursor.execute(
                f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{name}" ON "{table}" USING {definition}'
            )


def drop_indexes(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for name, _table, _definition in INDEXES:
            cursor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')
        # The extension stays: other objects may use it, and it costs nothing unused.


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("tickets", "0016_lookup_indexes"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, atomic=False),
    ]
