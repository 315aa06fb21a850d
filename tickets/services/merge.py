"""Merging a duplicate ticket into another."""

from django.db import transaction
from django.utils import timezone

from common.exceptions import ApplicationError
from tickets import hooks
from tickets.models import Attachment, Status, Ticket, TicketEvent, TicketLink, TicketMessage
from tickets.services._common import ensure_agent, record_event
from tickets.services.lifecycle import close_merged_locked
from tickets.services.triage import set_tags_locked

MAX_REASON_LENGTH = 500


@transaction.atomic
def ticket_merge(*, source: Ticket, target: Ticket, actor, reason: str = "") -> Ticket:
    """Merge `source` (a duplicate) into `target`; returns the target.

    Agents only. Refused, writing nothing: merging a ticket into itself, into a closed
    target, a ticket already merged, a closed source, or tickets of different customers (the
    target's secure link would show one customer's messages to another; link them as related
    instead).

    Both rows are locked (in id order, so two crossed merges cannot deadlock). The source's
    messages and attachments move to the target and keep their `created_at`, so the target's
    conversation stays in time order; the source's tags are added to the target (one
    `tags_changed` event when that adds any). Each ticket gets one `merged` event (the source:
    merged into the target; the target: the source merged into it). The source's own events
    stay on the source as its audit trail. The source is closed straight away (the merge
    path of docs/lifecycle.md: one `status_changed` event, `data.via` = merge), points to the
    target by `merged_into`, and a duplicate_of link is recorded. After commit the source's
    transition hooks run (the SLA clock stops, the assignee's capacity is freed).
    """
    ensure_agent(actor, allow_system=False)
    reason = (reason or "").strip()[:MAX_REASON_LENGTH]
    if source.pk == target.pk:
        raise ApplicationError(
            f"{source.reference} cannot be merged into itself.", code="merge_refused"
        )
    first, second = sorted([source.pk, target.pk])
    locked = {t.pk: t for t in Ticket.objects.select_for_update().filter(pk__in=[first, second])}
    source, target = locked[source.pk], locked[target.pk]
    if source.merged_into_id is not None:
        raise ApplicationError(
            f"{source.reference} was already merged into another ticket.", code="merge_refused"
        )
    if source.status == Status.CLOSED:
        raise ApplicationError(
            f"{source.reference} is closed and can no longer be merged.", code="merge_refused"
        )
    if target.status == Status.CLOSED:
        raise ApplicationError(
            f"{target.reference} is closed; merge into an open ticket.", code="merge_refused"
        )

    if source.customer_id != target.customer_id:
        raise ApplicationError(
            f"{source.reference} and {target.reference} belong to different customers: merging "
            "would show one customer's messages to the other.",
            code="merge_refused",
        )

    now = timezone.now()
    moved_messages = TicketMessage.objects.filter(ticket=source).update(ticket=target)
    moved_attachments = Attachment.objects.filter(ticket=source).update(ticket=target)
    common = {"reason": reason} if reason else {}
    common.update(messages=moved_messages, attachments=moved_attachments)

    record_event(
        source,
        TicketEvent.Kind.MERGED,
        actor=actor,
        to_value=target.reference,
        data={**common, "into": target.reference, "into_id": target.pk},
        at=now,
    )
    record_event(
        target,
        TicketEvent.Kind.MERGED,
        actor=actor,
        from_value=source.reference,
        data={**common, "from": source.reference, "from_id": source.pk},
        at=now,
    )

    current = list(target.tags.values_list("name", flat=True))
    added = [name for name in source.tags.values_list("name", flat=True) if name not in current]
    if added:
        set_tags_locked(target, current + added)
        record_event(
            target,
            TicketEvent.Kind.TAGS_CHANGED,
            actor=actor,
            from_value=", ".join(sorted(current)),
            to_value=", ".join(sorted(current + added)),
            data={"added": added, "removed": [], "via": "merge", "from": source.reference},
            at=now,
        )
    target.updated_at = now
    target.save(update_fields=["updated_at"])

    source.merged_into = target
    source.save(update_fields=["merged_into"])
    closing = f"Merged into {target.reference}"
    status_event = close_merged_locked(source, actor=actor, reason=closing)
    TicketLink.objects.get_or_create(
        from_ticket=source,
        to_ticket=target,
        kind=TicketLink.Kind.DUPLICATE_OF,
        defaults={"reason": TicketLink.Reason.MERGED},
    )
    if status_event is not None:
        ctx = hooks.HookContext(
            verb="transition",
            ticket=source,
            actor=actor,
            changes={"status": Status.CLOSED, "reason": closing},
            events=[status_event],
        )
        hooks.schedule_after(ctx)
    return target
