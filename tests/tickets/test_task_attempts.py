"""Workers killed mid-task, with a real `manage.py qcluster` on the test database
(PostgreSQL: the worker is another process): task attempts are counted even when a task
kills its worker (tickets.task_attempts), and a ticket's follow-up killed while sending its
confirmation sends it when it runs again (tickets.notifications). Short timeout and retry
settings keep each to about ten seconds."""

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django_q.conf import Conf
from django_q.models import OrmQ, Task
from django_q.tasks import async_task

from tests.factories import TicketFactory
from tickets.models import Notification, TaskAttempt

BASE_DIR = Path(__file__).resolve().parents[2]
MAX_ATTEMPTS = 3
RETRY_SECONDS = 2
DEADLINE_SECONDS = 45


def test_database_url() -> str:
    db = settings.DATABASES["default"]
    auth = quote(db.get("USER") or "")
    if db.get("PASSWORD"):
        auth += f":{quote(db['PASSWORD'])}"
    host = f"{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"
    return f"postgres://{auth}@{host}/{db['NAME']}" if auth else f"postgres://{host}/{db['NAME']}"


test_database_url.__test__ = False  # a helper, not a test


@pytest.fixture
def worker_dir():
    with tempfile.TemporaryDirectory(prefix="task-attempts-") as folder:
        yield Path(folder)


@pytest.fixture
def qcluster(worker_dir, monkeypatch):
    """Starts `manage.py qcluster` (one worker) once the test has queued its tasks; stopped
    by its process group whatever happens."""
    if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        pytest.skip("the worker process needs the test database on a server")
    monkeypatch.setattr(Conf, "SYNC", False)
    started = []

    def start(**extra_env: str) -> subprocess.Popen:
        env = {
            **os.environ,
            "DATABASE_URL": test_database_url(),
            "Q_SYNC": "false",
            "Q_BROKER": "orm",
            "Q_WORKERS": "1",
            "Q_TIMEOUT_SECONDS": "1",
            "Q_RETRY_SECONDS": str(RETRY_SECONDS),
            "Q_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
            **extra_env,
        }
        process = subprocess.Popen(  # noqa: S603 - our own manage.py, fixed arguments
            [sys.executable, "manage.py", "qcluster"],
            cwd=BASE_DIR,
            env=env,
            stdout=(worker_dir / "qcluster.log").open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()  # the cluster's own stop: it stops its processes
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def starts(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


@pytest.mark.postgres  # the worker is another process: it needs a database server
@pytest.mark.django_db(transaction=True)  # and sees only what is committed
def test_a_task_that_kills_its_worker_every_time_stops_after_its_attempt_limit(
    qcluster, worker_dir
):
    killer = worker_dir / "killer.starts"
    recovers = worker_dir / "recovers.starts"
    killer_id = async_task("tests.tickets.worker_tasks.start_and_die", str(killer))
    recovers_id = async_task("tests.tickets.worker_tasks.die_once", str(recovers))
    qcluster()

    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline and starts(killer) <= MAX_ATTEMPTS:
        if not OrmQ.objects.exists():
            break
        time.sleep(0.5)
    # The last attempt took its task off the queue before it ran: let it write its line.
    time.sleep(1)
    log = (worker_dir / "qcluster.log").read_text()[-3000:]

    assert starts(killer) == MAX_ATTEMPTS, log
    assert not OrmQ.objects.exists(), log
    given_up = Task.objects.get(id=killer_id)
    assert given_up.success is False
    assert given_up.attempt_count == MAX_ATTEMPTS
    assert "worker died" in str(given_up.result)

    # Killed once, then done: its result shows the second attempt.
    recovered = Task.objects.get(id=recovers_id)
    assert recovered.success is True, log
    assert recovered.result == "done"
    assert recovered.attempt_count == 2
    # A success forgets its count.
    assert not TaskAttempt.objects.filter(task_id=recovers_id).exists()


@pytest.mark.postgres  # the worker is another process: it needs a database server
@pytest.mark.django_db(transaction=True)  # and sees only what is committed
def test_a_follow_up_killed_while_sending_sends_the_confirmation_when_it_runs_again(
    qcluster, worker_dir, customer
):
    killed, sent = worker_dir / "killed", worker_dir / "sent"
    ticket = TicketFactory(customer=customer)  # its follow-up task is queued with it
    qcluster(
        EMAIL_BACKEND="tests.tickets.worker_tasks.DieOnFirstSendBackend",
        WORKER_KILL_MARKER=str(killed),
        WORKER_MAIL_OUT=str(sent),
    )

    deadline = time.monotonic() + DEADLINE_SECONDS
    confirmation = Notification.objects.filter(ticket=ticket, channel="email")
    while time.monotonic() < deadline:
        if not OrmQ.objects.exists() and confirmation.filter(sent_at__isnull=False).exists():
            break
        time.sleep(0.5)
    log = (worker_dir / "qcluster.log").read_text()[-3000:]

    assert killed.exists(), log  # the first run died while sending
    # The broker's re-run sent it, at once: no retry job runs here.
    assert sent.read_text().splitlines() == [confirmation.get().subject], log
    assert confirmation.get().attempts == 1
    follow_up = Task.objects.get(func="tickets.tasks.run_deferred_hooks")
    assert (follow_up.success, follow_up.attempt_count) == (True, 2)


# Without a worker, on either database: the counting itself -------------------------------------


def _task(**fields) -> dict:
    return {
        "id": uuid.uuid4().hex,
        "name": "test-task",
        "func": "os.getpid",
        "args": (),
        "kwargs": {},
        **fields,
    }


@pytest.mark.django_db
def test_attempts_are_counted_and_a_success_forgets_them(settings):
    from tickets.task_attempts import task_attempt_finish, task_attempt_start

    task = _task()
    assert [task_attempt_start(task=task) for _ in range(2)] == [1, 2]
    assert TaskAttempt.objects.get(task_id=task["id"]).attempts == 2
    task_attempt_finish(task={**task, "success": True, "result": 7})
    assert not TaskAttempt.objects.filter(task_id=task["id"]).exists()
    # django-q2 adds the attempt it saves to this row: 1 + 1 = both attempts.
    assert Task.objects.get(id=task["id"]).attempt_count == 1


@pytest.mark.django_db
def test_the_last_allowed_attempt_leaves_the_queue_before_it_runs(monkeypatch):
    from django_q.brokers import get_broker

    from tickets.task_attempts import task_attempt_start

    monkeypatch.setattr(Conf, "MAX_ATTEMPTS", 2)
    broker = get_broker()
    ack_id = broker.enqueue("signed-task-package")
    task = _task(ack_id=ack_id)
    task_attempt_start(task=task)
    assert OrmQ.objects.filter(pk=ack_id).exists()
    task_attempt_start(task=task)
    assert not OrmQ.objects.filter(pk=ack_id).exists()
    given_up = Task.objects.get(id=task["id"])
    assert (given_up.success, given_up.attempt_count) == (False, 2)
