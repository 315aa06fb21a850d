"""django-q2 tasks for tickets. Each takes ids, re-fetches, and is safe to run twice."""

from datetime import timedelta

from django.utils import timezone
from django_q.tasks import async_task

from tickets.models import Notification
from tickets.notification_delivery import notification_deliver_by_id
from tickets.notifications import deliveries_in_this_task

# An unsent notification younger than this is probably still in the queue: leave it be.
RETRY_AFTER = timedelta(minutes=2)
# After this many failed attempts a delivery needs a human (the admin shows `last_error`).
MAX_SEND_ATTEMPTS = 5
# Upper bound per run, so a long outage is drained over several runs, not in one burst.
RETRY_BATCH = 500
# Desk notifications are stored as sent; only these channels are ever delivered by a task.
DELIVERED_CHANNELS = [Notification.Channel.EMAIL, Notification.Channel.WEBHOOK]


def deliver_notification(notification_id: int) -> bool:
    """Send one email or webhook notification. Returns whether it was sent by this run."""
    return notification_deliver_by_id(notification_id)


def retry_unsent_notifications() -> int:
    """Re-queue emails and webhooks still unsent a while after they were queued (scheduled).

    Returns how many were re-queued. Idempotent: a re-queued notification that was sent in
    the meantime, or queued twice, is sent once (`notification_deliver` checks `sent_at`
    under a row lock). Nothing is written here; each delivery records its own attempt.
    """
    cutoff = timezone.now() - RETRY_AFTER
    pending = list(
        Notification.objects.filter(
            sent_at__isnull=True,
            created_at__lt=cutoff,
            channel__in=DELIVERED_CHANNELS,
            attempts__lt=MAX_SEND_ATTEMPTS,
        )
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:RETRY_BATCH]
    )
    for notification_id in pending:
        async_task("tickets.tasks.deliver_notification", notification_id)
    return len(pending)


def run_time_rules() -> int:
    """Evaluate the hourly (time-based) automation rules (scheduled every hour).

    Idempotent: each rule fires at most once per ticket and status entry, so a second run in
    the same hour, or a re-delivered task, changes nothing.
    """
    from tickets.automation.time_rules import time_rules_run

    return time_rules_run()


# Satisfaction surveys, organization health and auto-close (docs/surveys.md) ------------------


def create_survey(ticket_id: int, resolved_at: str) -> bool:
    """Record the survey for one resolution (queued by the resolve after-hook). Returns whether
    it was created now; a repeat finds it recorded (unique per ticket and resolution)."""
    from datetime import datetime

    from tickets.models import Ticket
    from tickets.surveys import survey_create

    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None:
        return False
    _, created = survey_create(ticket=ticket, resolved_at=datetime.fromisoformat(resolved_at))
    return created


def send_due_surveys() -> int:
    """Email the surveys that fell due (scheduled every 5 minutes). Idempotent: each survey is
    sent under its row lock and stamped `sent_at` (or `skipped_at`)."""
    from tickets.surveys import surveys_send_due

    return surveys_send_due()


def refresh_organization_health(organization_id: int) -> bool:
    """Recompute one organization's 30-day health figures (queued on resolve and on a survey
    answer). Recomputes from scratch, so running it twice stores the same figures."""
    from tickets.models import Organization
    from tickets.organization_health import organization_refresh_health

    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return False
    organization_refresh_health(organization=organization)
    return True


def auto_close_resolved_tickets() -> int:
    """Close tickets resolved longer than AUTO_CLOSE_RESOLVED_DAYS ago (scheduled hourly).
    Returns how many closed. Idempotent: a closed ticket is no longer a candidate, and each is
    re-checked under its row lock."""
    from tickets.services.auto_close import (
        auto_close_cutoff,
        ticket_auto_close,
        tickets_due_for_auto_close,
    )

    cutoff = auto_close_cutoff()
    if cutoff is None:
        return 0
    return sum(
        ticket_auto_close(ticket=ticket_id, cutoff=cutoff)
        for ticket_id in tickets_due_for_auto_close(cutoff=cutoff)
    )


# Deferred lifecycle after-hooks (tickets.hooks) ------------------------------------------------


def run_deferred_hooks(
    paths: list[str],
    *,
    verb: str,
    ticket_id: int,
    event_ids: list[int],
    message_id: int | None = None,
    actor_id: int | None = None,
    changes: dict | None = None,
) -> bool:
    """Run a change's deferred after-hooks (queued once on commit by `hooks.schedule_after`)
    with the context rebuilt from the database; the emails and webhooks they record are sent
    at the end, in this task (`deliveries_in_this_task`). Returns False when the ticket is
    gone. Idempotent as each deferred hook is (dedupe keys, unique links, re-checking tasks)
    and each delivery is (sent once under a row lock)."""
    from django.contrib.auth import get_user_model

    from tickets import hooks
    from tickets.models import Ticket, TicketEvent, TicketMessage

    ticket = Ticket.objects.select_related("customer", "category").filter(pk=ticket_id).first()
    if ticket is None:
        return False
    by_id = TicketEvent.objects.in_bulk(event_ids)
    ctx = hooks.HookContext(
        verb=verb,
        ticket=ticket,
        actor=get_user_model().objects.filter(pk=actor_id).first() if actor_id else None,
        changes=dict(changes or {}),
        events=[by_id[pk] for pk in event_ids if pk in by_id],
        message=TicketMessage.objects.filter(pk=message_id).first() if message_id else None,
    )
    with deliveries_in_this_task():
        hooks.run_deferred(paths, ctx)
    return True


# Upper bound of files scanned per run of the scan retry job.
SCAN_RETRY_BATCH = 200


def scan_pending_attachments() -> int:
    """Scan the attachments that wait for the virus scanner (scheduled every 2 minutes).

    Returns how many got a verdict. Stops at the first "scanner unavailable" (the rest stay
    pending for the next run); a file clamd refuses is skipped, not blocking the others.
    Safe twice: a file scanned meanwhile is skipped under its lock.
    """
    from tickets.models import Attachment
    from tickets.scanning import ScanFailed, ScannerUnavailable, scanning_enabled
    from tickets.services import attachment_scan_pending

    if not scanning_enabled():
        return 0
    pending = list(
        Attachment.objects.filter(scan_status=Attachment.ScanStatus.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)[:SCAN_RETRY_BATCH]
    )
    scanned = 0
    for attachment_id in pending:
        try:
            if attachment_scan_pending(attachment_id=attachment_id) is not None:
                scanned += 1
        except ScanFailed:
            continue
        except ScannerUnavailable:
            break
    return scanned
