"""Filing a ticket, from any channel."""

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from tickets import hooks
from tickets.models import (
    DEFAULT_REFERENCE_PREFIX,
    Category,
    Channel,
    Customer,
    Priority,
    Ticket,
    TicketEvent,
    TicketMessage,
    TicketType,
)
from tickets.services._common import record_event, require_text
from tickets.services.attachments import validate_uploads
from tickets.services.messages import MAX_MESSAGE_LENGTH, create_message
from tickets.services.triage import normalise_tags, parse_priority, set_tags_locked


def customer_get_or_create(*, email: str, name: str = "") -> Customer:
    """The customer with this email (case-insensitive), created on first contact."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": "Enter a valid email address."}) from None
    name = (name or "").strip()[:200]
    customer = Customer.objects.filter(email__iexact=email).first()
    if customer is not None:
        return customer
    try:
        with transaction.atomic():
            return Customer.objects.create(email=email, name=name or email.split("@")[0])
    except IntegrityError:
        return Customer.objects.get(email__iexact=email)


def reference_for(ticket: Ticket) -> str:
    prefix = ticket.category.prefix if ticket.category else DEFAULT_REFERENCE_PREFIX
    return f"{prefix}-{ticket.pk:05d}"


@transaction.atomic
def ticket_create(
    *,
    customer: Customer,
    subject: str,
    body: str,
    category: Category | None = None,
    type: str | None = None,
    priority: str | None = None,
    channel: str = Channel.WEB,
    tags: Sequence[str] = (),
    files: Sequence[UploadedFile] = (),
    actor=None,
    classify: bool = True,
    sender_unverified: bool = False,
) -> Ticket:
    """File a ticket: the ticket, its first customer message with attachments, its tags, and
    one `created` event. Before-hooks may adjust the fields; after-hooks run on commit (the
    confirmation email).

    With `classify`, the classification hook (tickets.classification) fills in the category,
    type and priority the caller left unset (None) and adds the matching pattern's tags; an
    explicit value is never overridden. Unset and unclassified, the type is a question and
    the priority medium. The `created` event records what classification applied.

    `sender_unverified`: the filer has not shown they own the customer's address (see
    tickets.services.sender); the ticket is marked so until they do.
    """
    classify_fields = (
        {"category": category is None, "type": type is None, "priority": priority is None}
        if classify
        else {}
    )
    type = TicketType.QUESTION if type is None else type
    priority = Priority.MEDIUM if priority is None else priority
    subject = require_text(subject, field="subject", label="A subject", max_length=200)
    body = require_text(body, field="body", label="A description", max_length=MAX_MESSAGE_LENGTH)
    priority = parse_priority(priority)
    if type not in TicketType.values:
        raise ValidationError({"type": f"Unknown type {type!r}."})
    if channel not in Channel.values:
        raise ValidationError({"channel": f"Unknown channel {channel!r}."})
    if category is not None and not category.active:
        raise ValidationError({"category": f"The category {category.name} is not active."})
    validate_uploads(files)

    now = timezone.now()
    ticket = Ticket(
        subject=subject,
        body=body,
        category=category,
        type=type,
        priority=priority,
        channel=channel,
        customer=customer,
        created_at=now,
        updated_at=now,
        sender_unverified=sender_unverified,
    )
    ctx = hooks.HookContext(
        verb="create",
        ticket=ticket,
        actor=actor,
        changes={"tags": normalise_tags(tags), "classify": classify_fields},
    )
    hooks.run_before(ctx)
    # The reference carries the row id, so it is written right after the insert.
    ticket.reference = f"NEW-{ticket.public_id}"
    ticket.save()
    ticket.reference = reference_for(ticket)
    ticket.save(update_fields=["reference"])
    if ctx.changes["tags"]:
        set_tags_locked(ticket, ctx.changes["tags"])
    ctx.message = create_message(
        ticket=ticket,
        author_kind=TicketMessage.AuthorKind.CUSTOMER,
        author=customer.user,
        body=body,
        is_internal=False,
        files=files,
        at=now,
    )
    ctx.events.append(
        record_event(
            ticket,
            TicketEvent.Kind.CREATED,
            actor=actor,
            at=now,
            to_value=ticket.status,
            data={
                "channel": ticket.channel,
                "priority": ticket.priority,
                "type": ticket.type,
                "category": ticket.category.slug if ticket.category else None,
                "tags": ctx.changes["tags"],
                "classification": ctx.changes.get("classification"),
            },
        )
    )
    hooks.schedule_after(ctx)
    return ticket
