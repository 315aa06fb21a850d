"""django-q2 tasks for tickets. Each takes ids, re-fetches, and is safe to run twice."""

from tickets.models import CustomerNotification
from tickets.notifications import notification_send


def send_customer_notification(notification_id: int) -> bool:
    notification = CustomerNotification.objects.filter(pk=notification_id).first()
    if notification is None or notification.sent_at is not None:
        return False
    return notification_send(notification=notification)
