"""Rate limits: per user and per IP on every endpoint, stricter on ticket creation and AI.

Rates come from `settings.API_THROTTLE_RATES` (env-driven), read at request time so a change
takes effect without a restart (and tests can lower them). Requests are counted in fixed
windows in the database, like the portal and login limits (`ratelimits.limits`): one
atomic upsert per throttle, shared by every web process, so a burst of simultaneous
requests cannot get past a limit. A refused request gets 429 with `Retry-After` (the seconds
until its window ends) in the one error format.
"""

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from ratelimits.limits import client_ip, count_hit


class _WindowThrottle(BaseThrottle):
    scope = ""

    def __init__(self):
        self.retry_after: int | None = None

    def ident(self, request) -> str | None:
        """What is counted: a user id or a client address; None counts nothing."""
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        rate = settings.API_THROTTLE_RATES.get(self.scope)
        value = self.ident(request) if rate else None
        if value is None:
            return True
        usage = count_hit(group=f"api-{self.scope}", value=value, rate=rate)
        if usage is None or usage.count <= usage.limit:
            return True
        self.retry_after = usage.retry_after
        return False

    def wait(self) -> int | None:
        return self.retry_after

    def get_ident(self, request) -> str:
        # The site's one notion of the client address (REMOTE_ADDR, or the trusted proxy's
        # header when CLIENT_IP_HEADER is set). DRF's default believes any X-Forwarded-For,
        # which would let a client pick a fresh address for every request.
        return client_ip(request)


def _signed_in(request) -> bool:
    return bool(request.user and request.user.is_authenticated)


class UserRateThrottle(_WindowThrottle):
    """Every authenticated user: all their requests, whichever token or session."""

    scope = "user"

    def ident(self, request) -> str | None:
        return str(request.user.pk) if _signed_in(request) else None


class IpRateThrottle(_WindowThrottle):
    """Every client address, signed in or not."""

    scope = "ip"

    def ident(self, request) -> str:
        return self.get_ident(request)


class _UserOrIpThrottle(_WindowThrottle):
    def ident(self, request) -> str:
        if _signed_in(request):
            return f"user-{request.user.pk}"
        return f"ip-{self.get_ident(request)}"


class TicketCreateThrottle(_UserOrIpThrottle):
    scope = "ticket_create"


class AiThrottle(_UserOrIpThrottle):
    scope = "ai"


DEFAULT_THROTTLES = [UserRateThrottle, IpRateThrottle]
