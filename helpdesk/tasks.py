"""django-q2 tasks for outbound webhooks and the task queue's own housekeeping. Each is safe
to run twice."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_q.models import Success
from django_q.tasks import async_task

from helpdesk.models import WebhookDelivery
from helpdesk.webhooks import due_deliveries, webhook_deliver


def deliver_webhook(delivery_id: int) -> bool:
    """Attempt one webhook delivery if it is still due. Returns whether it succeeded now.

    A failure is recorded on the delivery and retried by `retry_due_webhooks` after the
    backoff, so nothing is raised to the task queue.
    """
    delivery = WebhookDelivery.objects.filter(pk=delivery_id).first()
    if delivery is None or delivery.status not in (
        WebhookDelivery.Status.PENDING,
        WebhookDelivery.Status.FAILED,
    ):
        return False
    return webhook_deliver(delivery=delivery)


def retry_due_webhooks() -> int:
    """Queue every delivery whose next attempt is due (scheduled every minute). Returns how
    many. Idempotent: a delivery queued twice is claimed once (`webhook_deliver`)."""
    due = due_deliveries()
    for delivery_id in due:
        async_task("helpdesk.tasks.deliver_webhook", delivery_id)
    return len(due)


def prune_task_results() -> int:
    """Delete successful task results older than Q_KEEP_SUCCESS_HOURS (scheduled hourly; the
    cluster itself prunes nothing, see Q_CLUSTER in settings). Failed tasks are kept: they
    are what an operator reads in the admin, and deleted there. Returns how many went."""
    cutoff = timezone.now() - timedelta(hours=settings.Q_KEEP_SUCCESS_HOURS)
    deleted, _ = Success.objects.filter(stopped__lt=cutoff).delete()
    return deleted


def delete_ended_rate_limit_windows() -> int:
    """Delete the rate-limit windows that have ended (scheduled daily). Returns how many."""
    from helpdesk.ratelimit import windows_delete_ended

    return windows_delete_ended()
