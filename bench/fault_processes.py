"""The load-and-faults run's database and processes: a scratch database, free ports, starting,
waiting for and stopping processes by pid, and finding the worker that holds a connection.
"""

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent


def log(message: str) -> None:
    print(f"[faults {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
