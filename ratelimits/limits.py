"""Rate limits on what anyone can hammer: login, portal ticket creation and the API.

Counting is fixed windows in the database (`RateLimitWindow`), shared by every web process: a
window opens at a key's first counted request and lasts the rate's period. Each count is ONE
upsert that increments, or restarts an ended window, and returns the new count, so two
requests at the same moment can never both see a count below the limit, and a portal
submission costs one statement (counting in the cache through django-ratelimit cost nine, in
two transactions, and on the database cache two concurrent requests could both write the
same count). The answer past the limit is a 429 page with a Retry-After header, and login
counts failed attempts only, so an office behind one address is not locked out by its own
successful logins.

Rates are settings ("5/15m", or the API's "1000/hour"); tests lower them with the `settings`
fixture. RATELIMIT_ENABLE off switches every limit off. The API's throttles
(`api.throttles`) count through `count_hit` in the same table.
"""

import functools
import hashlib
import ipaddress
import logging
import re
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ratelimits.models import RateLimitWindow

logger = logging.getLogger(__name__)

# Usernames are counted case-insensitively and truncated: the key is a hash, this only bounds
# the work of hashing a 10 MB username.
USERNAME_KEY_LENGTH = 254


def client_ip(request: HttpRequest) -> str:
    """The address a request came from: REMOTE_ADDR, or the rightmost address of the header
    named by CLIENT_IP_HEADER (the one the trusted proxy appended). A malformed header falls
    back to REMOTE_ADDR rather than failing the request."""
    remote = request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104
    header = settings.CLIENT_IP_HEADER
    if header:
        candidates = [part.strip() for part in request.META.get(header, "").split(",")]
        if candidates and candidates[-1]:
            try:
                return str(ipaddress.ip_address(candidates[-1]))
            except ValueError:
                pass
    try:
        return str(ipaddress.ip_address(remote))
    except ValueError:
        return "0.0.0.0"  # noqa: S104


def retry_minutes(retry_after: int) -> int:
    """Seconds to wait, as the whole minutes a page tells a person (rounded up, at least 1)."""
    return -(-max(int(retry_after), 1) // 60)


def too_many_requests(request: HttpRequest, retry_after: int) -> HttpResponse:
    """The 429 page: what happened and when to try again, with Retry-After for clients."""
    retry_after = max(int(retry_after), 1)
    response = render(
        request,
        "429.html",
        {"retry_after": retry_after, "retry_minutes": retry_minutes(retry_after)},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


RATE = re.compile(r"^(\d+)/(\d*)(s|sec|second|m|min|minute|h|hour|d|day)$")
PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

_TABLE = RateLimitWindow._meta.db_table
# Count one request: a new key, or a key whose window ended, starts a window at 1; otherwise
# the count goes up by one. Both SET expressions read the row as it was before the update.
_COUNT = f"""
    INSERT INTO {_TABLE} (key, count, ends_at) VALUES (%s, 1, %s)
    ON CONFLICT (key) DO UPDATE SET
        count = CASE WHEN {_TABLE}.ends_at <= %s THEN 1 ELSE {_TABLE}.count + 1 END,
        ends_at = CASE WHEN {_TABLE}.ends_at <= %s THEN excluded.ends_at ELSE {_TABLE}.ends_at END
    RETURNING count, ends_at
"""  # noqa: S608 - the table name is ours; every value is a parameter


@dataclass(frozen=True)
class Usage:
    count: int
    limit: int
    retry_after: int  # seconds until the window ends

    @property
    def spent(self) -> bool:
        """No further attempt is allowed in this window."""
        return self.count >= self.limit


def parse_rate(rate: str) -> tuple[int, int]:
    """A rate such as "5/15m" as (5, 900): the count allowed and the window in seconds. The
    unit may be spelled out as in Django REST framework's rates ("1000/hour", "5/minute")."""
    match = RATE.match(rate.strip())
    if match is None:
        raise ImproperlyConfigured(
            f"Rate limit {rate!r} is not <count>/<period> with period s, m, h or d (e.g. 5/15m"
            " or 1000/hour)."
        )
    count, multiplier, unit = match.groups()
    return int(count), int(multiplier or 1) * PERIOD_SECONDS[unit[0]]


def _window_key(group: str, value: str) -> str:
    # Hashed: a key is bounded whatever a client sends as its username.
    return hashlib.sha256(f"{group}:{value}".encode()).hexdigest()


def _count(key: str, period: int, now: int) -> tuple[int, int]:
    # Inside a transaction, in a savepoint of its own, so a failed count leaves the caller's
    # transaction usable; in autocommit the statement is its own transaction.
    with (
        transaction.atomic() if connection.in_atomic_block else nullcontext(),
        connection.cursor() as cursor,
    ):
        cursor.execute(_COUNT, [key, now + period, now, now])
        count, ends_at = cursor.fetchone()
    return count, ends_at


def _peek(key: str, now: int) -> tuple[int, int]:
    window = RateLimitWindow.objects.filter(key=key, ends_at__gt=now).first()
    return (window.count, window.ends_at) if window else (0, now)


def _usage(*, group: str, value: str, rate: str, increment: bool) -> Usage | None:
    """This key's usage of the limit, counting this request when `increment`. None when
    limits are off, or when counting failed: a store that cannot be written must not take
    login and ticket filing down with it, so the limit is skipped, loudly."""
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return None
    limit, period = parse_rate(rate)
    now = int(time.time())
    key = _window_key(group, value)
    try:
        count, ends_at = _count(key, period, now) if increment else _peek(key, now)
    except Exception:  # noqa: BLE001 - any storage failure means "not counted", logged
        logger.exception("Rate limit %s not applied: counting failed", group)
        return None
    return Usage(count=count, limit=limit, retry_after=max(ends_at - now, 1))


def count_hit(*, group: str, value: str, rate: str) -> Usage | None:
    """Count one request of `value` (an address, a user id) against `rate` in `group`; the
    usage including this request, or None when limits are off or counting failed. The
    request is over the limit when `usage.count > usage.limit`."""
    return _usage(group=group, value=value, rate=rate, increment=True)


def windows_delete_ended() -> int:
    """Delete the windows that have ended (scheduled daily). Returns how many went."""
    deleted, _ = RateLimitWindow.objects.filter(ends_at__lte=int(time.time())).delete()
    return deleted


def limit_posts_per_ip(
    group: str,
    rate_setting: str,
    *,
    limited: Callable[[HttpRequest, int], HttpResponse] | None = None,
) -> Callable:
    """Decorator: at most `settings.<rate_setting>` POSTs per client IP to this view; past the
    limit the view is not called and the client gets a 429 with Retry-After: the generic page,
    or what `limited(request, retry_after)` renders (a form page that keeps what the person
    typed). GETs are never counted."""
    answer = limited or too_many_requests

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if request.method == "POST":
                rate = getattr(settings, rate_setting)
                usage = count_hit(group=group, value=client_ip(request), rate=rate)
                if usage is not None and usage.count > usage.limit:
                    response = answer(request, usage.retry_after)
                    response.status_code = 429
                    response["Retry-After"] = str(max(int(usage.retry_after), 1))
                    return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def login_username(request: HttpRequest) -> str:
    """The username of a login POST as counted: trimmed, lower-cased, bounded."""
    return request.POST.get("username", "").strip().lower()[:USERNAME_KEY_LENGTH]


# Login failures are counted three ways. The pair (username, address) is the lock a stranger
# can reach, and it locks only the stranger's own address. The username alone has a much
# higher ceiling (guessing spread over many addresses), the address alone one for spraying
# many usernames. A known device or known address is only slowed down by the last two.
LOGIN_PAIR, LOGIN_USERNAME, LOGIN_IP, LOGIN_KNOWN = (
    "login-pair",
    "login-username",
    "login-ip",
    "login-known",
)

LOGIN_MESSAGES = {
    LOGIN_PAIR: "Too many attempts from your network for this account; try again in {wait}.",
    LOGIN_IP: "Too many attempts from your network; try again in {wait}.",
    LOGIN_USERNAME: (
        "Too many attempts for this account from many networks; try again in {wait}. If you "
        "have signed in from this browser or this network before, you can still sign in."
    ),
    LOGIN_KNOWN: "Too many attempts for this account; try again in {wait}.",
}


@dataclass(frozen=True)
class LoginRefusal:
    """Why a login POST is not checked now, and when it may be tried again."""

    retry_after: int
    message: str


def _wait_text(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _refusal(group: str, retry_after: int) -> LoginRefusal:
    return LoginRefusal(retry_after, LOGIN_MESSAGES[group].format(wait=_wait_text(retry_after)))


def login_limits(request: HttpRequest, username: str) -> list[tuple[str, str, str]]:
    """The three failure counters (group, counted value, rate) of a login POST."""
    address = client_ip(request)
    return [
        (LOGIN_PAIR, f"{username}\n{address}", settings.RATELIMIT_LOGIN_PAIR),
        (LOGIN_USERNAME, username, settings.RATELIMIT_LOGIN_USERNAME),
        (LOGIN_IP, address, settings.RATELIMIT_LOGIN_IP),
    ]


def login_refusal(
    request: HttpRequest, *, username: str, known: Callable[[], str] = lambda: ""
) -> LoginRefusal | None:
    """Whether this login POST may check its password now (None) or is refused, and why.

    A stranger who spent a counter is refused without the password being checked, so a
    blocked attacker learns nothing. `known()`, asked only when a counter is spent, names how
    the client is known for this username ("device": the signed cookie of an earlier
    sign-in; "address:<ip>": an address it signed in from; "": not). A known client is
    slowed down, not locked: while a counter is spent it may still try once per
    RATELIMIT_LOGIN_KNOWN, so the real user gets in with the right password and a stranger
    sharing the address gains almost nothing.
    """
    spent = []
    for group, value, rate in login_limits(request, username):
        usage = _usage(group=group, value=value, rate=rate, increment=False)
        if usage is not None and usage.spent:
            spent.append((usage.retry_after, group))
    if not spent:
        return None
    client = known()
    if client:
        slowed = count_hit(
            group=LOGIN_KNOWN, value=f"{username}\n{client}", rate=settings.RATELIMIT_LOGIN_KNOWN
        )
        if slowed is None or slowed.count <= slowed.limit:
            return None
        return _refusal(LOGIN_KNOWN, slowed.retry_after)
    retry_after, group = max(spent)
    return _refusal(group, retry_after)


def login_failed(request: HttpRequest, *, username: str) -> None:
    """Counts one failed login against the pair, the username and the client address."""
    for group, value, rate in login_limits(request, username):
        count_hit(group=group, value=value, rate=rate)
