"""django-q2 tasks for tickets. Each takes ids, re-fetches, and is safe to run twice."""

from datetime import timedelta

from django.utils import timezone
from django_q.tasks import async_task

from tickets.models import Notification
from tickets.notifications import notification_deliver

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
    notification = Notification.objects.filter(pk=notification_id).first()
    if notification is None or notification.sent_at is not None:
        return False
    return notification_deliver(notification=notification)


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
