"""Tasks for the real-worker tests (tests/tickets/test_task_attempts.py): each records that
it started in a file, then kills its own worker process the way a crash would."""

import os
from pathlib import Path


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
