"""The one way an attachment's file is served, to agents and to customers alike."""

from django.http import FileResponse, Http404, HttpResponse

from tickets.models import Attachment
from tickets.services.attachments import download_refusal

# No script, no plugin, no same-origin access, even if a browser ignored the download.
SANDBOX_CSP = "default-src 'none'; sandbox"


def attachment_file_response(attachment: Attachment) -> HttpResponse:
    """The file as a download that the browser may not sniff, render or cache; a file that
    waits for its virus scan or was quarantined answers 409 with the reason instead."""
    refusal = download_refusal(attachment)
    if refusal is not None:
        response = HttpResponse(refusal, status=409, content_type="text/plain; charset=utf-8")
    else:
        try:
            handle = attachment.file.open("rb")
        except (FileNotFoundError, OSError, ValueError):
            raise Http404("The file of this attachment is missing.") from None
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=attachment.filename,
            content_type=attachment.content_type or "application/octet-stream",
        )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX_CSP
    response["Cache-Control"] = "private, no-store"
    return response
