"""Portal ticket creation over real HTTP: gunicorn against the bench database, several
concurrent clients, a fixed duration.

Each client thread keeps one HTTP connection to 127.0.0.1 and loops: GET the portal form
(the CSRF cookie and token), POST a new ticket, expect the 302 to the confirmation page.
Every POST runs the request's part of the creation pipeline (classification, priority, the
SLA clocks, the audit events, the filing row) and queues one follow-up task per ticket
(routing, the knowledge-base answer, rules, webhooks, the confirmation email). Then
`manage.py qcluster` drains those tasks with one task worker per core, timed: the rest of
the pipeline, measured apart from the requests. Afterwards every acknowledged ticket is
looked up in the database, then the tickets the run created are deleted, so the data set
keeps its size. Traffic goes to loopback only; the loop is bounded by time and by a request
cap, the drain by a timeout, and gunicorn and the cluster are stopped by their pids.
"""

import http.client
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.utils import timezone

TARGET_PER_SECOND = 100
MAX_REQUESTS = 100_000
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SUBMITTED = re.compile(r"/portal/submitted/([^/]+)/")
SUBJECTS = [
    "Invoice {n} charged twice",
    "Cannot log in after password reset",
    "Export to CSV fails with error {n}",
    "How do I invite my team",
    "Card declined when upgrading",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db.get("USER") or ""
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    host = f"{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"
    return f"postgres://{auth}@{host}/{db['NAME']}" if auth else f"postgres://{host}/{db['NAME']}"


def _server_env() -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-only-secret-key-not-for-production",
        "SECURE_COOKIES": "false",
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DB_CONN_MAX_AGE": "600",
        "Q_SYNC": "false",
        # The per-IP limit on portal submissions would stop a load test from one address.
        "RATELIMIT_TICKET_CREATE_IP": "1000000/h",
        # The confirmation emails are rendered and "sent", into memory.
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    return env


def _collectstatic(env: dict) -> None:
    """DEBUG off serves hashed static names from the manifest: build it once."""
    manifest = Path(settings.BASE_DIR) / "staticfiles" / "staticfiles.json"
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=settings.BASE_DIR,
        env=env,
        check=True,
    )
    if not manifest.exists():
        raise RuntimeError("collectstatic wrote no manifest")


def _wait_until_up(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer in time")


class Client(threading.Thread):
    def __init__(self, port: int, index: int, stop_at: float, budget: "Budget") -> None:
        super().__init__(daemon=True)
        self.port, self.index, self.stop_at, self.budget = port, index, stop_at, budget
        self.acknowledged: list[str] = []
        self.latencies: list[float] = []
        self.failures: dict[str, int] = {}

    def _fail(self, why: str) -> None:
        self.failures[why] = self.failures.get(why, 0) + 1

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sequence = 0
        while time.monotonic() < self.stop_at and self.budget.take():
            sequence += 1
            try:
                conn.request("GET", "/portal/")
                response = conn.getresponse()
                html = response.read().decode()
                cookie = response.getheader("Set-Cookie") or ""
                token = CSRF_INPUT.search(html)
                csrf_cookie = re.search(r"csrftoken=([^;]+)", cookie)
                if response.status != 200 or not token or not csrf_cookie:
                    self._fail(f"form {response.status}")
                    continue
                body = urlencode(
                    {
                        "csrfmiddlewaretoken": token.group(1),
                        "name": f"Load Client {self.index}",
                        "email": f"bench-load-{self.index}-{sequence % 50}@load.example",
                        "subject": SUBJECTS[sequence % len(SUBJECTS)].format(n=sequence),
                        "description": "The page fails after the last step; "
                        "we tried twice and cleared the cache.",
                    }
                )
                started = time.perf_counter()
                conn.request(
                    "POST",
                    "/portal/",
                    body=body,
                    headers={
                        "Content-Type": "application/x-www-form-urlencoded",
                        "Cookie": f"csrftoken={csrf_cookie.group(1)}",
                    },
                )
                response = conn.getresponse()
                response.read()
                elapsed = time.perf_counter() - started
                location = response.getheader("Location") or ""
                found = SUBMITTED.search(location)
                if response.status == 302 and found:
                    self.acknowledged.append(found.group(1))
                    self.latencies.append(elapsed * 1000)
                else:
                    self._fail(f"post {response.status}")
            except (OSError, http.client.HTTPException) as exc:
                self._fail(type(exc).__name__)
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.close()


class Budget:
    """A cap on the requests of the whole run, shared by the client threads."""

    def __init__(self, total: int) -> None:
        self.left, self.lock = total, threading.Lock()

    def take(self) -> bool:
        with self.lock:
            if self.left <= 0:
                return False
            self.left -= 1
            return True


def run_load(*, seconds: float = 20, clients: int = 8, workers: int | None = None, log=print):
    """Start gunicorn, drive it, check and clean up; the figures as a dict."""
    from django.db import connection
    from django_q.models import OrmQ

    from tickets.models import Ticket

    cores = os.cpu_count() or 1
    workers = workers or 2 * cores
    port = _free_port()
    env = _server_env()
    _collectstatic(env)
    first_task = (OrmQ.objects.order_by("-pk").values_list("pk", flat=True).first()) or 0
    run_started = timezone.now()
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "helpdesk.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]
    log(f"Starting gunicorn with {workers} workers on 127.0.0.1:{port}.")
    process = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env)  # noqa: S603
    try:
        _wait_until_up(port, process)
        # Warm up each worker (imports, templates, connections) before the clock starts.
        warm = [Client(port, 1000 + i, time.monotonic() + 3, Budget(20)) for i in range(clients)]
        for thread in warm:
            thread.start()
        for thread in warm:
            thread.join()
        log(f"Driving {clients} clients for {seconds:g}s.")
        stop_at = time.monotonic() + seconds
        threads = [Client(port, i, stop_at, Budget(MAX_REQUESTS)) for i in range(clients)]
        started, cpu_started = time.monotonic(), busy_cpu_seconds()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(seconds + 60)
        elapsed = time.monotonic() - started
        request_cpu = _cpu_since(cpu_started)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    drain = _drain_tasks(env, first_task, workers=cores, log=log)
    acknowledged = [pid for thread in [*warm, *threads] for pid in thread.acknowledged]
    measured = [pid for thread in threads for pid in thread.acknowledged]
    latencies = [ms for thread in threads for ms in thread.latencies]
    failures: dict[str, int] = {}
    for thread in threads:
        for why, count in thread.failures.items():
            failures[why] = failures.get(why, 0) + count
    stored = Ticket.objects.filter(public_id__in=acknowledged).count()
    per_second = len(measured) / elapsed if elapsed else 0.0
    result = {
        "description": "Portal ticket creation over HTTP (gunicorn), whole pipeline",
        "workers": workers,
        "clients": clients,
        "seconds": round(elapsed, 1),
        "created": len(measured),
        "per_second": round(per_second, 1),
        "target_per_second": TARGET_PER_SECOND,
        "median_ms": round(statistics.median(latencies), 1) if latencies else 0.0,
        "p95_ms": round(sorted(latencies)[int(0.95 * (len(latencies) - 1))], 1)
        if latencies
        else 0.0,
        "failures": failures,
        "acknowledged_stored": stored == len(acknowledged),
        "task_workers": cores,
        "tasks_drained": drain["drained"],
        "drain_seconds": drain["seconds"],
        "tasks_per_second": round(len(acknowledged) / drain["seconds"], 1)
        if drain["drained"] and drain["seconds"]
        else 0.0,
        # Busy CPU of the whole machine (every process: clients, gunicorn, the cluster,
        # PostgreSQL) per ticket, in each half: steadier than the rates on a shared machine.
        "request_cpu_ms_per_ticket": _per_ticket_ms(request_cpu, len(measured)),
        "task_cpu_ms_per_ticket": _per_ticket_ms(drain["cpu_seconds"], len(acknowledged)),
    }
    # Both halves on the same two cores: a ticket costs its request and its follow-up task.
    result["pipeline_per_second"] = (
        round(1 / (1 / per_second + 1 / result["tasks_per_second"]), 1)
        if per_second and result["tasks_per_second"]
        else 0.0
    )
    result["status"] = "pass" if result["pipeline_per_second"] >= TARGET_PER_SECOND else "miss"
    if stored != len(acknowledged):
        result["status"] = "lost tickets"
    log(
        f"Created {len(measured)} tickets in {elapsed:.1f}s; "
        f"all acknowledged tickets stored: {result['acknowledged_stored']}."
    )
    _clean_up(first_task, run_started)
    connection.close()
    return result


def _drain_tasks(env: dict, first_task: int, *, workers: int, log=print, timeout: float = 600):
    """Run `manage.py qcluster` until the tasks queued since `first_task` are done (the
    follow-up of every ticket, and the notification deliveries those queue); time it."""
    from django_q.models import OrmQ

    def queued() -> int:
        return OrmQ.objects.filter(pk__gt=first_task).count()

    waiting = queued()
    log(f"Draining {waiting} queued tasks with {workers} task workers.")
    command = [sys.executable, "manage.py", "qcluster"]
    cluster_env = {**env, "Q_WORKERS": str(workers)}
    process = subprocess.Popen(  # noqa: S603
        command, cwd=settings.BASE_DIR, env=cluster_env, start_new_session=True
    )
    try:
        deadline = time.monotonic() + timeout
        # The clock starts when the first task is taken, not while the cluster imports.
        started = cpu_started = None
        left = waiting
        while left and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.1)
            left = queued()
            if started is None and left < waiting:
                started, cpu_started = time.monotonic(), busy_cpu_seconds()
        elapsed = time.monotonic() - started if started else 0.0
        cpu = _cpu_since(cpu_started)
    finally:
        # The cluster's own children (pusher, workers, monitor) are in its process group.
        for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
            if process.poll() is not None:
                break
            os.killpg(process.pid, sig)
            try:
                process.wait(wait)
            except subprocess.TimeoutExpired:
                continue
    log(f"Drained in {elapsed:.1f}s; {left} tasks left.")
    return {"drained": left == 0, "seconds": round(elapsed, 1), "left": left, "cpu_seconds": cpu}


def busy_cpu_seconds() -> float | None:
    """CPU seconds the machine has spent busy since boot, all cores (Linux /proc/stat: user,
    nice, system, irq and softirq), or None where that is not readable."""
    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()
        user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in fields[1:8])
    except (OSError, ValueError, IndexError):
        return None
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def _cpu_since(started: float | None) -> float | None:
    now = busy_cpu_seconds()
    return None if started is None or now is None else now - started


def _per_ticket_ms(cpu_seconds: float | None, tickets: int) -> float | None:
    return round(cpu_seconds * 1000 / tickets, 1) if cpu_seconds is not None and tickets else None


def _clean_up(first_task: int, run_started) -> None:
    """Remove what the run added, so the data set keeps its size for the next run: its
    tickets (by the load customers' domain, so tickets others filed meanwhile stay), their
    customers, the queued tasks about those tickets (each new ticket queues one) if any were
    left, and the task results the drain recorded."""
    from django_q.models import OrmQ, Task

    from tickets.models import Customer, Ticket

    # The domain is the load's own: an earlier run stopped before its clean-up is swept too.
    created = Ticket.objects.filter(customer__email__endswith="@load.example")
    ticket_ids = set(created.values_list("pk", flat=True))
    created.delete()
    Customer.objects.filter(email__endswith="@load.example").delete()
    ours = [row.pk for row in OrmQ.objects.filter(pk__gt=first_task) if _about(row, ticket_ids)]
    OrmQ.objects.filter(pk__in=ours).delete()
    Task.objects.filter(started__gte=run_started).delete()
    _vacuum_churned([Customer, Task, OrmQ])


def _vacuum_churned(models: list) -> None:
    """VACUUM ANALYZE, on PostgreSQL, every table the run deleted from, as autovacuum would
    soon after: on a server without it, dead rows pile up run after run (the ticket page's
    link query went from under 1 ms to 10 ms after a day of runs) and the next run measures
    them rather than the code. About 20 s at a million tickets."""
    from django.db import connection

    from tickets.models import Ticket

    if connection.vendor != "postgresql":
        return
    related = {rel.related_model for rel in Ticket._meta.related_objects}
    through = {field.remote_field.through for field in Ticket._meta.many_to_many}
    tables = sorted({model._meta.db_table for model in {Ticket, *related, *through, *models}})
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(table)}")


def _about(row, ticket_ids: set[int]) -> bool:
    """Whether a queued task is a ticket's follow-up task (tickets.tasks.run_deferred_hooks,
    by its `ticket_id`) for one of these tickets."""
    try:
        task = row.task
    except Exception:  # noqa: BLE001 - an unreadable row is not ours to delete
        return False
    return (task.get("kwargs") or {}).get("ticket_id") in ticket_ids
