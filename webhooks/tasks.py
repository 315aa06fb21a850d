"""django-q2 tasks for outbound webhooks. Each is safe to run twice."""

from django_q.tasks import async_task

from webhooks.models import WebhookDelivery
from webhooks.services import due_deliveries, webhook_deliver


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
        async_task("webhooks.tasks.deliver_webhook", delivery_id)
    return len(due)
