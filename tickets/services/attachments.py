"""Attachment checks and storage.

Files are checked before anything is written, so a bad file saves nothing.
"""

import mimetypes
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.text import get_valid_filename

from tickets.models import Attachment, TicketMessage


def _content_type(filename: str) -> str:
    # The browser's declared type is not trusted: the type follows the file name, which is
    # also what decides how the file is later served.
    guessed, _ = mimetypes.guess_type(filename)
    return guessed or "application/octet-stream"


def validate_uploads(files: Sequence[UploadedFile]) -> None:
    """Raise ValidationError naming every file that is too large or of a refused type."""
    max_files = settings.ATTACHMENT_MAX_FILES
    if len(files) > max_files:
        raise ValidationError(f"Attach at most {max_files} files.", code="too_many_files")
    errors = []
    for upload in files:
        name = upload.name or "file"
        if upload.size is None or upload.size > settings.ATTACHMENT_MAX_BYTES:
            errors.append(f"{name} is larger than {filesizeformat(settings.ATTACHMENT_MAX_BYTES)}.")
        elif upload.size == 0:
            errors.append(f"{name} is empty.")
        if _content_type(name) not in settings.ATTACHMENT_ALLOWED_TYPES:
            errors.append(f"{name}: this type of file cannot be attached.")
    if errors:
        raise ValidationError(errors, code="invalid_attachment")


def store_attachments(*, message: TicketMessage, files: Sequence[UploadedFile]) -> list[Attachment]:
    stored = []
    for upload in files:
        filename = get_valid_filename(upload.name or "file")[:200]
        attachment = Attachment(
            ticket=message.ticket,
            message=message,
            filename=filename,
            content_type=_content_type(filename),
            size=upload.size,
        )
        attachment.file.save(filename, upload, save=False)
        attachment.save()
        stored.append(attachment)
    return stored
