"""Tasks and an email backend for the real-worker tests (tests/tickets/test_task_attempts.py):
each records what it did in a file, and kills its own worker process the way a crash would."""

import os
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend


def start_and_die(path: str) -> None:
    """Kills its worker on every attempt."""
    with Path(path).open("a") as file:
        file.write(f"{os.getpid()}\n")
    os._exit(1)


def die_once(path: str) -> str:
    """Kills its worker on the first attempt and succeeds on the next."""
    marker = Path(path)
    if not marker.exists():
        marker.write_text(f"{os.getpid()}\n")
        os._exit(1)
    return "done"


class DieOnFirstSendBackend(BaseEmailBackend):
    """An email backend for a worker process: the first send kills the process (the worker
    dies in the middle of a delivery); later sends append each subject to a file."""

    def send_messages(self, messages) -> int:
        marker = Path(os.environ["WORKER_KILL_MARKER"])
        if not marker.exists():
            marker.write_text(f"{os.getpid()}\n")
            os._exit(1)
        with Path(os.environ["WORKER_MAIL_OUT"]).open("a") as file:
            for message in messages:
                file.write(f"{message.subject}\n")
        return len(messages)
