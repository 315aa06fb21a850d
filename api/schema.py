"""The OpenAPI document and its browsable docs, with Swagger UI served from our static files
(drf-spectacular-sidecar), never from a CDN, under the site's nonce-based CSP."""

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView


class ApiSchemaView(SpectacularAPIView):
    pass


class ApiDocsView(SpectacularSwaggerSplitView):
    template_name = "api/swagger_ui.html"
    title = "Helpdesk API"


ERROR_SCHEMA = {
    "type": "object",
    "description": "The one error format of every 4xx (and of the AI proxy's 503 and 504).",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "example": "invalid"},
                "message": {"type": "string", "example": "Some fields are not valid."},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    "description": "Messages per field (empty for errors about the request).",
                },
            },
            "required": ["code", "message", "fields"],
        }
    },
    "required": ["error"],
}
# The AI proxy answers 503 when AI is off, failing, paused or over budget, and 504 when the
# model does not answer within the request's deadline (docs/api.md).
SERVICE_UNAVAILABLE_PATHS = {"/api/v1/ai/query"}


def document_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation can answer a 4xx in the one error
    format (bad input, no or bad credentials, not allowed, not found, refused, throttled), so
    the document says so; clients and the schema fuzzer (tests/api/test_fuzz.py) check it."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses.setdefault(
                "4XX",
                {
                    "description": "Refused; `error.code` says why (docs/api.md, Errors).",
                    "content": error,
                },
            )
            if path in SERVICE_UNAVAILABLE_PATHS:
                responses.setdefault(
                    "503",
                    {"description": "AI is off, failing, paused or over budget.", "content": error},
                )
                responses.setdefault(
                    "504",
                    {"description": "The model did not answer in time.", "content": error},
                )
    return result
