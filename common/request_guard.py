"""Refuse requests whose URL carries a NUL byte, before any view sees them.

No page has a use for one, PostgreSQL text cannot store one, and a view passing a path or
query value straight to a lookup would otherwise fail with a 500. Form fields already refuse
NUL (Django's CharField); this covers the URL, which views read without a form.
"""

from django.http import JsonResponse
from django.shortcuts import render

from common.api_errors import error_body

NUL_MESSAGE = "The address contains a character no page accepts."


class RejectNulBytesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query or "\x00" in query:
            if request.path.startswith("/api/"):
                # API clients get the API's one error format, not an HTML page.
                return JsonResponse(error_body("invalid", NUL_MESSAGE), status=400)
            return render(
                request,
                "400.html",
                {"reason": NUL_MESSAGE},
                status=400,
            )
        return self.get_response(request)
