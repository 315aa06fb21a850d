"""`make loadtest` in miniature: the load-and-faults harness (bench/faults.py) for 5 seconds
with 2 clients, a web worker killed in the middle of an API post and a busy task worker
killed midway, the AI stub failing in rotation, the installed schedules running in the worker
(PostgreSQL). The mail outage is left to `make loadtest`: an email failed by it waits for the
five-minute retry schedule, too long for CI; its check is in tests/bench/test_faults_checks.py.

The harness runs as a subprocess in a session of its own, against a database of its own
next to the test database, dropped afterwards. Nothing here depends on timing: the harness
checks its invariants (acknowledged tickets stored once, no duplicate per idempotency key,
every ticket's confirmation recorded and received once, no 5xx outside the kill window,
tickets routed to their category's team) and that its faults and checks tested something
(an API retry after the kill, a busy task worker killed, the queue drained), and exits
non-zero on a violation. Whatever happens, its process group (gunicorn, qcluster and their
children) is killed before the test ends.
"""

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

pytestmark = [pytest.mark.postgres]

BASE_DIR = Path(__file__).resolve().parents[2]
TIMEOUT_SECONDS = 600


def loadtest_database_url() -> str:
    db = settings.DATABASES["default"]
    auth = quote(db.get("USER") or "")
    if db.get("PASSWORD"):
        auth += f":{quote(db['PASSWORD'])}"
    host = f"{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"
    name = f"{db['NAME']}_faults"
    return f"postgres://{auth}@{host}/{name}" if auth else f"postgres://{host}/{name}"


@pytest.fixture
def harness_output():
    if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        pytest.skip("the load-and-faults harness runs against PostgreSQL")
    env = {**os.environ, "LOADTEST_DATABASE_URL": loadtest_database_url()}
    process = subprocess.Popen(  # noqa: S603 - our own harness, fixed arguments
        [sys.executable, "-m", "bench.faults", "--seconds", "5", "--clients", "2"]
        + ["--no-mail-outage", "--drain-seconds", "150", "--drop"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=TIMEOUT_SECONDS)
        yield process.returncode, output
    finally:
        if process.poll() is None:
            # Its own session: the group is the harness and everything it started.
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        else:
            # The harness stops its processes; a straggler of its group still goes.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)


def figures(output: str) -> dict[str, str]:
    table = {}
    for line in output.splitlines():
        name, _, value = line.partition("  ")
        if name and value and " " not in name:
            table[name] = value.strip()
    return table


def test_load_with_killed_workers_and_faults_keeps_every_promise(harness_output):
    returncode, output = harness_output
    assert returncode == 0, output[-6000:]
    table = figures(output)
    assert "No violation." in output
    assert "web worker" in table["killed"] and "task worker" in table["killed"]
    assert table["task_worker_busy_at_kill"] == "True"
    assert table["queue_drained"] == "True"
    assert int(table["acknowledged"]) > 0
    assert int(table["api_retries"]) >= 1
    assert int(table["tickets_routing_checked"]) * 2 >= int(table["tickets_created"])
    assert table["duplicate_tickets"] == "0"
    assert table["acknowledged_not_confirmed_once"] == "0"
    assert table["tickets_without_one_confirmation"] == "0"
    assert table["emails_sent_twice"] == "0"
    assert table["notifications_unsent"] == "0"
    assert table["server_errors_outside"] == "0"
    assert table["emails_received"] == table["email_notifications"]
