"""No API answer is stored by a browser or a shared cache.

Almost every answer under /api/ is one person's data: a customer's tickets and the agents'
replies on them, the queue, tokens. Like the portal's pages (`never_cache`), each answer says
`Cache-Control: no-store, private` (with Django's `add_never_cache_headers`), set here once
for the whole prefix so no endpoint, error or throttled answer can forget it.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

API_PATH_PREFIX = "/api/"


class ApiNoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path_info.startswith(API_PATH_PREFIX):
            add_never_cache_headers(response)
        return response
