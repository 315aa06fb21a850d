"""The API-token pages: /desk/api-tokens/ for agents, /portal/api-tokens/ for customers with an
account. A new token's key is shown once, on the page that created it; the list shows only
prefixes, when each was last used, and a revoke button."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from agents.access import agent_required
from api import tokens
from api.models import ApiToken
from common.exceptions import ApplicationError, error_messages
from tickets.selectors import customer_for_user

NEW_KEY_SESSION = "api_token_new_key"


def _token_page(
    request: HttpRequest, *, template: str, page_url: str, revoke_url: str
) -> HttpResponse:
    """GET lists; POST creates and redirects (POST/redirect/GET, so a reload cannot create a
    second token). The key rides in the session to the next GET only, which pops it."""
    errors: list[str] = []
    status = 200
    name = ""
    if request.method == "POST":
        name = request.POST.get("name", "")
        try:
            _, key = tokens.api_token_create(user=request.user, name=name)
        except (ValidationError, ApplicationError) as exc:
            errors = error_messages(exc)
            status = 400 if isinstance(exc, ValidationError) else 409
        else:
            request.session[NEW_KEY_SESSION] = key
            return redirect(page_url)
    context = {
        "tokens": list(tokens.tokens_for_user(user=request.user)),
        "new_key": request.session.pop(NEW_KEY_SESSION, "") if status == 200 else "",
        "errors": errors,
        "name": name,
        "revoke_url": revoke_url,
    }
    # never_cache on the views keeps the page with the key out of every cache.
    return render(request, template, context, status=status)


def _revoke(request: HttpRequest, pk: int) -> None:
    token = ApiToken.objects.filter(pk=pk, user=request.user).first()
    if token is None:
        raise Http404
    tokens.api_token_revoke(token=token, actor=request.user)
    messages.success(request, f"Token “{token.name}” ({token.prefix}…) is revoked.")


@never_cache
@agent_required
@require_http_methods(["GET", "POST"])
def desk_api_tokens(request: HttpRequest) -> HttpResponse:
    return _token_page(
        request,
        template="desk/api_tokens.html",
        page_url="desk:api_tokens",
        revoke_url="desk:api_token_revoke",
    )


@agent_required
@require_POST
def desk_api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    _revoke(request, pk)
    return redirect("desk:api_tokens")


def _require_customer(request: HttpRequest) -> None:
    if customer_for_user(request.user) is None:
        raise PermissionDenied("API tokens are for customers with an account.")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def portal_api_tokens(request: HttpRequest) -> HttpResponse:
    _require_customer(request)
    return _token_page(
        request,
        template="portal/api_tokens.html",
        page_url="portal:api_tokens",
        revoke_url="portal:api_token_revoke",
    )


@login_required
@require_POST
def portal_api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    _require_customer(request)
    _revoke(request, pk)
    return redirect("portal:api_tokens")
