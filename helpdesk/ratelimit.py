"""Rate limits on the pages anyone can hammer: login and portal ticket creation.

Counting is django-ratelimit's (`get_usage`: fixed windows in the shared cache, so every web
process sees the same counts). What this module adds is the answer: a 429 page with a
Retry-After header, instead of the library's PermissionDenied (a 403 that would read as
"you may not"), and login counting of failed attempts only, so an office behind one address
is not locked out by its own successful logins.

Rates are settings ("5/15m"); tests lower them with the `settings` fixture.
"""

import functools
import ipaddress
import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage

logger = logging.getLogger(__name__)

# Usernames are counted case-insensitively and truncated: a 10 MB username must not become a
# 10 MB cache key (the key is hashed by django-ratelimit, this only bounds the work).
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


def too_many_requests(request: HttpRequest, retry_after: int) -> HttpResponse:
    """The 429 page: what happened and when to try again, with Retry-After for clients."""
    retry_after = max(int(retry_after), 1)
    minutes = -(-retry_after // 60)
    response = render(
        request,
        "429.html",
        {"retry_after": retry_after, "retry_minutes": minutes},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


def _usage(request: HttpRequest, *, group: str, key, rate: str, increment: bool) -> dict | None:
    # A cache that cannot be reached (Redis down, the cache table never created) must not take
    # login and ticket filing down with it: the limit is skipped, loudly.
    try:
        return get_usage(request, group=group, key=key, rate=rate, increment=increment)
    except Exception:  # noqa: BLE001 - any cache failure means "not counted", logged
        logger.exception("Rate limit %s not applied: the shared cache failed", group)
        return None


def _exceeded(usage: dict | None) -> bool:
    return usage is not None and (usage["should_limit"] or usage["count"] >= usage["limit"])


def limit_posts_per_ip(group: str, rate_setting: str) -> Callable:
    """Decorator: at most `settings.<rate_setting>` POSTs per client IP to this view; past the
    limit the view is not called and the client gets the 429 page. GETs are never counted."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if request.method == "POST":
                rate = getattr(settings, rate_setting)
                usage = _usage(request, group=group, key="ip", rate=rate, increment=True)
                if usage is not None and usage["count"] > usage["limit"]:
                    return too_many_requests(request, usage["time_left"])
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _username_key(group: str, request: HttpRequest) -> str:
    return request.POST.get("username", "").strip().lower()[:USERNAME_KEY_LENGTH]


def login_limits(request: HttpRequest) -> list[tuple[str, object, str]]:
    """The two login counters: failed attempts per username, and per client IP."""
    return [
        ("login-username", _username_key, settings.RATELIMIT_LOGIN_USERNAME),
        ("login-ip", "ip", settings.RATELIMIT_LOGIN_IP),
    ]


def login_blocked_for(request: HttpRequest) -> int | None:
    """Seconds until this login POST may be tried again, or None when it is allowed."""
    waits = []
    for group, key, rate in login_limits(request):
        usage = _usage(request, group=group, key=key, rate=rate, increment=False)
        if _exceeded(usage):
            waits.append(usage["time_left"])
    return max(waits) if waits else None


def login_failed(request: HttpRequest) -> None:
    """Counts one failed login against the username and the client IP."""
    for group, key, rate in login_limits(request):
        _usage(request, group=group, key=key, rate=rate, increment=True)
