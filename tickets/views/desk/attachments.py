"""Attachment downloads for agents, always as a file, never displayed inline."""

from django.http import FileResponse, Http404
from django.views.decorators.http import require_GET

from tickets.selectors import attachment_for_agent
from tickets.views.desk.access import HtmxHttpRequest, agent_required


@agent_required
@require_GET
def attachment_download(request: HtmxHttpRequest, attachment_id: int) -> FileResponse:
    """Files are always downloaded, never displayed inline, so an uploaded HTML or SVG file
    cannot run in the desk's origin."""
    attachment = attachment_for_agent(agent=request.user, attachment_id=attachment_id)
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("The file of this attachment is missing.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
