"""`make loadtest` in miniature: the load-and-faults harness (bench/faults.py) for 5 seconds
with 2 clients, one web worker and one task worker killed midway, the SMTP sink down for a
stretch, the AI stub failing in rotation (PostgreSQL).

The harness runs as a subprocess in a session of its own, against a database of its own
next to the test database, dropped afterwards. Nothing here depends on timing: the harness
checks its invariants (acknowledged tickets stored once, no duplicate per idempotency key,
every email sent exactly once, no 5xx outside the kill window, every ticket in the desk) and
exits non-zero on a violation. Whatever happens, its process group (gunicorn, qcluster and
their children) is killed before the test ends.
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
        + ["--drain-seconds", "120", "--drop"],
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
    assert int(table["acknowledged"]) > 0
    assert table["duplicate_tickets"] == "0"
    assert table["emails_sent_twice"] == "0"
    assert table["notifications_unsent"] == "0"
    assert table["server_errors_outside"] == "0"
    # Every email notification reached the sink, the outage's ones through the retry job.
    assert table["emails_received"] == table["email_notifications"]
