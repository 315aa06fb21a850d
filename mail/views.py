"""`POST /inbound/email`: a mail provider's inbound webhook posts one raw RFC 822 message.

Authenticated by a shared secret, INBOUND_EMAIL_TOKEN, in the `X-Inbound-Token` header (or
`Authorization: Bearer …`), compared in constant time. The body is the raw message
(`Content-Type: message/rfc822` or any non-form type), or a multipart form whose `email`,
`body-mime` or `message` field (text or file) holds it. Answers 202 with what became of the
message; a bad message is quarantined (still 202: re-posting it would not help), a
repeated one answers with the first outcome.
"""

import hmac

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from mail.models import InboundEmail
from mail.services import inbound_email_receive

FORM_FIELDS = ("email", "body-mime", "message")
TOKEN_HEADER = "X-Inbound-Token"  # noqa: S105 - a header name, not a secret


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _token(request: HttpRequest) -> str:
    token = request.headers.get(TOKEN_HEADER, "")
    if not token:
        authorization = request.headers.get("Authorization", "")
        if authorization.lower().startswith("bearer "):
            token = authorization[7:].strip()
    return token


def _read_form_message(request: HttpRequest, limit: int) -> bytes | None:
    for name in FORM_FIELDS:
        upload = request.FILES.get(name)
        if upload is not None:
            return upload.read(limit + 1)
        value = request.POST.get(name)
        if value:
            return value.encode("utf-8", errors="surrogateescape")
    return None


@csrf_exempt
@require_POST
def inbound_email(request: HttpRequest) -> JsonResponse:
    expected = settings.INBOUND_EMAIL_TOKEN
    if not expected:
        return _error(403, "The inbound email webhook is off: INBOUND_EMAIL_TOKEN is not set.")
    if not hmac.compare_digest(_token(request).encode(), expected.encode()):
        return _error(403, f"Missing or wrong {TOKEN_HEADER} header.")

    limit = settings.INBOUND_EMAIL_MAX_BYTES
    too_large = f"The message is larger than {filesizeformat(limit)}."
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        declared = 0
    if declared > limit + 64 * 1024:
        return _error(413, too_large)

    content_type = request.content_type or ""
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        try:
            raw = _read_form_message(request, limit)
        except RequestDataTooBig:
            return _error(413, too_large)
        if raw is None:
            return _error(400, f"Post the raw message in one of the fields {FORM_FIELDS}.")
    else:
        raw = request.read(limit + 1)
    if len(raw) > limit:
        return _error(413, too_large)
    if not raw.strip():
        return _error(400, "The request body is empty: post the raw RFC 822 message.")

    received = inbound_email_receive(raw=raw, source=InboundEmail.WEBHOOK_SOURCE)
    inbound = received.inbound
    return JsonResponse(
        {
            "status": inbound.status,
            "outcome": inbound.outcome or None,
            "ticket": inbound.ticket.reference if inbound.ticket_id else None,
            "reason": inbound.reason,
            "duplicate": received.duplicate,
            "message_id": inbound.message_id,
        },
        status=202,
    )
