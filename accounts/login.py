"""The login pages (portal/desk and admin), with failed attempts limited without letting a
stranger lock a known user out.

Failures are counted per username and client address together, with higher ceilings per
username and per address (ratelimits.limits). A refused attempt is answered on the login
form itself, with what happened and when to try again (429 with Retry-After), and never
reaches the password check, so a locked-out attacker learns nothing from it. A client the
user signed in from before is only slowed down: the browser, by a signed cookie set at a
successful sign-in, and the address, remembered for `KNOWN_ADDRESS_DAYS`. A failed attempt
answers 400 with the form's message.
"""

import logging
from datetime import timedelta

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from ratelimits.limits import client_ip, login_failed, login_refusal, login_username

logger = logging.getLogger(__name__)

KNOWN_DEVICE_COOKIE = "helpdesk_known_device"
KNOWN_DEVICE_SALT = "helpdesk.login.known-device"
KNOWN_DEVICE_DAYS = 180
KNOWN_ADDRESS_DAYS = 90
# The accounts one browser remembers (a shared computer at a front desk).
KNOWN_DEVICE_ACCOUNTS = 5


def _account_mark(username: str) -> str:
    # Keyed by SECRET_KEY: the cookie names no account, and cannot be made for one.
    return salted_hmac(KNOWN_DEVICE_SALT, username, algorithm="sha256").hexdigest()[:20]


def _device_marks(request: HttpRequest) -> list[str]:
    # A missing, expired or forged cookie reads as "" (the default): no marks.
    value = request.get_signed_cookie(
        KNOWN_DEVICE_COOKIE,
        default="",
        salt=KNOWN_DEVICE_SALT,
        max_age=timedelta(days=KNOWN_DEVICE_DAYS),
    )
    return [mark for mark in value.split(",") if mark]


def _address_key(username: str, address: str) -> str:
    return (
        "login-known-address:"
        + salted_hmac(KNOWN_DEVICE_SALT, f"{username}\n{address}", algorithm="sha256").hexdigest()
    )


def known_as(request: HttpRequest, username: str) -> str:
    """How this client is known for `username`: "device", "address:<ip>", or "" (not)."""
    if not username:
        return ""
    if _account_mark(username) in _device_marks(request):
        return "device"
    address = client_ip(request)
    try:
        known_address = cache.get(_address_key(username, address))
    except Exception:  # noqa: BLE001 - a cache that is down must not take login down
        logger.exception("Known sign-in addresses unreadable")
        known_address = False
    return f"address:{address}" if known_address else ""


def remember_client(request: HttpRequest, response: HttpResponse, username: str) -> None:
    """After a successful sign-in: this browser and this address are known for the user."""
    try:
        cache.set(
            _address_key(username, client_ip(request)),
            True,
            timeout=int(timedelta(days=KNOWN_ADDRESS_DAYS).total_seconds()),
        )
    except Exception:  # noqa: BLE001 - the address stays unknown; the sign-in stands
        logger.exception("Known sign-in address not recorded")
    mark = _account_mark(username)
    marks = [mark, *(m for m in _device_marks(request) if m != mark)][:KNOWN_DEVICE_ACCOUNTS]
    response.set_signed_cookie(
        KNOWN_DEVICE_COOKIE,
        ",".join(marks),
        salt=KNOWN_DEVICE_SALT,
        max_age=int(timedelta(days=KNOWN_DEVICE_DAYS).total_seconds()),
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )


class RateLimitedLoginMixin:
    """Refuses the attempt before the password check when a counter is spent (the reason
    goes to `refusal` and the form's message); counts the attempt when it fails."""

    refusal = None

    def clean(self):
        username = login_username(self.request)
        refusal = login_refusal(
            self.request, username=username, known=lambda: known_as(self.request, username)
        )
        if refusal is not None:
            self.refusal = refusal
            raise ValidationError(refusal.message, code="rate_limited")
        try:
            return super().clean()
        except ValidationError:
            login_failed(self.request, username=username)
            raise


class LoginForm(RateLimitedLoginMixin, AuthenticationForm):
    pass


class AdminLoginForm(RateLimitedLoginMixin, AdminAuthenticationForm):
    pass


def _rate_limited(view):
    @sensitive_post_parameters("password")
    @csrf_protect
    @never_cache
    def wrapped(request: HttpRequest) -> HttpResponse:
        response = view(request)
        if request.method != "POST":
            return response
        if response.status_code == 302 and request.user.is_authenticated:
            remember_client(request, response, login_username(request))
        elif response.status_code == 200:
            # Both login views re-render the form (200) only when the sign-in was refused.
            form = (getattr(response, "context_data", None) or {}).get("form")
            refusal = getattr(form, "refusal", None)
            if refusal is not None:
                response.status_code = 429
                response["Retry-After"] = str(refusal.retry_after)
            else:
                response.status_code = 400
        return response

    return wrapped


login = _rate_limited(
    auth_views.LoginView.as_view(
        template_name="registration/login.html", authentication_form=LoginForm
    )
)
# The admin has its own login form (helpdesk.urls sets AdminLoginForm as admin.site's): it
# shares the same counters, or it would be the way round.
admin_login = _rate_limited(admin.site.login)
