"""Take in one inbound email: dedupe, size check, parse, drop noise, file a ticket or a reply.

Every message gets exactly one `InboundEmail` row saying what became of it. The row and the
ticket writes share one transaction, so a failure leaves no half-filed ticket: the transaction
rolls back and the message is recorded as quarantined with the reason, in its own transaction,
and the caller goes on with the next message.

Who may reply on a ticket: only its customer (the From address, case-insensitive). A matched
reference is readable, not secret, so anybody else writing "[TKT-00012]" in a subject (a
colleague on CC, a stranger) gets a new ticket of their own instead of a message on someone
else's ticket; an agent can merge the two. Mail from an agent's address is quarantined:
agents answer in the desk, and filing their mail as a customer ticket would confuse the queue.
A reply to a closed ticket files a new ticket that names the closed one (the portal asks the
customer to do the same). A reply to a merged ticket lands on the ticket it was merged into.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from common.exceptions import ApplicationError, error_messages
from mail.models import InboundEmail, Mailbox
from mail.parse import MalformedEmail, ParsedEmail, parse_email, read_message_id
from mail.route import find_ticket, noise_reason
from tickets.models import Channel, Status, Ticket
from tickets.services import (
    customer_get_or_create,
    ticket_create,
    ticket_customer_reply,
    validate_uploads,
)
from tickets.services.messages import MAX_MESSAGE_LENGTH

logger = logging.getLogger(__name__)

# What is kept of a message too large to take in: enough to read its headers in the admin.
TRUNCATED_RAW_BYTES = 64 * 1024
NO_TEXT = "(The email had no text.)"
NO_SUBJECT = "(no subject)"


class Quarantine(Exception):
    """Refuse the message with this reason (rolled back, then recorded as quarantined)."""


@dataclass
class Received:
    inbound: InboundEmail
    duplicate: bool = False


def inbound_email_receive(*, raw: bytes, source: str, mailbox: Mailbox | None = None) -> Received:
    """Take in one raw RFC 822 message from `source` (`mailbox.source` or "webhook").

    Idempotent: a message whose Message-ID was already taken in from the same source is not
    processed again (`duplicate=True`, the earlier row). Never raises for a bad message: it
    is quarantined with the reason. Side effects: a new ticket (its confirmation email is
    queued on commit by the ticket's after-hooks) or a customer reply on a ticket.
    """
    message_id = read_message_id(raw)
    existing = InboundEmail.objects.filter(source=source, message_id=message_id).first()
    if existing is not None:
        return Received(existing, duplicate=True)

    inbound = InboundEmail(
        mailbox=mailbox, source=source, message_id=message_id, size=len(raw), raw=raw
    )
    limit = settings.INBOUND_EMAIL_MAX_BYTES
    if len(raw) > limit:
        inbound.raw = raw[:TRUNCATED_RAW_BYTES]
        inbound.raw_truncated = True
        _fill_headers_best_effort(inbound, raw[:TRUNCATED_RAW_BYTES])
        return _record_quarantine(
            inbound,
            f"The message is {filesizeformat(len(raw))}, over the "
            f"{filesizeformat(limit)} limit (INBOUND_EMAIL_MAX_BYTES).",
        )
    return _process_safely(inbound, raw)


def inbound_email_reprocess(*, inbound: InboundEmail) -> InboundEmail:
    """Process a quarantined message again from its stored raw bytes (after a fix: a missing
    customer record, a raised limit). Refused for messages not quarantined or not kept whole."""
    if inbound.status != InboundEmail.Status.QUARANTINED:
        raise ApplicationError("Only quarantined messages can be reprocessed.", code="not_held")
    if inbound.raw_truncated:
        raise ApplicationError(
            "The full message was not kept (it was over the size limit): ask the sender to "
            "send it again.",
            code="truncated",
        )
    raw = bytes(inbound.raw)
    return _process_safely(inbound, raw).inbound


def _process_safely(inbound: InboundEmail, raw: bytes) -> Received:
    was_new = inbound.pk is None
    try:
        with transaction.atomic():
            _process(inbound, raw)
        return Received(inbound)
    except IntegrityError:
        # The same message was taken in concurrently (another fetch run, a webhook retry).
        if was_new:
            existing = InboundEmail.objects.filter(
                source=inbound.source, message_id=inbound.message_id
            ).first()
            if existing is not None:
                return Received(existing, duplicate=True)
        reason = "A database constraint refused the message."
        logger.exception("Inbound email %s refused by a constraint", inbound.message_id)
    except (Quarantine, MalformedEmail) as exc:
        reason = str(exc)
    except (ValidationError, ApplicationError) as exc:
        reason = "; ".join(error_messages(exc))
    except Exception as exc:  # noqa: BLE001 - one bad message must never stop the others
        logger.exception("Inbound email %s could not be processed", inbound.message_id)
        reason = f"Unexpected error: {exc.__class__.__name__}: {exc}"
    # The transaction rolled back: what the model instance holds may name rows that are gone.
    if was_new:
        inbound.pk = None
        inbound._state.adding = True
    inbound.ticket = None
    inbound.ticket_message = None
    inbound.outcome = InboundEmail.Outcome.NONE
    return _record_quarantine(inbound, reason)


def _record_quarantine(inbound: InboundEmail, reason: str) -> Received:
    inbound.status = InboundEmail.Status.QUARANTINED
    inbound.reason = reason[:2000]
    inbound.from_address = inbound.from_address[:254]
    inbound.subject = inbound.subject[:300]
    try:
        with transaction.atomic():
            inbound.save()
    except IntegrityError:
        existing = InboundEmail.objects.filter(
            source=inbound.source, message_id=inbound.message_id
        ).first()
        if existing is None:
            raise
        return Received(existing, duplicate=True)
    logger.warning("Inbound email %s quarantined: %s", inbound.message_id, reason)
    return Received(inbound)


def _fill_headers_best_effort(inbound: InboundEmail, raw: bytes) -> None:
    try:
        parsed = parse_email(raw)
    except MalformedEmail:
        return
    inbound.from_address = parsed.from_address[:254]
    inbound.subject = parsed.subject[:300]


def _process(inbound: InboundEmail, raw: bytes) -> None:
    """Inside the message's transaction. Raises to quarantine (everything rolls back)."""
    inbound.received_at = timezone.now()
    parsed = parse_email(raw)
    inbound.from_address = parsed.from_address[:254]
    inbound.subject = parsed.subject[:300]
    inbound.ticket = None
    inbound.ticket_message = None
    inbound.outcome = InboundEmail.Outcome.NONE
    inbound.reason = ""

    reason = noise_reason(parsed)
    if reason is not None:
        inbound.status = InboundEmail.Status.IGNORED
        inbound.reason = reason
        inbound.save()
        return

    inbound.status = InboundEmail.Status.PROCESSED
    # Saved first: the unique (source, message_id) row is the claim on this message, so a
    # concurrent run fails here, before filing anything.
    inbound.save()

    if _is_agent_address(parsed.from_address):
        raise Quarantine(
            f"Sent from an agent's address ({parsed.from_address}): agents reply in the desk."
        )
    files, dropped = _attachments(parsed)
    match = find_ticket(parsed)
    notes: list[str] = []
    if match is not None:
        ticket = _follow_merges(match.ticket)
        if ticket.customer.email.lower() != parsed.from_address:
            notes.append(
                f"Mentions {ticket.reference}, but the sender is not that ticket's customer: "
                "filed as a new ticket."
            )
            _file_new_ticket(inbound, parsed, files, dropped, preface="")
        elif ticket.status == Status.CLOSED:
            notes.append(f"{ticket.reference} is closed: filed as a new ticket.")
            _file_new_ticket(
                inbound,
                parsed,
                files,
                dropped,
                preface=f"(Follow-up to {ticket.reference}, which is closed.)\n\n",
                body=parsed.reply_text(),
            )
        else:
            message = ticket_customer_reply(
                ticket=ticket,
                customer=ticket.customer,
                body=_body(parsed.reply_text(), dropped),
                files=files,
                # Threaded by our own Message-IDs: only the mailbox we wrote to has them (a
                # reference in the subject or address can be typed by anyone).
                proves_address=match.ours,
            )
            inbound.ticket = ticket
            inbound.ticket_message = message
            inbound.outcome = InboundEmail.Outcome.REPLY
            notes.append(f"Reply on {ticket.reference} (matched by {match.how}).")
    else:
        _file_new_ticket(inbound, parsed, files, dropped, preface="")
    if dropped:
        notes.append("Attachments not kept: " + "; ".join(dropped))
    inbound.reason = " ".join(notes)
    inbound.save()


def _file_new_ticket(
    inbound: InboundEmail,
    parsed: ParsedEmail,
    files: list[SimpleUploadedFile],
    dropped: list[str],
    *,
    preface: str,
    body: str | None = None,
) -> Ticket:
    customer = customer_get_or_create(email=parsed.from_address, name=parsed.from_name)
    subject = " ".join(parsed.subject.split())[:200] or NO_SUBJECT
    ticket = ticket_create(
        customer=customer,
        subject=subject,
        body=_body(preface + (parsed.text if body is None else body), dropped),
        channel=Channel.EMAIL,
        files=files,
        actor=customer.user,
    )
    inbound.ticket = ticket
    inbound.ticket_message = ticket.messages.first()
    inbound.outcome = InboundEmail.Outcome.NEW_TICKET
    return ticket


def _body(text: str, dropped: list[str]) -> str:
    text = text.strip() or NO_TEXT
    if dropped:
        text += "\n\n_Attachments not kept: " + "; ".join(dropped) + "_"
    if len(text) > MAX_MESSAGE_LENGTH:
        marker = "\n\n(The email was cut here: it was too long.)"
        text = text[: MAX_MESSAGE_LENGTH - len(marker)] + marker
    return text


def _attachments(parsed: ParsedEmail) -> tuple[list[SimpleUploadedFile], list[str]]:
    """The attachments that pass the ticket attachment checks (type, size, count); the others
    are listed as dropped with the reason, instead of refusing the whole email."""
    kept: list[SimpleUploadedFile] = []
    dropped: list[str] = []
    for item in parsed.attachments:
        upload = SimpleUploadedFile(item.filename, item.data, content_type=item.content_type)
        if len(kept) >= settings.ATTACHMENT_MAX_FILES:
            dropped.append(f"{item.filename} (more than {settings.ATTACHMENT_MAX_FILES} files)")
            continue
        try:
            validate_uploads([upload])
        except ValidationError as exc:
            dropped.append(f"{item.filename} ({' '.join(exc.messages)})")
            continue
        kept.append(upload)
    return kept, dropped


def _follow_merges(ticket: Ticket) -> Ticket:
    seen = {ticket.pk}
    while ticket.merged_into_id is not None and ticket.merged_into_id not in seen:
        seen.add(ticket.merged_into_id)
        ticket = Ticket.objects.select_related("customer").get(pk=ticket.merged_into_id)
    return ticket


def _is_agent_address(address: str) -> bool:
    return (
        get_user_model()
        .objects.filter(email__iexact=address, is_active=True, agent_profile__isnull=False)
        .exists()
    )


# ---------------------------------------------------------------------------------------------
# Mailbox bookkeeping
# ---------------------------------------------------------------------------------------------


def mailbox_record_fetch(*, mailbox: Mailbox, error: str = "") -> None:
    """Stamp a mailbox after a fetch run: when, and the error that stopped it (or none)."""
    Mailbox.objects.filter(pk=mailbox.pk).update(
        last_fetched_at=timezone.now(), last_error=error[:2000]
    )
