"""The conversation: agent replies, internal notes and customer replies.

Each writes the message (markdown rendered and sanitised once, at write time), its
attachments, one message event, and the status move the reply implies:
an agent's public reply moves open → in progress and sets first_response_at once;
a customer's reply moves waiting on customer → in progress and reopens a resolved ticket.
"""

from collections.abc import Sequence

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from common.exceptions import ApplicationError
from common.markdown import render_markdown
from tickets import hooks
from tickets.models import Customer, Status, Ticket, TicketEvent, TicketMessage
from tickets.services._common import (
    ensure_agent,
    ensure_not_closed,
    lock_ticket,
    record_event,
    require_text,
)
from tickets.services.attachments import store_attachments, validate_uploads
from tickets.services.lifecycle import apply_status_change
from tickets.services.sender import VerifiedVia, apply_sender_verified

MAX_MESSAGE_LENGTH = 50_000


def create_message(
    *,
    ticket: Ticket,
    author_kind: str,
    author,
    body: str,
    is_internal: bool,
    files: Sequence[UploadedFile] = (),
    at=None,
) -> TicketMessage:
    message = TicketMessage.objects.create(
        ticket=ticket,
        author_kind=author_kind,
        author=author,
        body=body,
        body_html=render_markdown(body),
        is_internal=is_internal,
        created_at=at or timezone.now(),
    )
    if files:
        store_attachments(message=message, files=files)
    return message


def _clean_body(body: str) -> str:
    return require_text(body, field="body", label="A message", max_length=MAX_MESSAGE_LENGTH)


def _post_message(
    ctx: hooks.HookContext,
    *,
    author_kind: str,
    author,
    is_internal: bool,
    event_kind: str,
    files: Sequence[UploadedFile] = (),
    stamp_fields: Sequence[str] = (),
    event_data: dict | None = None,
) -> TicketMessage:
    """The part every conversation verb shares, on the locked ticket in `ctx`: the message
    (body from `ctx.changes`, after the before-hooks), the ticket's `updated_at` and, for each
    of `stamp_fields` still empty, the message's time (first_response_at), and the one message
    event, appended to `ctx.events`."""
    ticket = ctx.ticket
    now = timezone.now()
    message = create_message(
        ticket=ticket,
        author_kind=author_kind,
        author=author,
        body=ctx.changes["body"],
        is_internal=is_internal,
        files=files,
        at=now,
    )
    for name in stamp_fields:
        if getattr(ticket, name) is None:
            setattr(ticket, name, now)
    ticket.updated_at = now
    ticket.save(update_fields=["updated_at", *stamp_fields])
    ctx.message = message
    ctx.events.append(
        record_event(
            ticket,
            event_kind,
            actor=ctx.actor,
            at=now,
            data={"message_id": message.pk, **(event_data or {})},
        )
    )
    return message


@transaction.atomic
def ticket_reply(
    *, ticket: Ticket, actor, body: str, files: Sequence[UploadedFile] = ()
) -> TicketMessage:
    """An agent's public reply. Writes a `replied` event, sets first_response_at on the first
    one, and moves an open ticket to in progress (a `status_changed` event)."""
    ensure_agent(actor, allow_system=False)
    body = _clean_body(body)
    validate_uploads(files)
    ticket = lock_ticket(ticket)
    ensure_not_closed(ticket)
    ctx = hooks.HookContext(verb="reply", ticket=ticket, actor=actor, changes={"body": body})
    hooks.run_before(ctx)
    first = ticket.first_response_at is None
    message = _post_message(
        ctx,
        author_kind=TicketMessage.AuthorKind.AGENT,
        author=actor,
        is_internal=False,
        event_kind=TicketEvent.Kind.REPLIED,
        files=files,
        stamp_fields=["first_response_at"] if first else [],
        event_data={"first_response": first},
    )
    if ticket.status == Status.OPEN:
        ctx.events.append(apply_status_change(ticket, Status.IN_PROGRESS, actor=actor))
    hooks.schedule_after(ctx)
    return message


@transaction.atomic
def ticket_add_note(*, ticket: Ticket, actor, body: str) -> TicketMessage:
    """An internal note: visible to agents only, never to the customer. One `note_added` event.

    `actor=None` is the system (an automation rule): the note is authored as System."""
    ensure_agent(actor)
    body = _clean_body(body)
    ticket = lock_ticket(ticket)
    ctx = hooks.HookContext(verb="note", ticket=ticket, actor=actor, changes={"body": body})
    hooks.run_before(ctx)
    message = _post_message(
        ctx,
        author_kind=(
            TicketMessage.AuthorKind.AGENT if actor is not None else TicketMessage.AuthorKind.SYSTEM
        ),
        author=actor,
        is_internal=True,
        event_kind=TicketEvent.Kind.NOTE_ADDED,
    )
    hooks.schedule_after(ctx)
    return message


@transaction.atomic
def ticket_customer_reply(
    *,
    ticket: Ticket,
    customer: Customer,
    body: str,
    files: Sequence[UploadedFile] = (),
    proves_address: bool = False,
) -> TicketMessage:
    """The customer writes on their ticket. Writes a `customer_replied` event; waiting on
    customer goes back to in progress and a resolved ticket reopens (a `status_changed` event).
    A closed ticket refuses: the customer is asked to open a new one.

    `proves_address`: the reply came through a channel only the owner of the customer's
    address has (the emailed secure link, a reply to our email, their API token), so an
    unverified sender becomes verified (a `sender_verified` event, tickets.services.sender)."""
    body = _clean_body(body)
    validate_uploads(files)
    ticket = lock_ticket(ticket)
    if ticket.customer_id != customer.pk:
        raise ApplicationError("This ticket belongs to another customer.", code="not_owner")
    if ticket.status == Status.CLOSED:
        raise ApplicationError(
            f"{ticket.reference} is closed. Please open a new ticket and mention "
            f"{ticket.reference} in it.",
            code="ticket_closed",
        )
    ctx = hooks.HookContext(
        verb="customer_reply", ticket=ticket, actor=customer.user, changes={"body": body}
    )
    hooks.run_before(ctx)
    message = _post_message(
        ctx,
        author_kind=TicketMessage.AuthorKind.CUSTOMER,
        author=customer.user,
        is_internal=False,
        event_kind=TicketEvent.Kind.CUSTOMER_REPLIED,
        files=files,
    )
    if ticket.status in (Status.WAITING_CUSTOMER, Status.RESOLVED):
        reason = (
            "Customer replied"
            if ticket.status == Status.WAITING_CUSTOMER
            else "Reopened by the customer's reply"
        )
        ctx.events.append(
            apply_status_change(ticket, Status.IN_PROGRESS, actor=customer.user, reason=reason)
        )
    if proves_address:
        verified = apply_sender_verified(ticket, actor=customer.user, via=VerifiedVia.REPLY)
        if verified is not None:
            ctx.events.append(verified)
    hooks.schedule_after(ctx)
    return message


@transaction.atomic
def ticket_post_auto_answer(*, ticket: Ticket, body: str) -> TicketMessage:
    """The auto-response cascade's answer (knowledge.autoanswer): a public message authored
    as AI, with no user, and one `auto_answered` event.

    It does not set first_response_at and leaves the status alone: an automatic answer is not
    an agent's first response, so the SLA clock keeps running until a person replies, and the
    ticket stays in the queue in case the answer did not help. The after-hooks of the
    `auto_answer` verb tell the customer, as for an agent's reply."""
    body = _clean_body(body)
    ticket = lock_ticket(ticket)
    ensure_not_closed(ticket)
    ctx = hooks.HookContext(verb="auto_answer", ticket=ticket, actor=None, changes={"body": body})
    hooks.run_before(ctx)
    message = _post_message(
        ctx,
        author_kind=TicketMessage.AuthorKind.AI,
        author=None,
        is_internal=False,
        event_kind=TicketEvent.Kind.AUTO_ANSWERED,
    )
    hooks.schedule_after(ctx)
    return message


@transaction.atomic
def ticket_record_auto_answer_not_helpful(*, ticket: Ticket, message_id: int | None) -> Ticket:
    """The customer said the automatic answer did not help: one `auto_answer_not_helpful`
    event (authored by the customer). Putting the ticket in front of an agent (tag, status)
    is the caller's next step (knowledge.autoanswer.auto_answer_not_helpful)."""
    ticket = lock_ticket(ticket)
    record_event(
        ticket,
        TicketEvent.Kind.AUTO_ANSWER_NOT_HELPFUL,
        actor=ticket.customer.user,
        data={"message_id": message_id},
    )
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["updated_at"])
    return ticket
