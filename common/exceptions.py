"""One error type for the domain, and the one place that turns errors into 4xx answers.

Services raise `ApplicationError` (a refused action: a disallowed transition, a lost claim)
or Django's `ValidationError` (bad input). HTML views show the message; the API answers
`{"error": {"code", "message", "fields"}}`.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler


class ApplicationError(Exception):
    """A request the domain refuses, with a message fit to show the person who asked."""

    def __init__(self, message: str, extra: dict | None = None, *, code: str = "refused"):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
        self.code = code


def error_messages(exc: Exception) -> list[str]:
    """Human-readable messages for an ApplicationError or ValidationError."""
    if isinstance(exc, ApplicationError):
        return [exc.message]
    if isinstance(exc, ValidationError):
        return list(exc.messages)
    return [str(exc)]


def _flat_messages(value, prefix: str = "") -> list[str]:
    """One field's errors as a flat list of readable strings, without repeats.

    DRF nests errors for list items (`{0: [...]}`) and nested objects (`{"name": [...]}`);
    clients get "Item 1: ..." / "name: ..." instead of Python reprs.
    """
    messages: list[str] = []
    if isinstance(value, dict):
        for key, inner in value.items():
            label = f"Item {key + 1}: " if isinstance(key, int) else f"{key}: "
            messages += _flat_messages(inner, prefix + label)
    elif isinstance(value, list | tuple):
        for inner in value:
            messages += _flat_messages(inner, prefix)
    else:
        messages.append(prefix + str(value))
    return list(dict.fromkeys(messages))


def api_exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        exc = drf_exceptions.APIException(detail=exc.message, code=exc.code)
        exc.status_code = 409
    elif isinstance(exc, ValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        exc = drf_exceptions.ValidationError(detail=detail)
    elif isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = drf_exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    fields = {}
    message = ""
    if isinstance(data, dict) and "detail" in data:
        message = str(data["detail"])
    elif isinstance(data, dict):
        fields = {key: _flat_messages(val) for key, val in data.items()}
        # Errors about the request as a whole (a serializer's validate(), a service's
        # __all__) are the message; the rest stay per field.
        general = fields.pop("non_field_errors", []) + fields.pop("__all__", [])
        message = " ".join(general) if general else "Some fields are not valid."
    elif isinstance(data, list):
        message = " ".join(str(item) for item in data)
    code = getattr(exc, "default_code", "error")
    if hasattr(exc, "get_codes"):
        codes = exc.get_codes()
        if isinstance(codes, str):
            code = codes
    return Response(
        {"error": {"code": code, "message": message, "fields": fields}},
        status=response.status_code,
        headers={k: v for k, v in response.items()},
    )
