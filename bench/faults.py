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
"""

import argparse
import asyncio
import contextlib
import email
import http.client
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://helpdesk:secret@127.0.0.1:5432/helpdesk_loadtest"
API_PATH = "/api/v1/tickets"
# 5xx and dropped connections this long after a kill are the killed worker's in-flight ones.
KILL_GRACE_SECONDS = 5.0
API_ATTEMPTS = 6
AI_TIMEOUT_SECONDS = 1.0
AI_SLOW_SECONDS = 1.5
# The stub's answers in rotation: mostly faults, so every fault path runs many times.
AI_ROTATION = ("slow", "500", "429", "garbage", "ok")
SUBJECTS = (
    "Invoice charged twice",
    "Cannot log in after password reset",
    "Export to CSV fails with an error",
    "How do I invite my team",
    "Card declined when upgrading",
)


def log(message: str) -> None:
    print(f"[faults {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# The database
# ---------------------------------------------------------------------------------------------


def database_name(url: str) -> str:
    name = urlsplit(url).path.lstrip("/")
    if not name:
        raise SystemExit("LOADTEST_DATABASE_URL must name a database.")
    return name


def recreate_database(url: str, *, drop_only: bool = False) -> None:
    """Drop the run's database and (unless drop_only) create it empty, through the
    `postgres` maintenance database of the same server."""
    import psycopg
    from psycopg import sql

    admin = urlsplit(url)._replace(path="/postgres").geturl()
    name = database_name(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        conn.execute(drop.format(sql.Identifier(name)))
        if not drop_only:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


# ---------------------------------------------------------------------------------------------
# The SMTP sink: just enough SMTP for Django's backend, restartable on the same port
# ---------------------------------------------------------------------------------------------


class SmtpSink:
    """Records every message it accepts as (Message-ID, X-Helpdesk-Ticket). `stop()` closes
    the listening socket, so deliveries fail with a refused connection until `start()`."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.messages: list[tuple[str, str]] = []
        self.loop = asyncio.new_event_loop()
        self.server: asyncio.base_events.Server | None = None
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def start(self) -> None:
        async def listen():
            self.server = await asyncio.start_server(
                self._session, "127.0.0.1", self.port, reuse_address=True
            )

        asyncio.run_coroutine_threadsafe(listen(), self.loop).result(10)

    def stop(self) -> None:
        async def close():
            if self.server is not None:
                self.server.close()
                self.server = None

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)

    def close(self) -> None:
        self.stop()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    async def _session(self, reader, writer) -> None:
        async def say(line: str) -> None:
            writer.write(line.encode() + b"\r\n")
            await writer.drain()

        try:
            await say("220 sink ESMTP")
            while line := await reader.readline():
                verb = line.decode(errors="replace").strip().split(" ", 1)[0].upper()
                if verb == "DATA":
                    await say("354 end with <CRLF>.<CRLF>")
                    lines = []
                    while (data := await reader.readline()) not in (b".\r\n", b".\n", b""):
                        lines.append(data[1:] if data.startswith(b"..") else data)
                    message = email.message_from_bytes(b"".join(lines))
                    self.messages.append(
                        (message.get("Message-ID", ""), message.get("X-Helpdesk-Ticket", ""))
                    )
                    await say("250 queued")
                elif verb == "QUIT":
                    await say("221 bye")
                    break
                elif verb in ("EHLO", "HELO", "MAIL", "RCPT", "RSET", "NOOP"):
                    await say("250 ok")
                else:
                    await say("502 not implemented")
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


# ---------------------------------------------------------------------------------------------
# The AI provider stub: slow, failing, rate limiting, garbage, in rotation
# ---------------------------------------------------------------------------------------------


class FaultyAiHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        stub = self.server
        with stub.lock:
            mode = AI_ROTATION[stub.calls % len(AI_ROTATION)]
            stub.calls += 1
            stub.modes[mode] += 1
        if mode == "slow":
            time.sleep(AI_SLOW_SECONDS)
        if mode in ("500", "429"):
            self._reply(int(mode), b'{"error": {"message": "stub fault", "type": "stub"}}')
            return
        if mode == "garbage":
            self._reply(200, b"<html>upstream proxy error \x00\xff", "text/html")
            return
        if self.path.endswith("/embeddings"):
            body = {"object": "list", "data": [], "model": "stub", "usage": {"prompt_tokens": 1}}
            self._reply(200, json.dumps(body).encode())
            return
        # A well-formed but unsure classification: valid, and too weak to change anything.
        content = json.dumps(
            {
                "category": "billing",
                "type": "question",
                "tags": [],
                "urgency": 3,
                "sentiment": "neutral",
                "confidence": 0.2,
            }
        )
        body = {
            "id": "chatcmpl-stub",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": "stub-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        }
        self._reply(200, json.dumps(body).encode())

    def _reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if status == 429:
                self.send_header("Retry-After", "1")
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client timed out first (the slow answers)

    def log_message(self, format, *args) -> None:
        pass


def start_ai_stub() -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FaultyAiHandler)
    server.daemon_threads = True
    server.lock, server.calls, server.modes = threading.Lock(), 0, Counter()
    threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True).start()
    return server


# ---------------------------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------------------------


def children_of(pid: int) -> list[int]:
    """The pids whose parent is `pid` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so split after the last ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def descendants_of(pid: int) -> list[int]:
    result, todo = [], [pid]
    while todo:
        for child in children_of(todo.pop()):
            result.append(child)
            todo.append(child)
    return result


def stop_process(process: subprocess.Popen, name: str, timeout: float = 20) -> None:
    """SIGTERM the process, SIGKILL it after `timeout`, then SIGKILL any of its descendants
    still alive (by pid: recorded before the stop)."""
    if process.poll() is None:
        descendants = descendants_of(process.pid)
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            log(f"{name} did not stop in {timeout:g}s: SIGKILL.")
            process.kill()
            process.wait()
        for pid in descendants:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def run_command(args: list[str], env: dict) -> None:
    command = [sys.executable, "manage.py", *args]
    subprocess.run(command, cwd=BASE_DIR, env=env, check=True)  # noqa: S603 - fixed commands


def wait_for_http(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer in time")


# ---------------------------------------------------------------------------------------------
# Clients
# ---------------------------------------------------------------------------------------------


class Tally:
    """What the clients saw, shared by the threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.statuses: Counter = Counter()
        self.errors: list[tuple[float, str]] = []  # (time, "5xx 502" or the exception name)
        self.acknowledged: list[tuple[str, str, str]] = []  # (channel, public_id, marker)
        self.unacknowledged: Counter = Counter()
        self.unacknowledged_at: list[tuple[float, str]] = []  # (time, why)
        self.api_retries = 0
        self.replays = 0

    def add(self, **changes) -> None:
        with self.lock:
            for name, value in changes.items():
                setattr(self, name, getattr(self, name) + value)

    def refused(self, why: str) -> None:
        """A post that filed nothing the client can name (not acknowledged)."""
        with self.lock:
            self.unacknowledged[why] += 1
            self.unacknowledged_at.append((time.monotonic(), why))


def api_body(marker: str, sequence: int, category: tuple[int, str] | None) -> str:
    """One API ticket's JSON body; a retry sends the same one with the same key."""
    fields = {
        "subject": f"{SUBJECTS[sequence % len(SUBJECTS)]} #{marker}",
        "description": f"Charged twice for the same order ({marker}).",
    }
    if category is not None:
        fields["category"] = category[1]
    return json.dumps(fields)


class Client(threading.Thread):
    def __init__(
        self,
        *,
        index: int,
        port: int,
        token: str,
        stop_at: float,
        tally: Tally,
        categories: list[tuple[int, str]] = (),
    ):
        super().__init__(daemon=True, name=f"client-{index}")
        self.index, self.port, self.token, self.stop_at, self.tally = (
            index,
            port,
            token,
            stop_at,
            tally,
        )
        # (pk, slug) of the seeded categories: most tickets name one (routed to its team),
        # one in len+1 names none (the desk's unassigned queue).
        self.categories = list(categories)
        self.conn: http.client.HTTPConnection | None = None

    def category_for(self, sequence: int) -> tuple[int, str] | None:
        if not self.categories:
            return None
        slot = (self.index * 3 + sequence) % (len(self.categories) + 1)
        return self.categories[slot] if slot < len(self.categories) else None

    def request(self, method: str, path: str, body=None, headers=None):
        """One request on the kept connection; a new connection after any error."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        self.tally.add(requests=1)
        try:
            self.conn.request(method, path, body=body, headers=headers or {})
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            self.conn = None
            with self.tally.lock:
                self.tally.statuses[type(exc).__name__] += 1
                self.tally.errors.append((time.monotonic(), type(exc).__name__))
            return None, b""
        with self.tally.lock:
            self.tally.statuses[response.status] += 1
            if response.status >= 500:
                self.tally.errors.append((time.monotonic(), f"HTTP {response.status}"))
        return response, data

    def run(self) -> None:
        sequence = 0
        while time.monotonic() < self.stop_at:
            sequence += 1
            marker = f"L{self.index}x{sequence}x{uuid.uuid4().hex[:8]}"
            if (self.index + sequence) % 2:
                self.portal(marker, sequence)
            else:
                self.api(marker, sequence)
        if self.conn is not None:
            self.conn.close()

    def portal(self, marker: str, sequence: int) -> None:
        response, html = self.request("GET", "/portal/")
        if response is None or response.status != 200:
            return
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie") or "")
        if not token or not cookie:
            self.tally.refused("portal form without CSRF")
            return
        fields = {
            "csrfmiddlewaretoken": token.group(1).decode(),
            "name": f"Load Client {self.index}",
            "email": f"load-{self.index}-{sequence % 20}@load.example",
            "subject": f"{SUBJECTS[sequence % len(SUBJECTS)]} #{marker}",
            "description": f"The page fails after the last step ({marker}).",
        }
        category = self.category_for(sequence)
        if category is not None:
            fields["category"] = str(category[0])
        body = urlencode(fields)
        response, _ = self.request(
            "POST",
            "/portal/",
            body,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={cookie.group(1)}",
            },
        )
        location = response.getheader("Location", "") if response is not None else ""
        found = re.search(r"/portal/submitted/([^/]+)/", location)
        if response is not None and response.status == 302 and found:
            with self.tally.lock:
                self.tally.acknowledged.append(("portal", found.group(1), marker))
        else:
            # Not retried: a form post is not idempotent.
            why = f"portal {response.status}" if response is not None else "portal dropped"
            self.tally.refused(why)

    def api(self, marker: str, sequence: int, *, first_attempt: int = 0) -> None:
        body = api_body(marker, sequence, self.category_for(sequence))
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/json",
            "Idempotency-Key": marker,
        }
        for attempt in range(first_attempt, API_ATTEMPTS):
            if attempt:
                self.tally.add(api_retries=1)
                time.sleep(0.2 * attempt)
            response, data = self.request("POST", API_PATH, body, headers)
            if response is None or response.status >= 500:
                continue  # the same key and body: at most one ticket whatever happened
            if response.status in (200, 201):
                public_id = json.loads(data).get("public_id", "")
                with self.tally.lock:
                    self.tally.acknowledged.append(("api", public_id, marker))
                    if response.getheader("Idempotent-Replayed") == "true":
                        self.tally.replays += 1
                return
            self.tally.refused(f"api {response.status}")
            return
        self.tally.refused("api gave up")


# ---------------------------------------------------------------------------------------------
# The kills: a web worker in the middle of an API request, a task worker in the middle of work
# ---------------------------------------------------------------------------------------------


def socket_inode(*, server_port: int, client_port: int) -> str | None:
    """The inode of the server side of a loopback TCP connection (from /proc/net/tcp)."""
    try:
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        local, remote = fields[1].split(":"), fields[2].split(":")
        if int(local[1], 16) == server_port and int(remote[1], 16) == client_port:
            return fields[9]
    return None


def process_holding(inode: str, pids: list[int]) -> int | None:
    """Which of `pids` has the socket `inode` open."""
    target = f"socket:[{inode}]"
    for pid in pids:
        try:
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            with contextlib.suppress(OSError):
                if os.readlink(fd) == target:
                    return pid
    return None


class InFlightApiRequest:
    """An API ticket post held open: its headers and half its body sent, so the web worker
    that accepted it waits for the rest. Killing that worker kills one in the middle of a
    request every time (not only when the timing happens to fall so), and `finish()` then
    retries it as every API client does, with the same key and body."""

    def __init__(self, client: Client, marker: str) -> None:
        self.client, self.marker = client, marker
        self.body = api_body(marker, 0, client.category_for(0)).encode()
        head = (
            f"POST {API_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {client.token}\r\nContent-Type: application/json\r\n"
            f"Idempotency-Key: {marker}\r\nContent-Length: {len(self.body)}\r\n\r\n"
        )
        self.sock = socket.create_connection(("127.0.0.1", client.port), timeout=30)
        self.sock.sendall(head.encode() + self.body[: len(self.body) // 2])
        client.tally.add(requests=1)

    def worker(self, workers: list[int], timeout: float = 10) -> int | None:
        """The web worker that took this request (None if none did in time)."""
        client_port = self.sock.getsockname()[1]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            inode = socket_inode(server_port=self.client.port, client_port=client_port)
            pid = process_holding(inode, workers) if inode else None
            if pid:
                return pid
            time.sleep(0.05)
        return None

    def finish(self, *, killed: bool) -> None:
        """After the kill: the held request is lost, so it is sent again (a retry). Without a
        kill it is abandoned unfinished (it filed nothing) and sent as a first attempt."""
        self.sock.close()
        if killed:
            with self.client.tally.lock:
                self.client.tally.statuses["ConnectionResetError"] += 1
                self.client.tally.errors.append((time.monotonic(), "ConnectionResetError"))
        self.client.api(self.marker, 0, first_attempt=1 if killed else 0)


def wait_for_backlog(workers: int, timeout: float = 10) -> bool:
    """Whether, within `timeout`, more tasks were queued than there are task workers: then
    every worker has one in hand, and killing one interrupts a task."""
    from django_q.models import OrmQ

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if OrmQ.objects.count() > workers:
            return True
        time.sleep(0.1)
    return False


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------


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


def probe_task_worker(timeout: float = 60) -> int:
    """The pid of a django-q2 worker process: it runs `os.getpid` as a task."""
    from django_q.tasks import async_task, result

    task_id = async_task("os.getpid")
    pid = result(task_id, wait=int(timeout * 1000))
    if not pid:
        raise RuntimeError("no django-q2 worker answered the probe task")
    return int(pid)


def wait_until_settled(deadline_seconds: float) -> tuple[bool, float]:
    """Wait while the worker runs what is queued and its scheduler runs the installed
    schedules (the notification retry job every five minutes among them), until the queue is
    empty, no email or webhook is unsent and neither has changed for a few seconds. Returns
    whether that happened before the deadline, and how long it took. A task the killed worker
    held stays locked until the broker's retry (`Q_RETRY_SECONDS`, 30 s here), then runs
    again; an email that failed while the mail server was down waits for the retry job, as
    in production."""
    from django_q.models import OrmQ

    started = time.monotonic()
    quiet_since, last = None, None
    while time.monotonic() - started < deadline_seconds:
        state = (OrmQ.objects.count(), unsent_count())
        if state == (0, 0) and state == last:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= 3:
                return True, time.monotonic() - started
        else:
            quiet_since = None
        last = state
        time.sleep(1)
    return False, time.monotonic() - started


def unsent_count() -> int:
    from tickets.models import Notification
    from tickets.tasks import DELIVERED_CHANNELS

    return Notification.objects.filter(sent_at__isnull=True, channel__in=DELIVERED_CHANNELS).count()


def follow_ups_run_again() -> int:
    """Follow-up tasks that ran more than once (a kill, then the broker's retry)."""
    from django_q.models import Task

    return Task.objects.filter(
        func="tickets.tasks.run_deferred_hooks", attempt_count__gte=2
    ).count()


def _percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))], 1)


def verify(
    tally: Tally,
    sink_messages: list[tuple[str, str]],
    kill_at: float | None,
    first_ticket: int,
) -> dict:
    """The run's figures, counted from what the clients were told and from the tickets (not
    only from the rows that happen to exist). `sink_messages`: (Message-ID, ticket reference)
    of every email the mail server accepted."""
    from agents.routing import team_for_category
    from tickets.models import OPEN_STATUSES, Category, Notification, Ticket
    from tickets.tasks import DELIVERED_CHANNELS

    acknowledged = tally.acknowledged
    ids = [public_id for _, public_id, _ in acknowledged]
    stored = Counter(Ticket.objects.filter(public_id__in=ids).values_list("public_id", flat=True))
    missing = [public_id for public_id in ids if stored[public_id] != 1]
    run_tickets = list(
        Ticket.objects.filter(pk__gt=first_ticket).values_list(
            "pk",
            "public_id",
            "subject",
            "team_id",
            "status",
            "category_id",
            "created_at",
            "assignee_id",
        )
    )
    # Each marker (one idempotency key, or one portal post) must have filed at most one ticket.
    per_marker = Counter(row[2].rsplit("#", 1)[-1] for row in run_tickets)
    duplicates = {marker: n for marker, n in per_marker.items() if n > 1}
    # An acknowledged marker must be the ticket the answer named (a replay names the same one).
    acked_twice = [pid for pid, n in Counter(ids).items() if n > 1]

    # Reaching agents, as designed (agents.routing): an open ticket whose category has a team
    # is in that team (assigned, or waiting for capacity), or with the agent an automation
    # rule gave it (the demo's onboarding rule). The AI only refines this later, so its faults
    # must change nothing. Tickets without a team-bound category are not counted
    # as checked: a run where few tickets had one checked little (see `violations`).
    team_of = {}
    for category in {row[5] for row in run_tickets if row[5]}:
        team = team_for_category(Category.objects.get(pk=category))
        team_of[category] = team.pk if team else None
    routed_checked = [row for row in run_tickets if team_of.get(row[5]) is not None]
    unrouted = [
        row[2]
        for row in routed_checked
        if row[4] not in OPEN_STATUSES or (row[3] != team_of[row[5]] and row[7] is None)
    ]

    # The confirmation of every ticket, counted from the tickets: its follow-up task records
    # it (none recorded: the follow-up was lost), and the mail server must have got it once.
    emails = Notification.objects.filter(channel=Notification.Channel.EMAIL)
    confirmations: dict[int, list[tuple[str, object]]] = {}
    for ticket_id, message_id, sent_at in emails.filter(
        kind="ticket_created", ticket_id__gt=first_ticket
    ).values_list("ticket_id", "email_message_id", "sent_at"):
        confirmations.setdefault(ticket_id, []).append((message_id, sent_at))
    sink_counts = Counter(message_id for message_id, _ in sink_messages)
    by_public_id = {row[1]: row[0] for row in run_tickets}
    acked_tickets = {by_public_id[pid] for pid in ids if pid in by_public_id}
    not_confirmed_once = [
        ticket_id
        for ticket_id in acked_tickets
        if sum(sink_counts[mid] for mid, _ in confirmations.get(ticket_id, [])) != 1
    ]
    follow_ups_missing = [row[0] for row in run_tickets if len(confirmations.get(row[0], [])) != 1]
    created_at = {row[0]: row[6] for row in run_tickets}
    delays = [
        (sent_at - created_at[ticket_id]).total_seconds()
        for ticket_id, rows in confirmations.items()
        for _, sent_at in rows
        if sent_at is not None and ticket_id in created_at
    ]

    email_ids = dict(emails.values_list("email_message_id", "sent_at"))
    sent_twice = {mid: n for mid, n in sink_counts.items() if n > 1}
    never_received = [mid for mid, sent_at in email_ids.items() if sent_at and not sink_counts[mid]]
    unknown = [mid for mid in sink_counts if mid not in email_ids]
    unsent = Notification.objects.filter(sent_at__isnull=True, channel__in=DELIVERED_CHANNELS)
    failed_once = emails.exclude(attempts=1, last_error="").count()

    window = (kill_at - 0.5, kill_at + KILL_GRACE_SECONDS) if kill_at else None

    def in_window(moment: float) -> bool:
        return window is not None and window[0] <= moment <= window[1]

    outside = [e for e in tally.errors if not in_window(e[0])]
    refused_outside = [why for moment, why in tally.unacknowledged_at if not in_window(moment)]
    return {
        "requests": tally.requests,
        "statuses": dict(sorted((str(k), v) for k, v in tally.statuses.items())),
        "acknowledged": len(ids),
        "acknowledged_portal": sum(1 for channel, *_ in acknowledged if channel == "portal"),
        "acknowledged_api": sum(1 for channel, *_ in acknowledged if channel == "api"),
        "unacknowledged": dict(tally.unacknowledged),
        "unacknowledged_outside_kill_window": len(refused_outside),
        "api_retries": tally.api_retries,
        "idempotent_replays": tally.replays,
        "tickets_created": len(run_tickets),
        "acknowledged_missing_or_twice": len(missing) + len(acked_twice),
        "duplicate_tickets": len(duplicates),
        "tickets_routing_checked": len(routed_checked),
        "tickets_in_a_team": sum(1 for row in run_tickets if row[3] is not None),
        "unrouted_tickets": len(unrouted),
        "errors_in_kill_window": len(tally.errors) - len(outside),
        "errors_outside_kill_window": len(outside),
        "error_kinds_outside": dict(Counter(kind for _, kind in outside)),
        "server_errors_outside": sum(1 for _, kind in outside if kind.startswith("HTTP 5")),
        "acknowledged_not_confirmed_once": len(not_confirmed_once),
        "tickets_without_one_confirmation": len(follow_ups_missing),
        "confirmation_delay_p50_s": _percentile(delays, 0.5),
        "confirmation_delay_p99_s": _percentile(delays, 0.99),
        "confirmation_delay_max_s": round(max(delays), 1) if delays else None,
        "confirmations_later_than_60s": sum(1 for delay in delays if delay > 60),
        "email_notifications": len(email_ids),
        "emails_received": len(sink_messages),
        "emails_sent_twice": len(sent_twice),
        "emails_sent_not_received": len(never_received),
        "emails_unknown": len(unknown),
        "notifications_unsent": unsent.count(),
        "emails_needing_a_retry": failed_once,
    }


def violations(figures: dict) -> list[str]:
    """Every broken promise, and every check or fault that tested nothing, as one line each.
    Figures a run did not produce (no kill asked for, no mail outage) are not required."""
    checks = {
        "acknowledged tickets missing or twice": figures["acknowledged_missing_or_twice"],
        "duplicate tickets for one key or post": figures["duplicate_tickets"],
        "acknowledged tickets without exactly one confirmation received": figures[
            "acknowledged_not_confirmed_once"
        ],
        "tickets whose follow-up recorded no confirmation": figures[
            "tickets_without_one_confirmation"
        ],
        "tickets not routed to their category's team": figures["unrouted_tickets"],
        "5xx outside the kill window": figures["server_errors_outside"],
        "posts not acknowledged outside the kill window": figures[
            "unacknowledged_outside_kill_window"
        ],
        "emails sent more than once": figures["emails_sent_twice"],
        "emails marked sent but never received": figures["emails_sent_not_received"],
        "emails received for no notification": figures["emails_unknown"],
        "notifications still unsent": figures["notifications_unsent"],
    }
    found = [f"{name}: {count}" for name, count in checks.items() if count]
    # Vacuous checks and skipped faults fail too: a run that tested nothing proves nothing.
    if not figures["acknowledged"]:
        found.append("no ticket was acknowledged at all")
    if figures["tickets_routing_checked"] * 2 < figures["tickets_created"]:
        found.append(
            f"routing checked on only {figures['tickets_routing_checked']} of "
            f"{figures['tickets_created']} tickets (most need a category with a team)"
        )
    if not figures.get("queue_drained", True):
        found.append("the queue or the unsent emails did not drain before the deadline")
    if not sum((figures.get("ai_calls") or {}).values()):
        found.append("the AI stub was never called")
    if figures.get("kill_requested"):
        killed = figures.get("killed") or {}
        for process in ("web worker", "task worker"):
            if process not in killed:
                found.append(f"the {process} kill was skipped")
        if not figures["api_retries"]:
            found.append("no API request was retried (the web worker kill hit none)")
        if not figures.get("task_worker_busy_at_kill"):
            found.append("the task worker was not shown busy when it was killed")
    if figures.get("mail_outage_requested") and not figures["emails_needing_a_retry"]:
        found.append("the mail outage failed no delivery")
    return found


def print_table(figures: dict) -> None:
    width = max(len(name) for name in figures)
    print()
    print(f"{'figure':<{width}}  value")
    print(f"{'-' * width}  {'-' * 30}")
    for name, value in figures.items():
        print(f"{name:<{width}}  {value}")
    print(flush=True)


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
