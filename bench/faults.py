"""Load and faults: the portal and the API under concurrent clients while things break.

`make loadtest` (or `python -m bench.faults --seconds 60 --clients 16`) runs, against a fresh
PostgreSQL database (LOADTEST_DATABASE_URL, dropped and created again each run):

- gunicorn with two worker processes and `manage.py qcluster` with two task workers;
- an SMTP sink on a loopback port (every message recorded with its Message-ID) that is
  stopped for a stretch of the run (the mail server down) and started again;
- an OpenAI-compatible stub that answers slowly (past the client timeout), with 500, with
  429 and with garbage in rotation, and sometimes correctly;
- N client threads for a fixed time: half file tickets on the portal (GET the form, POST
  it; acknowledged only on the 302 to the confirmation page, never retried, a form post
  not being idempotent), half through `POST /api/v1/tickets` with an `Idempotency-Key`,
  retried with the same key and body after a connection error or a 5xx.

Most tickets name one of the seeded categories (each handled by a team), so routing is
checked on most of them; one in seven names none (the desk's unassigned queue). The
recurring jobs are installed (`install_schedules`) and run by the worker's own scheduler,
as in production: nothing here calls a recovery job.

Midway, an API post is held open half-sent and the gunicorn worker that took it gets SIGKILL
(a kill in the middle of a request every time; the client retries with the same key), and
so does a django-q2 worker (the one that ran a probe task) while more tasks are queued than
there are workers (so it has one in hand). Afterwards the run waits until the queue is empty
and nothing is unsent (the killed task's retry, the retry schedule's email retries), then
checks, counting from the tickets and from what clients were told: every acknowledged
ticket exists exactly once, no idempotency key (nor portal post) filed two tickets, every
ticket's follow-up recorded its confirmation and every acknowledged ticket's confirmation
reached the sink exactly once (by Message-ID), no email was sent twice or is still unsent,
no 5xx and no unacknowledged post outside the kill window, and every ticket of a team-bound
category is open in that team (or with an agent) whatever the AI did. A check or a fault
that tested nothing fails too: routing checked on under half the tickets, no API retry, a
kill skipped or a task worker killed idle, the queue not drained, the AI never called, a
mail outage that failed no delivery. A summary table is printed (with the confirmation
delays); the exit status is non-zero on any violation. Traffic stays on loopback, the loop
is bounded by time, and every process started here is stopped by its pid.

This module runs the load and the kills and reports; its parts are `bench.fault_processes`
(the database and processes), `bench.fault_stubs` (the SMTP sink and the AI provider stub),
`bench.fault_clients` (the API clients and the in-flight kill) and `bench.fault_checks`
(waiting for the system to settle and checking what it left).
"""

import argparse
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench.fault_checks import (
    follow_ups_run_again,
    print_table,
    probe_task_worker,
    verify,
    violations,
    wait_until_settled,
)
from bench.fault_clients import Client, InFlightApiRequest, Tally, wait_for_backlog
from bench.fault_processes import (
    BASE_DIR,
    children_of,
    database_name,
    free_port,
    log,
    recreate_database,
    run_command,
    stop_process,
    wait_for_http,
)
from bench.fault_stubs import AI_TIMEOUT_SECONDS, SmtpSink, start_ai_stub

DEFAULT_DATABASE_URL = "postgres://helpdesk:secret@127.0.0.1:5432/helpdesk_loadtest"


def server_env(database_url: str, *, smtp_port: int, ai_url: str) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "loadtest-only-secret-key-not-for-production",
        "SECURE_COOKIES": "false",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DB_CONN_MAX_AGE": "600",
        "Q_SYNC": "false",
        "Q_BROKER": "orm",
        "Q_WORKERS": "2",
        # A task the killed worker held is handed out again after 30 s, within the drain.
        "Q_TIMEOUT_SECONDS": "20",
        "Q_RETRY_SECONDS": "30",
        # One address and one API user drive the whole load: lift their limits.
        "RATELIMIT_TICKET_CREATE_IP": "1000000/h",
        "API_THROTTLE_USER": "1000000/hour",
        "API_THROTTLE_IP": "1000000/hour",
        "API_THROTTLE_TICKET_CREATE": "1000000/hour",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_USE_TLS": "false",
        "EMAIL_TIMEOUT": "5",
        "AI_BASE_URL": ai_url,
        "AI_API_KEY": "loadtest-key",
        "AI_MODEL": "stub-model",
        "AI_TIMEOUT_SECONDS": str(AI_TIMEOUT_SECONDS),
        "AI_MAX_RETRIES": "0",
        "MANAGER_WEBHOOK_URL": "",
    }


def run(
    *,
    database_url: str,
    seconds: float,
    clients: int,
    drain_seconds: float,
    kill: bool,
    mail_outage: bool,
    drop_after: bool,
) -> int:
    smtp_port = free_port()
    sink = SmtpSink(smtp_port)
    sink.start()
    ai = start_ai_stub()
    ai_url = f"http://127.0.0.1:{ai.server_address[1]}/v1"
    env = server_env(database_url, smtp_port=smtp_port, ai_url=ai_url)
    os.environ.update(env)  # this process reads the same settings (the queue, the mail)

    logs = Path(tempfile.mkdtemp(prefix="loadtest-"))
    log(f"Server and worker logs in {logs}.")
    log(f"Creating the database {database_name(database_url)!r}.")
    recreate_database(database_url)
    processes: list[tuple[subprocess.Popen, str]] = []
    try:
        run_command(["migrate", "--noinput", "-v0"], env)
        run_command(["createcachetable"], env)
        run_command(["seed_demo", "--tickets", "0"], env)
        run_command(["collectstatic", "--noinput", "-v0"], env)
        # The recurring jobs as in production (the notification retry job every five minutes
        # among them); the worker's scheduler runs them, nothing here calls them.
        run_command(["install_schedules"], env)

        import django

        django.setup()
        # The queue's own log lines (one per task) would bury the run's: they go to the file.
        logging.getLogger("django-q").setLevel(logging.WARNING)
        from django.db import connection

        from api.tokens import api_token_create
        from tickets.models import Category, Customer, Ticket

        customer = Customer.objects.select_related("user").get(email="customer@example.com")
        # The seeded categories (each handled by a team): most tickets name one.
        categories = list(
            Category.objects.filter(active=True).order_by("pk").values_list("pk", "slug")
        )
        _, token = api_token_create(user=customer.user, name="load test")
        first_ticket = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

        port = free_port()
        gunicorn = subprocess.Popen(  # noqa: S603 - our own venv's gunicorn, fixed arguments
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "helpdesk.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--timeout",
                "30",
                "--graceful-timeout",
                "5",
                "--log-level",
                "warning",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=(logs / "gunicorn.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        processes.append((gunicorn, "gunicorn"))
        qcluster = subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "qcluster"],
            cwd=BASE_DIR,
            env=env,
            stdout=(logs / "qcluster.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        processes.append((qcluster, "qcluster"))
        wait_for_http(port, gunicorn)
        task_worker = probe_task_worker()
        log(f"gunicorn pid {gunicorn.pid} on port {port}; task worker pid {task_worker}.")

        tally = Tally()
        started = time.monotonic()
        stop_at = started + seconds
        threads = [
            Client(
                index=i,
                port=port,
                token=token,
                stop_at=stop_at,
                tally=tally,
                categories=categories,
            )
            for i in range(clients)
        ]
        log(f"Driving {clients} clients for {seconds:g}s.")
        for thread in threads:
            thread.start()

        def at(fraction: float) -> None:
            time.sleep(max(0.0, started + fraction * seconds - time.monotonic()))

        kill_at = None
        killed = {}
        task_worker_busy = False
        if mail_outage:
            at(0.2)
            sink.stop()
            log("SMTP sink stopped (the mail server is down).")
        if kill:
            at(0.5)
            # The web worker that holds an unfinished API post, and a task worker while more
            # tasks are queued than there are workers (so it has one in hand).
            probe = Client(
                index=clients,
                port=port,
                token=token,
                stop_at=stop_at,
                tally=tally,
                categories=categories,
            )
            held = InFlightApiRequest(probe, f"K{uuid.uuid4().hex[:12]}")
            web_worker = held.worker(children_of(gunicorn.pid))
            task_worker_busy = wait_for_backlog(int(env["Q_WORKERS"]))
            kill_at = time.monotonic()
            if web_worker:
                os.kill(web_worker, signal.SIGKILL)
                killed["web worker"] = web_worker
            try:
                os.kill(task_worker, signal.SIGKILL)
                killed["task worker"] = task_worker
            except ProcessLookupError:
                pass
            log(f"SIGKILL sent: {killed} (task worker busy: {task_worker_busy}).")
            held.finish(killed="web worker" in killed)
        if mail_outage:
            at(0.6)
            sink.start()
            log("SMTP sink started again.")
        for thread in threads:
            thread.join(max(1.0, stop_at - time.monotonic()) + 60)
        elapsed = time.monotonic() - started
        log(
            f"Clients done after {elapsed:.1f}s; waiting for the queue and the unsent emails "
            f"to drain through the worker and its installed schedules (at most "
            f"{drain_seconds:g}s)."
        )
        drained, drain_took = wait_until_settled(drain_seconds)

        figures = {
            "seconds": round(elapsed, 1),
            "clients": clients,
            "kill_requested": kill,
            "killed": killed,
            "task_worker_busy_at_kill": task_worker_busy,
            "mail_outage_requested": mail_outage,
            "queue_drained": drained,
            "drain_seconds": round(drain_took, 1),
            "follow_ups_run_again": follow_ups_run_again(),
            "ai_calls": dict(ai.modes),
            **verify(tally, sink.messages, kill_at, first_ticket),
        }
        figures["tickets_per_second"] = round(figures["acknowledged"] / elapsed, 1)
        connection.close()
    finally:
        for process, name in reversed(processes):
            stop_process(process, name)
        ai.shutdown()
        ai.server_close()
        sink.close()
    print_table(figures)
    problems = violations(figures)
    if drop_after:
        from django.db import connections

        connections.close_all()
        recreate_database(database_url, drop_only=True)
    if problems:
        for problem in problems:
            log(f"VIOLATION {problem}")
        return 1
    log("No violation.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--drain-seconds",
        type=float,
        default=600,
        help=(
            "Give up waiting for the queue and the unsent emails to drain after this long "
            "(the retry job runs every five minutes and retries emails two minutes old)."
        ),
    )
    parser.add_argument("--no-kill", action="store_true", help="Kill no worker.")
    parser.add_argument("--no-mail-outage", action="store_true", help="Keep the SMTP sink up.")
    parser.add_argument("--drop", action="store_true", help="Drop the database afterwards.")
    args = parser.parse_args(argv)
    # A SIGTERM (a CI timeout) unwinds like an exception, so every started process is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.path.insert(0, str(BASE_DIR))
    return run(
        database_url=os.environ.get("LOADTEST_DATABASE_URL") or DEFAULT_DATABASE_URL,
        seconds=args.seconds,
        clients=args.clients,
        drain_seconds=args.drain_seconds,
        kill=not args.no_kill,
        mail_outage=not args.no_mail_outage,
        drop_after=args.drop,
    )


if __name__ == "__main__":
    sys.exit(main())
