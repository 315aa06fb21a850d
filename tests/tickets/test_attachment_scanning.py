"""Virus scanning of attachments against a real ClamAV daemon.

The daemon is the one .ci/run starts with scripts/clamd.sh (a one-signature database for the
EICAR test file); its address comes in CLAMD_TEST_ADDRESS. Locally without it these tests
skip and say how to start one; in CI (CI=true) they fail instead, so a missing scanner can
never pass for a green run.
"""

import subprocess
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.module_loading import import_string

from helpdesk.schedules import SCHEDULES
from tests.factories import AgentFactory, TicketFactory
from tests.tickets.attachment_channels import CHANNELS, EICAR, closed_port
from tickets import services
from tickets.models import Attachment, TicketEvent

pytestmark = pytest.mark.django_db

CLAMD_SCRIPT = Path(django_settings.BASE_DIR) / "scripts" / "clamd.sh"
Status = Attachment.ScanStatus


def download_url(attachment: Attachment) -> str:
    return reverse("desk:attachment", args=[attachment.pk])


def scan_job():
    """The function the installed schedule runs (not a copy of its body)."""
    [entry] = [s for s in SCHEDULES if s["name"] == "helpdesk:scan-pending-attachments"]
    return import_string(entry["func"])


@pytest.mark.parametrize("channel", CHANNELS)
def test_eicar_is_quarantined_through_every_channel(clamd, send_file, client, channel):
    sent = send_file(channel, "invoice.txt", EICAR)

    assert sent.status < 300, sent.text[:300]
    [attachment] = sent.attachments()
    assert attachment.scan_status == Status.QUARANTINED
    assert attachment.scan_detail.startswith("Eicar-Test-Signature")
    assert not attachment.file  # the content was never written
    assert not any(Path(django_settings.MEDIA_ROOT).rglob("invoice*"))
    [event] = sent.ticket.events.filter(kind=TicketEvent.Kind.ATTACHMENT_QUARANTINED)
    assert event.data["filename"] == "invoice.txt"
    assert event.data["signature"].startswith("Eicar-Test-Signature")
    # The uploader is told (the email's sender sees it on the ticket: the event and the row).
    if channel in ("api_create", "api_reply"):
        message = sent.json["messages"][0] if channel == "api_create" else sent.json
        [row] = message["attachments"]
        assert row["scan_status"] == "quarantined"
        assert "virus scanner found Eicar-Test-Signature" in row["notice"]
    elif channel != "email":
        assert "invoice.txt was removed: the virus scanner found Eicar-Test-Signature" in sent.text
    # Nobody can download it; the desk shows what happened.
    client.force_login(AgentFactory())
    refused = client.get(download_url(attachment))
    assert refused.status_code == 409 and "virus scanner found" in refused.text
    page = client.get(reverse("desk:ticket", args=[sent.ticket.reference]))
    assert "Quarantined: virus found" in page.text
    assert "quarantined the attachment invoice.txt" in page.text


def test_a_clean_file_is_scanned_and_served(clamd, send_file, client):
    sent = send_file("portal_create", "log.txt", b"all good\n")

    [attachment] = sent.attachments()
    assert attachment.scan_status == Status.CLEAN and attachment.scanned_at is not None
    download = client.get(f"/portal/t/{sent.ticket.public_id}/attachments/{attachment.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"all good\n"


def test_an_unreachable_scanner_leaves_files_pending_until_the_job_scans_them(
    clamd, settings, tmp_path, send_file, client, django_capture_on_commit_callbacks
):
    # clamd on a closed TCP port: the upload still succeeds, the files wait, unserved.
    settings.CLAMD_ADDRESS = f"127.0.0.1:{closed_port()}"
    sent = send_file("portal_create", "log.txt", b"all good\n")
    ticket = sent.ticket
    virus = services.ticket_customer_reply(
        ticket=ticket,
        customer=ticket.customer,
        body="And this one",
        files=[SimpleUploadedFile("notes.txt", EICAR)],
    )
    clean, infected = sent.attachments()
    assert [clean.scan_status, infected.scan_status] == [Status.PENDING, Status.PENDING]
    assert "is waiting for a virus scan" in sent.text
    portal_file = f"/portal/t/{ticket.public_id}/attachments/{clean.pk}/"
    assert client.get(portal_file).status_code == 409
    assert "waiting for a virus scan" in client.get(f"/portal/t/{ticket.public_id}/").text

    # Still down when the job runs: nothing is lost, nothing is served.
    assert scan_job()() == 0
    assert set(Attachment.objects.values_list("scan_status", flat=True)) == {Status.PENDING}

    # The scanner comes up (a new clamd, started the way CI starts one); the job scans them.
    scanner_dir = tmp_path / "clamd"
    subprocess.run([str(CLAMD_SCRIPT), "start", str(scanner_dir)], check=True, timeout=60)
    try:
        settings.CLAMD_ADDRESS = str(scanner_dir / "clamd.sock")
        with django_capture_on_commit_callbacks(execute=True):
            assert scan_job()() == 2
        assert scan_job()() == 0  # a second run finds nothing left to do
    finally:
        subprocess.run([str(CLAMD_SCRIPT), "stop", str(scanner_dir)], check=False, timeout=30)

    clean.refresh_from_db()
    infected.refresh_from_db()
    assert clean.scan_status == Status.CLEAN
    assert client.get(portal_file).status_code == 200
    assert infected.scan_status == Status.QUARANTINED and not infected.file
    assert infected.message_id == virus.pk
    [event] = ticket.events.filter(kind=TicketEvent.Kind.ATTACHMENT_QUARANTINED)
    assert event.data["attachment_id"] == infected.pk
    assert not any(Path(django_settings.MEDIA_ROOT).rglob("notes*"))


def test_scanning_is_off_without_an_address(settings, send_file):
    settings.CLAMD_ADDRESS = ""
    sent = send_file("portal_create", "invoice.txt", EICAR)

    [attachment] = sent.attachments()
    assert attachment.scan_status == Status.NOT_SCANNED and attachment.downloadable


def test_the_desk_download_carries_the_portal_sandbox_policy(client, settings):
    ticket = TicketFactory()
    services.ticket_customer_reply(
        ticket=ticket,
        customer=ticket.customer,
        body="file",
        files=[SimpleUploadedFile("log.txt", b"hello\n")],
    )
    attachment = Attachment.objects.get()
    portal = client.get(f"/portal/t/{ticket.public_id}/attachments/{attachment.pk}/")
    client.force_login(AgentFactory())
    desk = client.get(download_url(attachment))

    assert desk.status_code == 200
    assert desk["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert desk["Content-Security-Policy"] == portal["Content-Security-Policy"]
    assert desk["X-Content-Type-Options"] == "nosniff"
    assert desk["Content-Disposition"].startswith("attachment;")


def test_a_file_the_job_cannot_scan_does_not_hold_up_the_others(clamd, settings, send_file):
    settings.CLAMD_ADDRESS = f"127.0.0.1:{closed_port()}"
    sent = send_file("portal_create", "first.txt", b"one\n")
    services.ticket_customer_reply(
        ticket=sent.ticket,
        customer=sent.ticket.customer,
        body="Another",
        files=[SimpleUploadedFile("second.txt", b"two\n")],
    )
    lost, second = sent.attachments()
    lost.file.storage.delete(lost.file.name)  # its stored file is gone (a storage mishap)
    settings.CLAMD_ADDRESS = clamd

    assert scan_job()() == 1

    lost.refresh_from_db()
    second.refresh_from_db()
    assert lost.scan_status == Status.PENDING and "cannot be read" in lost.scan_detail
    assert second.scan_status == Status.CLEAN
