"""The task queue's own housekeeping (django-q2). Safe to run twice."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_q.models import Success


def prune_task_results() -> int:
    """Delete successful task results older than Q_KEEP_SUCCESS_HOURS (scheduled hourly; the
    cluster itself prunes nothing, see Q_CLUSTER in settings). Failed tasks are kept: they
    are what an operator reads in the admin, and deleted there. Returns how many went."""
    cutoff = timezone.now() - timedelta(hours=settings.Q_KEEP_SUCCESS_HOURS)
    deleted, _ = Success.objects.filter(stopped__lt=cutoff).delete()
    return deleted
