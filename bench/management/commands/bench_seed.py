"""`manage.py bench_seed`: the benchmark data set in the default (PostgreSQL) database.

Run it against a dedicated database (`make bench` points DATABASE_URL at BENCH_DATABASE_URL):
a database that does not hold this size and seed version is DROPPED, created again, migrated
and loaded by `bench.seed`. One that does is reused as it is.
"""

import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench import seed as bench_seed


class Command(BaseCommand):
    help = "Create (or reuse) the benchmark data set in the default PostgreSQL database."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=1_000_000)
        parser.add_argument("--seed", type=int, default=1, help="Random seed (same data).")

    def handle(self, *args, tickets: int, seed: int, **options):
        if connection.vendor != "postgresql":
            raise CommandError("The benchmark needs PostgreSQL: set DATABASE_URL to it.")
        if tickets < 10:
            raise CommandError("Seed at least 10 tickets.")
        name = connection.settings_dict["NAME"]
        connection.close()
        reuse = bench_seed.prepare_database(
            connection.settings_dict, tickets=tickets, out=self.stdout.write
        )
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        if reuse:
            self.stdout.write(f"Reusing {name}: it already holds {tickets:,} tickets.")
            return
        self.stdout.write(f"Seeding {name} with {tickets:,} tickets.")
        details = bench_seed.seed(
            tickets=tickets, seed=seed, out=self.stdout.write, stream=sys.stderr
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {details['tickets']:,} tickets, {details['messages']:,} messages, "
                f"{details['events']:,} events, {details['clocks']:,} SLA clocks "
                f"in {details['seconds']}s."
            )
        )
