"""Admin: the quarantine list with reasons, reprocessing, and the mailbox "fetch now"."""

from django.urls import reverse

from mail import services as mail_services
from mail.models import InboundEmail, Mailbox
from mail.services import inbound_email_receive
from tests.mail.conftest import build_email
from tickets.models import Ticket

CHANGELIST = "admin:mail_inboundemail_changelist"


def _quarantined(monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("temporary failure")

    with monkeypatch.context() as patched:
        patched.setattr(mail_services, "ticket_create", broken)
        return inbound_email_receive(raw=build_email(subject="Held"), source="webhook").inbound


def test_the_quarantine_list_shows_the_reason(
    admin_client, monkeypatch, django_assert_max_num_queries
):
    held = _quarantined(monkeypatch)
    for number in range(5):
        inbound_email_receive(raw=build_email(subject=f"ok {number}"), source="webhook")

    url = reverse(CHANGELIST) + "?status__exact=quarantined"
    with django_assert_max_num_queries(12):
        response = admin_client.get(url)

    assert response.status_code == 200
    assert "RuntimeError: temporary failure" in response.text
    assert "ok 1" not in response.text
    detail = admin_client.get(reverse("admin:mail_inboundemail_change", args=[held.pk]))
    assert "Subject: Held" in detail.text


def test_the_reprocess_action_files_a_held_message(
    admin_client, monkeypatch, django_capture_on_commit_callbacks
):
    held = _quarantined(monkeypatch)
    assert Ticket.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse(CHANGELIST),
            {"action": "reprocess", "_selected_action": [held.pk]},
            follow=True,
        )

    assert response.status_code == 200
    held.refresh_from_db()
    assert held.status == InboundEmail.Status.PROCESSED
    assert Ticket.objects.get() == held.ticket
    assert "Processed" in response.text


def test_reprocessing_a_processed_message_is_refused_with_a_message(admin_client):
    done = inbound_email_receive(raw=build_email(), source="webhook").inbound
    response = admin_client.post(
        reverse(CHANGELIST), {"action": "reprocess", "_selected_action": [done.pk]}, follow=True
    )
    assert "Only quarantined messages can be reprocessed" in response.text
    assert Ticket.objects.count() == 1


def test_fetch_now_reads_a_mailbox_from_admin(admin_client, tmp_path):
    import mailbox as stdlib_mailbox

    stdlib_mailbox.Maildir(tmp_path / "md", create=True).add(build_email())
    box = Mailbox.objects.create(name="local", kind="maildir", folder=str(tmp_path / "md"))

    response = admin_client.post(
        reverse("admin:mail_mailbox_changelist"),
        {"action": "fetch_now", "_selected_action": [box.pk]},
        follow=True,
    )
    assert "Local: 1 read, 1 processed" in response.text
    assert Ticket.objects.count() == 1
