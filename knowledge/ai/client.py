"""The OpenAI-compatible client, and one deadline per model call.

The AI is on only when both `AI_BASE_URL` and `AI_API_KEY` are set.

`call_within_deadline` makes one model call (chat or embeddings) that ends within its
deadline (`AI_DEADLINE_SECONDS`, 20 s by default) whatever the provider does: connecting,
sending, every read of the answer and the retries all share it. The client library's own
limits are not enough: its timeout applies to each read, so a provider trickling a byte every
few seconds never times out, and its retries wait out a 429's `Retry-After` (up to two
minutes). So the library makes no retry of its own (`max_retries=0`) and its sockets come from
`DeadlineBackend`, which gives every connect, read and write only the time the call has left
and fails the moment it is spent. Within the deadline a timeout, a dropped connection or a 5xx
is retried up to `AI_MAX_RETRIES` times, each attempt also bounded by `AI_TIMEOUT_SECONDS`; a
429 is never waited out here: it goes back to the caller at once and the circuit breaker
(`knowledge.ai.breaker`) pauses calls for as long as the provider asked.

Requests go straight to `AI_BASE_URL`: the `HTTP(S)_PROXY` environment variables are not used,
since a proxy's connection would not be bounded by the deadline. Resolving the provider's host
name (DNS) happens before the first connect and is not bounded either.
"""

import functools
import ssl
import time
from collections.abc import Callable, Iterable
from typing import Any

import httpcore2
import httpx2
import openai
from django.conf import settings

# Pause before a retry (never past the deadline): enough for a provider's hiccup to pass.
RETRY_PAUSE_SECONDS = 0.25


def ai_enabled() -> bool:
    return bool(settings.AI_BASE_URL and settings.AI_API_KEY)


def call_deadline_seconds() -> float:
    """The longest one model call may take, retries included (`AI_DEADLINE_SECONDS`)."""
    return float(settings.AI_DEADLINE_SECONDS)


class Deadline:
    """A point in time, on the monotonic clock, by which a call must end."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.ends - time.monotonic()

    def clamp(self, timeout: float | None, *, error: type[Exception]) -> float:
        """`timeout` cut to the time left; `error` when none is left."""
        left = self.remaining()
        if left <= 0:
            raise error(f"No time left of the {self.seconds:g} s deadline.")
        return left if timeout is None else min(timeout, left)


class DeadlineExceeded(openai.APITimeoutError):
    """The provider did not answer within the call's deadline (a provider fault)."""

    def __init__(self, *, deadline: Deadline, attempts: int, request: httpx2.Request) -> None:
        tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
        message = (
            f"No answer within the {deadline.seconds:g} s deadline ({tries}; connect, reads "
            "and retries together)."
        )
        openai.APIConnectionError.__init__(self, message=message, request=request)


class DeadlineStream(httpcore2.NetworkStream):
    """A socket stream whose every operation gets at most the time the call has left."""

    def __init__(self, stream: httpcore2.NetworkStream, deadline: Deadline) -> None:
        self.stream = stream
        self.deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        timeout = self.deadline.clamp(timeout, error=httpcore2.ReadTimeout)
        return self.stream.read(max_bytes, timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        timeout = self.deadline.clamp(timeout, error=httpcore2.WriteTimeout)
        self.stream.write(buffer, timeout)

    def close(self) -> None:
        self.stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        timeout = self.deadline.clamp(timeout, error=httpcore2.ConnectTimeout)
        tls = self.stream.start_tls(ssl_context, server_hostname, timeout)
        return DeadlineStream(tls, self.deadline)

    def get_extra_info(self, info: str) -> Any:
        return self.stream.get_extra_info(info)


class DeadlineBackend(httpcore2.NetworkBackend):
    """httpcore's own socket backend, with every connection bound to one deadline."""

    def __init__(self, deadline: Deadline) -> None:
        self.backend = httpcore2.SyncBackend()
        self.deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable | None = None,
    ) -> httpcore2.NetworkStream:
        timeout = self.deadline.clamp(timeout, error=httpcore2.ConnectTimeout)
        stream = self.backend.connect_tcp(host, port, timeout, local_address, socket_options)
        return DeadlineStream(stream, self.deadline)

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        timeout = self.deadline.clamp(timeout, error=httpcore2.ConnectTimeout)
        stream = self.backend.connect_unix_socket(path, timeout, socket_options)
        return DeadlineStream(stream, self.deadline)

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, min(seconds, self.deadline.remaining())))


@functools.cache
def ssl_context() -> ssl.SSLContext:
    """httpx's default TLS context (certifi, or `SSL_CERT_FILE`), built once per process:
    loading the certificates takes longer than many model calls."""
    return httpx2.create_ssl_context()


class DeadlineTransport(httpx2.HTTPTransport):
    """httpx's own transport over a connection pool whose sockets all end by `deadline`.
    httpx has no public way to choose the socket backend, so the pool (the one attribute
    `HTTPTransport` works through) is built here instead of in its constructor."""

    def __init__(self, deadline: Deadline) -> None:  # no super().__init__(): see above
        self._pool = httpcore2.ConnectionPool(
            ssl_context=ssl_context(), network_backend=DeadlineBackend(deadline)
        )


def is_retryable(exc: Exception) -> bool:
    """Worth another attempt: a timeout, a dropped connection or a 5xx. Not a 429 (the breaker
    pauses calls for as long as the provider asked) nor any other 4xx."""
    if isinstance(exc, openai.APIConnectionError):
        return True
    return isinstance(exc, openai.APIStatusError) and exc.status_code >= 500


def call_within_deadline[T](
    request: Callable[[openai.OpenAI], T],
    *,
    seconds: float | None = None,
    retries: int | None = None,
) -> T:
    """`request(client)`, attempted up to 1 + `retries` (`AI_MAX_RETRIES`) times, all within
    `seconds` (`AI_DEADLINE_SECONDS`). Raises what the last attempt raised, or
    `DeadlineExceeded` once the deadline is spent."""
    deadline = Deadline(call_deadline_seconds() if seconds is None else seconds)
    attempts = 1 + (int(settings.AI_MAX_RETRIES) if retries is None else retries)
    timeout = float(settings.AI_TIMEOUT_SECONDS)
    with httpx2.Client(transport=DeadlineTransport(deadline), trust_env=False) as http:
        client = openai.OpenAI(
            base_url=settings.AI_BASE_URL,
            api_key=settings.AI_API_KEY,
            timeout=timeout,
            max_retries=0,
            http_client=http,
        )
        for attempt in range(1, attempts + 1):
            try:
                return request(client)
            except openai.APIConnectionError as exc:
                if deadline.remaining() <= 0:
                    raise DeadlineExceeded(
                        deadline=deadline, attempts=attempt, request=exc.request
                    ) from exc
                if attempt == attempts:
                    raise
            except openai.APIStatusError as exc:
                if attempt == attempts or not is_retryable(exc):
                    raise
            time.sleep(max(0.0, min(RETRY_PAUSE_SECONDS, deadline.remaining() - 0.001)))
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
