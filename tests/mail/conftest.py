"""Builders for real RFC 822 messages (made with the email package, as mail clients send
them) and the settings of the email channel."""

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import pytest

SUPPORT = "support@example.com"
TOKEN = "inbound-test-token"


def build_email(
    *,
    sender: str = "Ann Customer <ann@example.org>",
    to: str = SUPPORT,
    subject: str = "The export is broken",
    body: str | None = "The export button spins forever.",
    html: str | None = None,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: tuple[tuple[str, bytes, str], ...] = (),
    charset: str = "utf-8",
) -> bytes:
    """A message as Gmail or Outlook would send it: text and/or HTML, attachments, headers."""
    message = EmailMessage()
    if sender:
        message["From"] = sender
    if to:
        message["To"] = to
    if subject is not None:
        message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id or make_msgid(domain="mail.example.org")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    if body is not None:
        message.set_content(body, charset=charset)
        if html is not None:
            message.add_alternative(html, subtype="html")
    elif html is not None:
        message.set_content(html, subtype="html")
    for filename, data, content_type in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


@pytest.fixture(autouse=True)
def _mail_settings(settings):
    settings.SUPPORT_REPLY_ADDRESS = SUPPORT
    settings.DEFAULT_FROM_EMAIL = f"Support <{SUPPORT}>"
    settings.INBOUND_EMAIL_TOKEN = TOKEN
    settings.INBOUND_EMAIL_MAX_BYTES = 200_000
