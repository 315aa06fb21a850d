"""The load-and-faults run's clients: API clients that file and follow tickets and tally what
they saw, and the kill of a web worker in the middle of an API request.
"""

import http.client
import json
import re
import socket
import threading
import time
import uuid
from collections import Counter
from urllib.parse import urlencode

from bench.fault_processes import process_holding, socket_inode

API_PATH = "/api/v1/tickets"


API_ATTEMPTS = 6


SUBJECTS = (
    "Invoice charged twice",
    "Cannot log in after password reset",
    "Export to CSV fails with an error",
    "How do I invite my team",
    "Card declined when upgrading",
)


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
