"""Attachment downloads for agents, always as a file, never displayed inline."""

from django.http import HttpResponse
from django.views.decorators.http import require_GET

from agents.access import HtmxHttpRequest, agent_required
from tickets.selectors import attachment_for_agent
from tickets.views.attachment_files import attachment_file_response


@agent_required
@require_GET
def attachment_download(request: HtmxHttpRequest, attachment_id: int) -> HttpResponse:
    """Files are always downloaded, never displayed inline, under the same sandbox policy as
    the portal's, so an uploaded HTML or SVG file cannot run in the desk's origin."""
    attachment = attachment_for_agent(agent=request.user, attachment_id=attachment_id)
    return attachment_file_response(attachment)
