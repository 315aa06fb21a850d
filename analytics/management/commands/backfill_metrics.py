"""Fill the hourly analytics rollups for past days (idempotent: rerun any time)."""

import time

from django.core.management.base import BaseCommand, CommandError

from analytics.rollup import metrics_backfill


class Command(BaseCommand):
    help = "Recompute the hourly ticket metrics of the last N days (default 90)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=90, help="How many days back.")

    def handle(self, *args, days: int, **options):
        if days < 1:
            raise CommandError("--days must be 1 or more.")
        started = time.monotonic()
        rows = metrics_backfill(days=days)
        self.stdout.write(
            self.style.SUCCESS(
                f"Ticket metrics for the last {days} days: {rows} hourly rows "
                f"in {time.monotonic() - started:.1f} s."
            )
        )
