"""The attachment type check on every channel: the name a file is stored under and what its
bytes really are both decide; a refused file answers 4xx with its name and the reason and
saves nothing (email: the file is dropped with a note, the rest of the mail is kept)."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.tickets.attachment_channels import CHANNELS
from tickets.models import Attachment, Ticket, TicketMessage
from tickets.services.attachments import stored_filename, validate_uploads

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20
HOSTILE_NAMES = [
    # Each is cleaned to a name the allow-list refuses: dataxevil.html, dataxevil.svg ...
    ("data:x,evil.html", b"<script>alert(1)</script>"),
    ("data:x,evil.svg", b"<svg onload=alert(1) xmlns='http://www.w3.org/2000/svg'/>"),
    ("data:x,evil.exe", b"MZ\x90\x00\x03\x00\x00\x00"),
]
LYING_CONTENT = [
    ("photo.png", b"<html><script>alert(1)</script></html>"),  # HTML named .png
    ("logo.png", b"<svg onload=alert(1) xmlns='http://www.w3.org/2000/svg'/>"),
    ("invoice.pdf", b"<html><body>not a pdf</body></html>"),
    ("notes.txt", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"),  # a Windows program
    ("photo.jpg", PNG),  # a PNG named .jpg
]
REFUSED = HOSTILE_NAMES + LYING_CONTENT


def counts() -> tuple[int, int, int]:
    return Ticket.objects.count(), TicketMessage.objects.count(), Attachment.objects.count()


@pytest.mark.parametrize("name,data", REFUSED, ids=[name for name, _ in REFUSED])
def test_the_one_validation_refuses_hostile_names_and_lying_content(name, data):
    with pytest.raises(ValidationError) as refused:
        validate_uploads([SimpleUploadedFile(name, data, "image/png")])

    assert name in refused.value.messages[0]
    assert "cannot be attached" in refused.value.messages[0]


@pytest.mark.parametrize(
    "name,data",
    [
        ("screen.png", PNG),
        ("photo.jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"),
        ("report.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"),
        ("log.txt", b"line 1\nline 2\n"),
        ("export.csv", b"\xff\xfea\x00,\x00b\x00"),  # UTF-16 with its byte order mark
        ("data.json", b'{"a": 1}'),
        ("logs.zip", b"PK\x03\x04\x14\x00\x00\x00"),
        ("my report (final).pdf", b"%PDF-1.4\n"),
    ],
)
def test_genuine_files_pass(name, data):
    validate_uploads([SimpleUploadedFile(name, data, "application/octet-stream")])


def test_the_stored_name_is_the_checked_name():
    assert stored_filename("data:x,evil.html") == "dataxevil.html"
    assert stored_filename("..") == "file"


@pytest.mark.parametrize("channel", [c for c in CHANNELS if c != "email"])
@pytest.mark.parametrize("name,data", REFUSED, ids=[name for name, _ in REFUSED])
def test_every_upload_channel_refuses_with_a_clear_4xx_and_saves_nothing(
    send_file, channel, name, data
):
    before = counts()

    sent = send_file(channel, name, data)

    assert 400 <= sent.status < 500, sent.text[:300]
    assert "cannot be attached" in sent.text
    after = counts()
    # The reply channels made the ticket they reply on before sending; nothing more is saved.
    assert after[2] == before[2]
    if channel in ("portal_create", "api_create"):
        assert after == before


@pytest.mark.parametrize("name,data", REFUSED, ids=[name for name, _ in REFUSED])
def test_email_drops_the_refused_file_with_a_note_and_keeps_the_mail(send_file, name, data):
    sent = send_file("email", name, data)

    assert sent.ticket is not None
    assert not sent.attachments().exists()
    assert "Attachments not kept" in sent.text and "cannot be attached" in sent.text
    assert "The export button spins forever." in sent.text
