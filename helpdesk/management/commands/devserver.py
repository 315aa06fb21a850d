"""`manage.py devserver`: the web server and the task worker in one terminal (`make run`).

Starts `runserver` and `qcluster` as children, each in its own session so that this command
alone decides when they stop: Ctrl-C (or SIGTERM/SIGHUP) stops both, and when either one
exits on its own the other is stopped too. For development only; production runs gunicorn
and `qcluster` as separate services.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

DEMO_LOGINS = [
    ("admin", "demo", "superuser: admin and desk"),
    ("agent", "demo", "agent: desk"),
    ("lead", "demo", "team lead: desk, team queues"),
    ("customer@example.com", "demo", "customer: portal"),
]
STOP_TIMEOUT = 10  # seconds a child gets to shut down cleanly before it is killed


class Command(BaseCommand):
    help = "Run the development web server and the django-q2 worker together."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--noreload", action="store_true", help="Pass on to runserver.")

    def handle(self, *args, addrport: str, noreload: bool, **options):
        self._print_banner(addrport)
        manage = str(settings.BASE_DIR / "manage.py")
        web = [sys.executable, manage, "runserver", addrport]
        if noreload:
            web.append("--noreload")
        children = {
            "web server": self._start(web),
            "task worker": self._start([sys.executable, manage, "qcluster"]),
        }

        stop_requested = []

        def request_stop(signum, frame):
            stop_requested.append(signum)

        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, request_stop)

        exit_code = 0
        while not stop_requested:
            exited = [(name, p) for name, p in children.items() if p.poll() is not None]
            if exited:
                name, process = exited[0]
                exit_code = process.returncode or 1
                self.stderr.write(f"The {name} exited ({process.returncode}); stopping.")
                break
            time.sleep(0.3)

        self.stdout.write("Stopping the web server and the task worker...")
        for process in children.values():
            self._stop(process)
        sys.exit(exit_code)

    @staticmethod
    def _start(command: list[str]) -> subprocess.Popen:
        # A new session per child: the terminal's Ctrl-C reaches only this command, which then
        # stops each child and everything it spawned (the reloader, the worker pool).
        return subprocess.Popen(  # noqa: S603 - our own manage.py, no user input
            command, stdin=subprocess.DEVNULL, start_new_session=True
        )

    @staticmethod
    def _stop(process: subprocess.Popen) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=STOP_TIMEOUT)
        # Whatever is left in the child's process group (its own children) goes now.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def _print_banner(self, addrport: str) -> None:
        base = f"http://{addrport}" if ":" in addrport else f"http://127.0.0.1:{addrport}"
        lines = [
            "",
            "Helpdesk is starting (Ctrl-C stops the web server and the task worker).",
            "",
            f"  Customer portal   {base}/portal/",
            f"  Agent desk        {base}/desk/",
            f"  Admin             {base}/admin/",
            f"  Health check      {base}/healthz",
            "",
            "  Demo logins (user / password):",
        ]
        width = max(len(user) for user, _, _ in DEMO_LOGINS) + 7
        lines += [f"    {f'{u} / {p}':<{width}} {role}" for u, p, role in DEMO_LOGINS]
        lines += [
            "",
            "  Emails are printed in this terminal. AI is off unless a provider is configured.",
            "",
        ]
        self.stdout.write("\n".join(lines))
