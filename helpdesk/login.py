"""The login page, with failed attempts limited per username and per client IP.

Django's LoginView does the authentication; this wrapper refuses a POST once either counter
is spent (429 with Retry-After, see helpdesk.ratelimit) and counts each failed attempt. A
refused attempt does not reach the password check at all, so a locked-out attacker learns
nothing from it. A failed attempt answers 400 with the form's message.
"""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from helpdesk.ratelimit import login_blocked_for, login_failed, too_many_requests


def _rate_limited(view):
    @sensitive_post_parameters("password")
    @csrf_protect
    @never_cache
    def wrapped(request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return view(request)
        retry_after = login_blocked_for(request)
        if retry_after is not None:
            return too_many_requests(request, retry_after)
        response = view(request)
        if response.status_code == 200:
            # Both login views re-render the form (200) only when the credentials were refused.
            login_failed(request)
            response.status_code = 400
        return response

    return wrapped


login = _rate_limited(auth_views.LoginView.as_view(template_name="registration/login.html"))
# The admin has its own login form: it shares the same counters, or it would be the way round.
admin_login = _rate_limited(admin.site.login)
