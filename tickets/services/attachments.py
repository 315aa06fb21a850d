"""Attachment checks, storage and virus scanning: the one path every channel's files take
(portal, desk, API and inbound email all reach `validate_uploads` and `store_attachments`
through the ticket services).

Files are checked before anything is written, so a bad file saves nothing. A file is judged
by the name it will be stored under (which decides the type it is served with) and by what
its first bytes really are. With scanning on (tickets.scanning), every stored file is
scanned before anyone can download it; see `Attachment.downloadable`.
"""

import logging
import mimetypes
from collections.abc import Iterable, Sequence

import filetype
from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.text import get_valid_filename

from tickets.models import Attachment, TicketEvent, TicketMessage
from tickets.scanning import (
    ScanFailed,
    ScannerUnavailable,
    Verdict,
    scan_stream,
    scanning_enabled,
)
from tickets.services._common import record_event

logger = logging.getLogger(__name__)

ScanStatus = Attachment.ScanStatus

# filetype reads signatures from at most this many leading bytes.
SNIFF_BYTES = 8192
# Types filetype recognises by their bytes: a file named as one of them must carry the bytes.
SNIFFABLE_TYPES = frozenset(kind.mime for kind in filetype.types)
# What a genuine file of the named type may be sniffed as besides the type itself.
SNIFFED_ALIASES = {"image/png": {"image/apng"}}
# Every zip-based format (docx, epub, odt...) is a zip archive.
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
UNICODE_BOMS = (b"\xff\xfe", b"\xfe\xff")


def stored_filename(name: str | None) -> str:
    """The name the file is stored and served under: the only name whose type counts."""
    try:
        return get_valid_filename(name or "file")[:200]
    except SuspiciousFileOperation:
        return "file"


def _content_type(filename: str) -> str:
    # The browser's declared type is not trusted: the type follows the stored file name,
    # which is also what decides how the file is later served.
    guessed, _ = mimetypes.guess_type(filename, strict=True)
    return guessed or "application/octet-stream"


def _head(upload: UploadedFile) -> bytes:
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    return head


def _content_problem(head: bytes, expected: str, kind: str) -> str | None:
    """Why these leading bytes are not a file of the `expected` type, or None when they may be.
    `kind` names the type for the uploader (".png")."""
    sniffed = filetype.guess_mime(head)
    if sniffed == expected or sniffed in SNIFFED_ALIASES.get(expected, ()):
        return None
    mismatch = f"the content does not match its {kind} name"
    if expected == "application/zip":
        return None if head.startswith(ZIP_MAGIC) else mismatch
    if sniffed is not None:
        return f"the content is {sniffed}, which does not match its {kind} name"
    if expected in SNIFFABLE_TYPES:
        return mismatch
    if (expected.startswith("text/") or expected == "application/json") and (
        b"\x00" in head and not head.startswith(UNICODE_BOMS)
    ):
        return f"the content is binary, which does not match its {kind} name"
    return None


def validate_uploads(files: Sequence[UploadedFile]) -> None:
    """Raise ValidationError naming every file that is too large, empty, of a refused type by
    the name it would be stored under, or whose bytes are another type than its name says."""
    max_files = settings.ATTACHMENT_MAX_FILES
    if len(files) > max_files:
        raise ValidationError(f"Attach at most {max_files} files.", code="too_many_files")
    allowed = settings.ATTACHMENT_ALLOWED_TYPES
    errors = []
    for upload in files:
        name = upload.name or "file"
        if upload.size is None or upload.size > settings.ATTACHMENT_MAX_BYTES:
            errors.append(f"{name} is larger than {filesizeformat(settings.ATTACHMENT_MAX_BYTES)}.")
            continue
        if upload.size == 0:
            errors.append(f"{name} is empty.")
            continue
        stored = stored_filename(name)
        expected = _content_type(stored)
        if _content_type(name) != expected or expected not in allowed:
            errors.append(f"{name}: this type of file cannot be attached.")
            continue
        kind = "." + stored.rpartition(".")[2].lower()
        problem = _content_problem(_head(upload), expected, kind)
        if problem:
            errors.append(f"{name}: {problem}, so it cannot be attached.")
    if errors:
        raise ValidationError(errors, code="invalid_attachment")


def store_attachments(*, message: TicketMessage, files: Sequence[UploadedFile]) -> list[Attachment]:
    """Store the (validated) files on the message, in the caller's transaction.

    With scanning on, each file is scanned before it is written: an infected file is never
    written (its row is kept, quarantined, with one `attachment_quarantined` event); while the
    scanner is unreachable the file is written as pending and the retry job
    (tickets.tasks.scan_pending_attachments) scans it later."""
    stored = []
    for upload in files:
        filename = stored_filename(upload.name)
        attachment = Attachment(
            ticket=message.ticket,
            message=message,
            filename=filename,
            content_type=_content_type(filename),
            size=upload.size,
        )
        if scanning_enabled():
            upload.seek(0)
            try:
                _apply_verdict(attachment, scan_stream(upload))
            except ScannerUnavailable as exc:
                logger.warning("Attachment %s left pending: scanner unavailable: %s", filename, exc)
                attachment.scan_status = ScanStatus.PENDING
                attachment.scan_detail = str(exc)[:200]
        if attachment.scan_status != ScanStatus.QUARANTINED:
            upload.seek(0)
            attachment.file.save(filename, upload, save=False)
        attachment.save()
        if attachment.scan_status == ScanStatus.QUARANTINED:
            _record_quarantine(attachment)
        stored.append(attachment)
    return stored


def _apply_verdict(attachment: Attachment, verdict: Verdict) -> None:
    attachment.scanned_at = timezone.now()
    if verdict.infected:
        attachment.scan_status = ScanStatus.QUARANTINED
        attachment.scan_detail = verdict.signature
    else:
        attachment.scan_status = ScanStatus.CLEAN
        attachment.scan_detail = ""


def _record_quarantine(attachment: Attachment) -> None:
    logger.warning(
        "Attachment %s (%s) on ticket %s quarantined: %s",
        attachment.pk,
        attachment.filename,
        attachment.ticket_id,
        attachment.scan_detail,
    )
    record_event(
        attachment.ticket,
        TicketEvent.Kind.ATTACHMENT_QUARANTINED,
        to_value=attachment.filename,
        data={
            "attachment_id": attachment.pk,
            "message_id": attachment.message_id,
            "filename": attachment.filename,
            "signature": attachment.scan_detail,
        },
    )


def attachment_scan_pending(*, attachment_id: int) -> str | None:
    """Scan one attachment that waited for the scanner, and record the verdict: clean makes it
    downloadable; infected deletes its content (after commit) and writes one
    `attachment_quarantined` event. Returns the new status, or None when there was nothing to
    do (gone, already scanned by another run). Raises ScannerUnavailable when clamd still
    cannot answer, ScanFailed when it refused this file (the reason goes in scan_detail):
    the file stays pending either way."""
    attachment = Attachment.objects.filter(pk=attachment_id, scan_status=ScanStatus.PENDING).first()
    if attachment is None:
        return None
    # The scan runs outside any transaction: no row lock is held while clamd works.
    try:
        try:
            handle = attachment.file.open("rb")
        except (OSError, ValueError) as exc:
            raise ScanFailed(f"The stored file cannot be read: {exc}") from exc
        with handle:
            verdict = scan_stream(handle)
    except ScanFailed as exc:
        Attachment.objects.filter(pk=attachment_id).update(scan_detail=str(exc)[:200])
        raise
    with transaction.atomic():
        attachment = (
            Attachment.objects.select_for_update()
            .select_related("ticket")
            .filter(pk=attachment_id, scan_status=ScanStatus.PENDING)
            .first()
        )
        if attachment is None:
            return None
        _apply_verdict(attachment, verdict)
        if attachment.scan_status == ScanStatus.QUARANTINED:
            content = attachment.file.name
            storage = attachment.file.storage
            attachment.file = ""
            transaction.on_commit(lambda: storage.delete(content))
            _record_quarantine(attachment)
        attachment.save(update_fields=["scan_status", "scan_detail", "scanned_at", "file"])
    return attachment.scan_status


def scan_notices(attachments: Iterable[Attachment]) -> list[str]:
    """What to tell the person who just uploaded these files about the ones not served."""
    notices = []
    for attachment in attachments:
        if attachment.scan_status == ScanStatus.QUARANTINED:
            notices.append(
                f"{attachment.filename} was removed: the virus scanner found "
                f"{attachment.scan_detail}. The rest of your message was kept."
            )
        elif attachment.scan_status == ScanStatus.PENDING:
            notices.append(
                f"{attachment.filename} is waiting for a virus scan and can be downloaded "
                "once it has been scanned."
            )
    return notices


def download_refusal(attachment: Attachment) -> str | None:
    """Why this attachment may not be downloaded now, or None when it may."""
    if attachment.scan_status == ScanStatus.QUARANTINED:
        return (
            f"{attachment.filename} was removed because the virus scanner found "
            f"{attachment.scan_detail}."
        )
    if attachment.scan_status == ScanStatus.PENDING:
        return f"{attachment.filename} is waiting for a virus scan. Please try again later."
    return None
