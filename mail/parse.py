"""Turn raw RFC 822 bytes into what the helpdesk needs: addresses, threading headers, a text
body and attachments. Never trusts the message: bad charsets, broken headers and missing parts
give a best-effort result or a `MalformedEmail` with the reason, never an uncaught error.
"""

import contextlib
import email
import email.header
import email.policy
import email.utils
import hashlib
import re
from dataclasses import dataclass, field
from email.message import Message
from html.parser import HTMLParser

from mail.quotes import strip_reply

# Headers that name the address a message was delivered to, besides To and Cc: a reply to
# support+REF@… keeps the plus address in one of these even when To was rewritten.
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To")
MESSAGE_ID_RE = re.compile(r"<[^<>\s]+>")
MAX_MESSAGE_ID_LENGTH = 255


class MalformedEmail(Exception):
    """The message cannot be taken in; the text is the quarantine reason."""


@dataclass
class ParsedAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class ParsedEmail:
    message: Message
    message_id: str
    from_name: str
    from_address: str
    subject: str
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    text: str = ""
    attachments: list[ParsedAttachment] = field(default_factory=list)

    def header(self, name: str) -> str:
        return header_text(self.message, name)

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this message answers, nearest first (In-Reply-To, then References from
        the newest back to the root)."""
        seen: list[str] = []
        for item in [*self.in_reply_to, *reversed(self.references)]:
            if item not in seen:
                seen.append(item)
        return seen

    def reply_text(self) -> str:
        """The body without quoted history and signature (for replies on a ticket)."""
        return strip_reply(self.text)


def header_text(message: Message, name: str) -> str:
    """A header as one line of text, or "" when it is missing or cannot be decoded."""
    try:
        value = message.get(name)
    except Exception:  # noqa: BLE001 - a broken header reads as missing
        return ""
    if value is None:
        return ""
    return " ".join(str(value).split())


def _header_values(message: Message, name: str) -> list[str]:
    try:
        values = message.get_all(name) or []
    except Exception:  # noqa: BLE001
        return []
    return [" ".join(str(v).split()) for v in values]


def message_ids(value: str) -> list[str]:
    """The `<id>` tokens of a Message-ID, In-Reply-To or References header."""
    return [m for m in MESSAGE_ID_RE.findall(value or "") if len(m) <= MAX_MESSAGE_ID_LENGTH]


def fallback_message_id(raw: bytes) -> str:
    """A stable stand-in for a message without a Message-ID, so it is still deduped."""
    return f"<sha256.{hashlib.sha256(raw).hexdigest()[:40]}@no-message-id>"


def read_message_id(raw: bytes) -> str:
    """The Message-ID of raw bytes, from the headers only (cheap: used before size checks)."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0][:65536]
    match = re.search(rb"^message-id:[ \t]*(.*(?:\r?\n[ \t].*)*)", head, re.I | re.M)
    if match:
        ids = message_ids(match.group(1).decode("ascii", "replace"))
        if ids:
            return ids[0]
    return fallback_message_id(raw)


def addresses(message: Message, *names: str) -> list[str]:
    """Lower-cased addresses in the named headers, in order, without duplicates."""
    found: list[str] = []
    for name in names:
        values = _header_values(message, name)
        for _, address in email.utils.getaddresses(values):
            address = address.strip().lower()
            if "@" in address and address not in found:
                found.append(address)
    return found


# ---------------------------------------------------------------------------------------------
# Bodies
# ---------------------------------------------------------------------------------------------


def decode_part(part: Message) -> str:
    """A text part's content as str, whatever its declared charset (unknown or lying charsets
    fall back to UTF-8, then Latin-1, with replacement characters)."""
    payload = part.get_payload(decode=True)
    if payload is None:
        payload = b""
    if isinstance(payload, str):
        return payload
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset)
    except (LookupError, UnicodeDecodeError):
        pass
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return payload.decode("latin-1", errors="replace")


class _HtmlToText(HTMLParser):
    """HTML mail to plain text: block elements become line breaks, blockquotes become "> "
    quotes (so the reply stripper removes them), scripts, styles and Gmail's quoted history
    are dropped. Nothing of the markup survives: the result is rendered as markdown and then
    sanitised like every message."""

    # Gmail writes each typed line as a <div>: those break the line, <p> and friends start a
    # paragraph (a blank line, which markdown needs to keep them apart).
    LINES = {"div", "br", "li", "tr"}
    PARAGRAPHS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "hr", "ul", "ol"}
    SKIP = {"script", "style", "head", "title"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.quote_depth = 0
        self.skip_depth = 0
        self.skip_stack: list[str] = []
        self.stopped = False

    def _newline(self, paragraph: bool = False):
        if self.lines[-1].strip():
            self.lines.append("")
        if paragraph and len(self.lines) > 1 and self.lines[-2].strip():
            self.lines.append("")

    def handle_starttag(self, tag, attrs):
        if self.stopped:
            return
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if tag in self.SKIP or "gmail_quote" in classes or "gmail_signature" in classes:
            self.skip_stack.append(tag)
            self.skip_depth += 1
            return
        if self.skip_depth:
            if tag == self.skip_stack[-1]:
                self.skip_stack.append(tag)
                self.skip_depth += 1
            return
        if attributes.get("id") in {"divRplyFwdMsg", "appendonsend"}:
            # Outlook puts the quoted original after this marker: nothing after it is new.
            self.stopped = True
            return
        if tag == "blockquote":
            self._newline(paragraph=True)
            self.quote_depth += 1
        elif tag in self.LINES or tag in self.PARAGRAPHS:
            self._newline(paragraph=tag in self.PARAGRAPHS)

    def handle_endtag(self, tag):
        if self.stopped:
            return
        if self.skip_depth:
            if tag == self.skip_stack[-1]:
                self.skip_stack.pop()
                self.skip_depth -= 1
            return
        if tag == "blockquote":
            self.quote_depth = max(0, self.quote_depth - 1)
            self._newline(paragraph=True)
        elif tag in self.LINES or tag in self.PARAGRAPHS:
            self._newline(paragraph=tag in self.PARAGRAPHS)

    def handle_data(self, data):
        if self.stopped or self.skip_depth:
            return
        text = " ".join(data.split())
        if not text:
            return
        if not self.lines[-1] and self.quote_depth:
            self.lines[-1] = "> " * self.quote_depth
        separator = "" if not self.lines[-1] or self.lines[-1].endswith((" ", "> ")) else " "
        self.lines[-1] += separator + text

    def text(self) -> str:
        return "\n".join(line.rstrip() for line in self.lines).strip()


def html_to_text(html: str) -> str:
    parser = _HtmlToText()
    # Broken markup keeps what was read so far.
    with contextlib.suppress(Exception):
        parser.feed(html)
        parser.close()
    return re.sub(r"\n{3,}", "\n\n", parser.text())


def _is_attachment(part: Message) -> bool:
    disposition = (part.get_content_disposition() or "").lower()
    if disposition == "attachment":
        return True
    # Inline images and files with a name (pasted screenshots) are kept as attachments too.
    return bool(part.get_filename()) and part.get_content_maintype() != "multipart"


def _body_and_attachments(message: Message) -> tuple[str, list[ParsedAttachment]]:
    plain: list[str] = []
    html: list[str] = []
    attachments: list[ParsedAttachment] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        if _is_attachment(part):
            data = part.get_payload(decode=True) or b""
            filename = _attachment_name(part)
            attachments.append(ParsedAttachment(filename, part.get_content_type(), data))
            continue
        content_type = part.get_content_type()
        if content_type == "text/plain":
            plain.append(decode_part(part))
        elif content_type == "text/html":
            html.append(decode_part(part))
    if plain:
        text = "\n\n".join(plain)
    elif html:
        text = "\n\n".join(html_to_text(item) for item in html)
    else:
        text = ""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return text.strip(), attachments


def _attachment_name(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:  # noqa: BLE001
        name = ""
    name = name.replace("/", "_").replace("\\", "_").strip()
    if not name:
        subtype = part.get_content_subtype() or "bin"
        name = f"attachment.{subtype}"
    return name[:200]


# ---------------------------------------------------------------------------------------------
# The whole message
# ---------------------------------------------------------------------------------------------


def parse_email(raw: bytes) -> ParsedEmail:
    """Parse raw RFC 822 bytes. Raises `MalformedEmail` when there is nothing to work with
    (empty, no headers, no sender address)."""
    if not raw or not raw.strip():
        raise MalformedEmail("The message is empty.")
    try:
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
    except Exception as exc:  # noqa: BLE001
        raise MalformedEmail(f"The message cannot be parsed: {exc}") from exc
    if not message.keys():
        raise MalformedEmail("The message has no headers.")
    sender = _sender(message)
    if sender is None:
        raise MalformedEmail("The message has no valid From address.")
    from_name, from_address = sender
    try:
        text, attachments = _body_and_attachments(message)
    except Exception as exc:  # noqa: BLE001 - a structure the email package cannot walk
        raise MalformedEmail(f"The message body cannot be read: {exc}") from exc
    ids = message_ids(header_text(message, "Message-ID"))
    return ParsedEmail(
        message=message,
        message_id=ids[0] if ids else fallback_message_id(raw),
        from_name=from_name,
        from_address=from_address,
        subject=_decoded(header_text_raw(message, "Subject")),
        in_reply_to=message_ids(header_text(message, "In-Reply-To")),
        references=message_ids(header_text(message, "References")),
        recipients=addresses(message, *RECIPIENT_HEADERS),
        text=text,
        attachments=attachments,
    )


def header_text_raw(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # noqa: BLE001
        return ""
    return "" if value is None else str(value)


def _decoded(value: str) -> str:
    """An RFC 2047 encoded header (=?utf-8?b?…?=) as text; undecodable pieces are replaced."""
    if not value:
        return ""
    pieces = []
    try:
        for chunk, charset in email.header.decode_header(value):
            if isinstance(chunk, bytes):
                try:
                    chunk = chunk.decode(charset or "utf-8")
                except (LookupError, UnicodeDecodeError):
                    chunk = chunk.decode("utf-8", errors="replace")
            pieces.append(chunk)
    except Exception:  # noqa: BLE001
        return " ".join(value.split())
    return " ".join("".join(pieces).split())


def _sender(message: Message) -> tuple[str, str] | None:
    # Reply-To is not a sender: anyone can set it, and it must not pick the ticket's customer.
    for name in ("From", "Sender"):
        value = header_text_raw(message, name)
        if not value:
            continue
        display, address = email.utils.parseaddr(value)
        address = address.strip().lower()
        if "@" in address and " " not in address and len(address) <= 254:
            return _decoded(display)[:200], address
        if name == "From":
            return None
    return None
