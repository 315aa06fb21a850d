"""One file sent through each channel that takes attachments, the way its users send it:
the portal (new ticket and reply), the desk reply, the REST API (customer's new ticket and
agent's reply) and inbound email. Shared by the type-check and virus-scan tests."""

import os
import socket
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from mail.services import inbound_email_receive
from tests.factories import AgentFactory, CustomerWithAccountFactory, TicketFactory
from tests.mail.conftest import SUPPORT, build_email
from tickets.models import Attachment, Ticket

# The standard anti-virus test file (harmless; every scanner reports it).
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
CHANNELS = ["portal_create", "portal_reply", "desk_reply", "api_create", "api_reply", "email"]


@dataclass
class Sent:
    status: int
    text: str
    ticket: Ticket | None
    json: dict | None = None

    def attachments(self):
        return Attachment.objects.filter(ticket=self.ticket).order_by("id")


@pytest.fixture
def channel_settings(settings):
    settings.RATELIMIT_ENABLE = False
    settings.API_THROTTLE_RATES = {}
    settings.SUPPORT_REPLY_ADDRESS = SUPPORT
    settings.DEFAULT_FROM_EMAIL = f"Support <{SUPPORT}>"
    cache.clear()


@pytest.fixture
def send_file(db, client, channel_settings, django_capture_on_commit_callbacks):
    """send_file(channel, name, data) -> Sent: the response and the ticket it landed on."""

    def send(channel: str, name: str, data: bytes) -> Sent:
        upload = SimpleUploadedFile(name, data, "image/png")
        customer = CustomerWithAccountFactory(email="ann@example.org")
        existing = None
        if channel in ("portal_reply", "desk_reply", "api_reply"):
            existing = TicketFactory(customer=customer)
        with django_capture_on_commit_callbacks(execute=True):
            if channel == "portal_create":
                response = client.post(
                    "/portal/",
                    {
                        "name": "Ann Customer",
                        "email": "ann@example.org",
                        "subject": "Files attached",
                        "description": "Please see the attached file.",
                        "attachments": [upload],
                    },
                    follow=True,
                )
                return Sent(response.status_code, response.text, Ticket.objects.last())
            if channel == "portal_reply":
                response = client.post(
                    f"/portal/t/{existing.public_id}/reply/",
                    {"body": "Here is the file", "attachments": [upload]},
                    HTTP_HX_REQUEST="true",
                )
                return Sent(response.status_code, response.text, existing)
            if channel == "desk_reply":
                client.force_login(AgentFactory())
                response = client.post(
                    reverse("desk:ticket_reply", args=[existing.reference]),
                    {"body": "Here is the file", "files": [upload]},
                    HTTP_HX_REQUEST="true",
                )
                return Sent(response.status_code, response.text, existing)
            api = APIClient()
            if channel == "api_create":
                api.force_authenticate(customer.user)
                response = api.post(
                    "/api/v1/tickets",
                    {"subject": "Files", "description": "See attached.", "attachments": [upload]},
                    format="multipart",
                )
                body = response.json()
                ticket = Ticket.objects.filter(public_id=body.get("public_id", "")).first()
                return Sent(response.status_code, response.text, ticket, body)
            if channel == "api_reply":
                api.force_authenticate(AgentFactory())
                response = api.post(
                    f"/api/v1/agent/tickets/{existing.reference}/messages",
                    {"body": "Here is the file", "attachments": [upload]},
                    format="multipart",
                )
                return Sent(response.status_code, response.text, existing, response.json())
            assert channel == "email"
            raw = build_email(attachments=((name, data, "application/octet-stream"),))
            received = inbound_email_receive(raw=raw, source="webhook")
            ticket = received.inbound.ticket
            return Sent(202, ticket.messages.get().body if ticket else "", ticket)

    return send


def require_clamd() -> str:
    """The test clamd's address: skip without one locally, fail in CI."""
    address = os.environ.get("CLAMD_TEST_ADDRESS", "")
    if address:
        return address
    reason = (
        "No clamd for the virus-scanning tests: run `scripts/clamd.sh start /tmp/clamd` "
        "and set CLAMD_TEST_ADDRESS=/tmp/clamd/clamd.sock"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must run these against a real clamd (.ci/run starts one). {reason}")
    pytest.skip(reason)


@pytest.fixture
def clamd(settings) -> str:
    settings.CLAMD_ADDRESS = require_clamd()
    return settings.CLAMD_ADDRESS


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
