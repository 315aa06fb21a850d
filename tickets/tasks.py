"""django-q2 tasks for tickets. Each takes ids, re-fetches, and is safe to run twice."""

from datetime import timedelta

from django.utils import timezone
from django_q.tasks import async_task

from tickets.models import CustomerNotification
from tickets.notifications import notification_send

# An unsent email younger than this is probably still in the queue: leave it to that task.
RETRY_AFTER = timedelta(minutes=2)
# After this many failed attempts an email needs a human (the admin shows `last_error`).
MAX_SEND_ATTEMPTS = 5
# Upper bound per run, so a long outage is drained over several runs, not in one burst.
RETRY_BATCH = 500


def send_customer_notification(notification_id: int) -> bool:
    notification = CustomerNotification.objects.filter(pk=notification_id).first()
    if notification is None or notification.sent_at is not None:
        return False
    return notification_send(notification=notification)


def retry_unsent_notifications() -> int:
    """Re-queue customer emails still unsent a while after they were queued (scheduled).

    Returns how many were re-queued. Idempotent: a re-queued email that was sent in the
    meantime, or queued twice, is sent once (`notification_send` checks `sent_at` under a row
    lock). Nothing is written here; each send task records its own attempt.
    """
    cutoff = timezone.now() - RETRY_AFTER
    pending = list(
        CustomerNotification.objects.filter(
            sent_at__isnull=True, created_at__lt=cutoff, attempts__lt=MAX_SEND_ATTEMPTS
        )
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:RETRY_BATCH]
    )
    for notification_id in pending:
        async_task("tickets.tasks.send_customer_notification", notification_id)
    return len(pending)
