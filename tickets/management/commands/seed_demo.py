"""`manage.py seed_demo`: the demo helpdesk that `make run` starts with.

Creates the demo logins (product.md), two teams with their agents, the categories with
seed 001's reference prefixes, organizations and customers of every plan tier, and a few
hundred tickets in every status with their conversations, tags and audit events, spread over
the last 60 days.

Tickets are built with the ticket services, so every message and event exists exactly as the
desk would have written it; their timestamps are then moved back in time in bulk. The same
`--seed` gives the same demo data. Safe to run twice: people, teams and categories are only
added when missing, and tickets only into a database that has none.

The seeding is in three parts: `_demo_setup` (people, routing, canned responses, articles,
the on-call rota and rules), `_demo_tickets` (the tickets and their conversations) and
`_demo_history` (moving them back in time, with the emails and surveys they sent).
"""

import io
import random
import time

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tickets.management.commands._demo_history import HistorySeeding, customer_emails_detached
from tickets.management.commands._demo_setup import SetupSeeding
from tickets.management.commands._demo_tickets import HISTORY_DAYS, DemoClock, TicketSeeding
from tickets.models import Customer, Ticket, TicketEvent, TicketMessage

DEMO_PASSWORD = "demo"  # noqa: S105 - the documented demo password, never for production


class Command(BaseCommand):
    help = "Fill the database with demo people, teams and tickets (safe to run twice)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--tickets", type=int, default=300, help="How many tickets (default 300)."
        )
        parser.add_argument(
            "--seed", type=int, default=2026, help="Random seed; the same seed gives the same data."
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing at all when the database already has tickets (used by make run).",
        )

    def handle(self, *args, tickets: int, seed: int, if_empty: bool, **options):
        if tickets < 0:
            raise CommandError("--tickets must be zero or more.")
        if if_empty and Ticket.objects.exists():
            self.stdout.write("The database already has tickets: demo data not added.")
            return
        started = time.monotonic()
        with customer_emails_detached(), transaction.atomic():
            seeder = Seeder(rng=random.Random(seed))
            seeder.seed_people()
            seeder.seed_canned_responses()
            seeder.seed_articles()
            had_tickets = Ticket.objects.exists()
            if had_tickets:
                self.stdout.write("Tickets exist already: only missing people and teams added.")
            else:
                seeder.seed_tickets(tickets)
            # After the tickets, so the demo history is not rewritten by the rules.
            seeder.seed_rules(switch_on_defaults=not had_tickets)
        # The dashboard reads hourly rollups: fill them for the demo history (idempotent). By
        # command name: the analytics app owns the rollups and the core does not import it.
        call_command("backfill_metrics", days=HISTORY_DAYS + 31, stdout=io.StringIO())
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready in {time.monotonic() - started:.1f} s: "
                f"{Ticket.objects.count()} tickets, {TicketMessage.objects.count()} messages, "
                f"{TicketEvent.objects.count()} events, {Customer.objects.count()} customers. "
                f"Logins: admin, agent, lead, customer@example.com (password {DEMO_PASSWORD!r})."
            )
        )


class Seeder(SetupSeeding, TicketSeeding, HistorySeeding):
    """Seeds the demo helpdesk; its steps are in the three parts it is made of."""

    def __init__(self, *, rng: random.Random) -> None:
        self.rng = rng
        self.password = make_password(DEMO_PASSWORD)  # hashed once: hashing is slow on purpose
        self.clock = DemoClock()
