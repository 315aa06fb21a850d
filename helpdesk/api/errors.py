"""The one error format for addresses under /api/ that no endpoint answers (DRF's own errors
go through `helpdesk.exceptions.api_exception_handler`)."""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


@csrf_exempt
def not_found(request, *args, **kwargs) -> JsonResponse:
    return JsonResponse(error_body("not_found", f"No API endpoint at {request.path}."), status=404)
