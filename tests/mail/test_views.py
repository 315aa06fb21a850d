"""POST /inbound/email: the shared secret, the size limit, the outcome, and repeats."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from mail.models import InboundEmail
from tests.mail.conftest import TOKEN, build_email
from tickets.models import Ticket

URL = "/inbound/email"


@pytest.fixture
def post(client, db, django_capture_on_commit_callbacks):
    def run(raw: bytes, token: str | None = TOKEN, **headers):
        if token is not None:
            headers.setdefault("HTTP_X_INBOUND_TOKEN", token)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(URL, data=raw, content_type="message/rfc822", **headers)

    return run


def test_a_raw_message_with_the_token_files_a_ticket(post, mailoutbox):
    response = post(build_email(message_id="<w1@example.org>"))

    assert response.status_code == 202
    ticket = Ticket.objects.get()
    assert response.json() == {
        "status": "processed",
        "outcome": "new_ticket",
        "ticket": ticket.reference,
        "reason": "",
        "duplicate": False,
        "message_id": "<w1@example.org>",
    }
    assert ticket.channel == "email"
    assert InboundEmail.objects.get().source == "webhook"
    assert len(mailoutbox) == 1


def test_posting_the_same_message_twice_files_it_once(post):
    raw = build_email()
    first = post(raw).json()
    second = post(raw).json()

    assert second["duplicate"] is True and second["ticket"] == first["ticket"]
    assert Ticket.objects.count() == 1


def test_a_bearer_token_is_accepted(post):
    response = post(build_email(), token=None, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 202


@pytest.mark.parametrize("token", [None, "", "wrong-token", TOKEN + "x"])
def test_without_the_right_token_nothing_is_taken_in(post, token):
    response = post(build_email(), token=token)

    assert response.status_code == 403
    assert "X-Inbound-Token" in response.json()["error"]
    assert InboundEmail.objects.count() == 0


def test_the_webhook_is_off_without_a_configured_token(post, settings):
    settings.INBOUND_EMAIL_TOKEN = ""
    response = post(build_email(), token="")

    assert response.status_code == 403
    assert "INBOUND_EMAIL_TOKEN is not set" in response.json()["error"]


def test_an_oversized_message_is_refused_with_413(post, settings):
    settings.INBOUND_EMAIL_MAX_BYTES = 2000
    response = post(build_email(body="x" * 5000))

    assert response.status_code == 413
    assert "larger than" in response.json()["error"]
    assert InboundEmail.objects.count() == 0


def test_an_empty_body_is_a_400(post):
    response = post(b"")
    assert response.status_code == 400
    assert "empty" in response.json()["error"]


def test_a_malformed_message_is_quarantined_and_answered_202(post):
    response = post(b"Subject: nobody\r\n\r\nhello")

    assert response.status_code == 202
    assert response.json()["status"] == "quarantined"
    assert "From" in response.json()["reason"]


def test_noise_is_answered_as_ignored(post, mailoutbox):
    response = post(build_email(headers={"Auto-Submitted": "auto-replied"}))

    assert response.json()["status"] == "ignored"
    assert Ticket.objects.count() == 0 and mailoutbox == []


def test_get_is_not_allowed(client, db):
    assert client.get(URL, HTTP_X_INBOUND_TOKEN=TOKEN).status_code == 405


def test_a_multipart_form_with_the_raw_message_in_a_field_is_accepted(client, db):
    raw = build_email(message_id="<form@example.org>")
    response = client.post(
        URL,
        data={"email": SimpleUploadedFile("message.eml", raw, "message/rfc822")},
        HTTP_X_INBOUND_TOKEN=TOKEN,
    )
    assert response.status_code == 202
    assert response.json()["message_id"] == "<form@example.org>"

    text_field = client.post(
        URL, data={"body-mime": build_email().decode()}, HTTP_X_INBOUND_TOKEN=TOKEN
    )
    assert text_field.json()["status"] == "processed"

    missing = client.post(URL, data={"other": "x"}, HTTP_X_INBOUND_TOKEN=TOKEN)
    assert missing.status_code == 400


def test_csrf_is_not_required(db, django_capture_on_commit_callbacks):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        URL, data=build_email(), content_type="message/rfc822", HTTP_X_INBOUND_TOKEN=TOKEN
    )
    assert response.status_code == 202
