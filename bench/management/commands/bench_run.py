"""`manage.py bench_run`: time the scenarios against the seeded bench database.

Prints a table, writes the JSON (bench/results/latest.json by default) and, with
`--update-doc`, refreshes the generated section of docs/benchmarks.md. With `--load`, also
measures portal ticket creation over real HTTP (`bench.load`).
"""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import override_settings

from bench import report
from bench.scenarios import build_scenarios, run_all
from bench.seed import BENCH_AGENT, marker_details, seeded_marker


class Command(BaseCommand):
    help = "Time the desk, knowledge base and SLA scenarios on the bench database."

    def add_arguments(self, parser):
        parser.add_argument("--iterations", type=int, default=30)
        parser.add_argument("--warmup", type=int, default=5)
        parser.add_argument("--only", nargs="*", help="Scenario names to run.")
        parser.add_argument(
            "--json", default=str(Path(settings.BASE_DIR) / "bench" / "results" / "latest.json")
        )
        parser.add_argument("--update-doc", action="store_true")
        parser.add_argument("--load", action="store_true", help="Also run the HTTP load test.")
        parser.add_argument("--load-seconds", type=float, default=20)
        parser.add_argument("--load-clients", type=int, default=8)

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("The benchmark needs PostgreSQL: set DATABASE_URL to it.")
        with connection.cursor() as cursor:
            if seeded_marker(cursor) is None:
                raise CommandError("No bench data here: run `manage.py bench_seed` first.")
            data = marker_details(cursor)
        results = {
            "date": report.now_iso(),
            "machine": report.machine(),
            "data": data,
            "iterations": options["iterations"],
            "warmup": options["warmup"],
        }
        results["scenarios"] = self.scenarios(data, options)
        if options["load"]:
            from bench.load import run_load

            results["load"] = run_load(
                seconds=options["load_seconds"], clients=options["load_clients"], log=self.log
            )
        self.stdout.write("\n" + report.table(results))
        path = Path(options["json"])
        report.write_json(results, path)
        self.stdout.write(f"\nWrote {path}")
        if options["update_doc"]:
            doc = Path(settings.BASE_DIR) / "docs" / "benchmarks.md"
            report.update_doc(results, doc)
            self.stdout.write(f"Updated {doc}")
        return None

    def log(self, line: str) -> None:
        self.stderr.write(line)

    def scenarios(self, data: dict, options) -> dict:
        from agents.models import Team

        agent = get_user_model().objects.get(username=data.get("agent", BENCH_AGENT))
        team = Team.objects.filter(members__user=agent).order_by("id").first()
        # Static files through the plain storage: the manifest lookup is not what is measured,
        # and the in-process run then works without collectstatic.
        storages = {**settings.STORAGES}
        storages["staticfiles"] = {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        }
        with override_settings(STORAGES=storages):
            scenarios = build_scenarios(
                agent=agent, long_reference=data["long_ticket"], team_slug=team.slug
            )
            return run_all(
                scenarios,
                warmup=options["warmup"],
                iterations=options["iterations"],
                only=options["only"],
                log=self.log,
            )
