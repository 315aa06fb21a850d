"""Rate limits: per user and per IP on every endpoint, stricter on ticket creation and AI.

Rates come from `settings.API_THROTTLE_RATES` (env-driven), read at request time so a change
takes effect without a restart (and tests can lower them). Counters live in Django's cache.
A refused request gets 429 with `Retry-After` in the one error format.
"""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class _SettingsRateThrottle(SimpleRateThrottle):
    def get_ident(self, request):
        # The site's one notion of the client address (REMOTE_ADDR, or the trusted proxy's
        # header when CLIENT_IP_HEADER is set). DRF's default believes any X-Forwarded-For,
        # which would let a client pick a fresh address for every request.
        from helpdesk.ratelimit import client_ip

        return client_ip(request)

    def __init__(self):
        # Rates are parsed per request (see get_rate), not frozen at import time.
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def get_rate(self):
        return settings.API_THROTTLE_RATES.get(self.scope)


class UserRateThrottle(_SettingsRateThrottle):
    """Every authenticated user: all their requests, whichever token or session."""

    scope = "user"

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class IpRateThrottle(_SettingsRateThrottle):
    """Every client address, signed in or not."""

    scope = "ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class _UserOrIpThrottle(_SettingsRateThrottle):
    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class TicketCreateThrottle(_UserOrIpThrottle):
    scope = "ticket_create"


class AiThrottle(_UserOrIpThrottle):
    scope = "ai"


DEFAULT_THROTTLES = [UserRateThrottle, IpRateThrottle]
