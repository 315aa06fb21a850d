"""Identifiers that tie emails to tickets: Message-IDs, the plus reply address and the
subject tag. Shared by the outbound side (tickets.notifications) and inbound routing.

- Each ticket has a stable root Message-ID, `<ticket.REF.HASH@domain>`: HASH is an HMAC of
  the ticket's secret public id under SECRET_KEY, so the header never reveals the public id
  (which opens the customer's ticket page) and cannot be forged for another ticket.
- Each outgoing email has its own `<n.RANDOM@domain>` (stored on the Notification).
- Replies go to SUPPORT_REPLY_ADDRESS with the reference as plus tag: support+REF@domain.
"""

import hashlib
import hmac
import re
import secrets
from email.utils import parseaddr

from django.conf import settings

REFERENCE_PATTERN = r"[A-Za-z][A-Za-z0-9]{0,9}-\d{1,12}"
ROOT_ID_RE = re.compile(rf"^<ticket\.(?P<ref>{REFERENCE_PATTERN})\.(?P<hash>[0-9a-f]{{16}})@")
SUBJECT_TAG_RE = re.compile(rf"\[(?P<ref>{REFERENCE_PATTERN})\]")
ROOT_HASH_LENGTH = 16


def support_address() -> str:
    """The address customers reply to: SUPPORT_REPLY_ADDRESS, else DEFAULT_FROM_EMAIL's."""
    configured = settings.SUPPORT_REPLY_ADDRESS or settings.DEFAULT_FROM_EMAIL
    return parseaddr(configured)[1].lower()


def mail_domain() -> str:
    """The right-hand side of our Message-IDs."""
    address = support_address()
    return address.rsplit("@", 1)[1] if "@" in address else "helpdesk.invalid"


def reply_address(reference: str) -> str:
    """support+REF@domain for a ticket reference (empty without a support address)."""
    address = support_address()
    if "@" not in address:
        return ""
    local, domain = address.rsplit("@", 1)
    local = local.split("+", 1)[0]
    return f"{local}+{reference}@{domain}"


def reference_from_address(address: str) -> str | None:
    """The REF of support+REF@domain, when `address` is our reply address; else None."""
    ours = support_address()
    if "@" not in ours or "@" not in address:
        return None
    our_local, our_domain = ours.rsplit("@", 1)
    local, domain = address.lower().rsplit("@", 1)
    if domain != our_domain or "+" not in local:
        return None
    base, tag = local.split("+", 1)
    if base != our_local.split("+", 1)[0] or not re.fullmatch(REFERENCE_PATTERN, tag):
        return None
    return tag.upper()


def references_in_subject(subject: str) -> list[str]:
    return [match.group("ref").upper() for match in SUBJECT_TAG_RE.finditer(subject or "")]


def _root_hash(public_id: str) -> str:
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"ticket-root:{public_id}".encode(), hashlib.sha256
    )
    return digest.hexdigest()[:ROOT_HASH_LENGTH]


def ticket_root_message_id(ticket) -> str:
    return f"<ticket.{ticket.reference}.{_root_hash(ticket.public_id)}@{mail_domain()}>"


def parse_root_message_id(message_id: str) -> tuple[str, str] | None:
    """(reference, hash) of a root Message-ID of ours, or None."""
    match = ROOT_ID_RE.match(message_id or "")
    if not match or not message_id.lower().endswith(f"@{mail_domain()}>"):
        return None
    return match.group("ref").upper(), match.group("hash")


def root_matches(ticket, root_hash: str) -> bool:
    return hmac.compare_digest(_root_hash(ticket.public_id), root_hash)


def new_message_id() -> str:
    """A unique Message-ID for one outgoing email."""
    return f"<n.{secrets.token_hex(12)}@{mail_domain()}>"
