"""The one error format for addresses under /api/ that no endpoint answers (DRF's own errors
go through `common.exceptions.api_exception_handler`)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def service_errors(
    exc: DjangoValidationError, *, field_map: dict | None = None, default=""
) -> dict:
    """A service's ValidationError as per-field API errors. Errors without a field (the
    attachment checks) go to `default`, or to the whole request when there is none."""
    field_map = field_map or {}
    if hasattr(exc, "error_dict"):
        return {
            field_map.get(key, key): [str(m) for e in errors for m in e.messages]
            for key, errors in exc.error_dict.items()
        }
    return {default or "non_field_errors": list(exc.messages)}


@csrf_exempt
def not_found(request, *args, **kwargs) -> JsonResponse:
    return JsonResponse(error_body("not_found", f"No API endpoint at {request.path}."), status=404)
