"""Task results: the cluster saves every result and prunes none; the hourly job deletes
successes older than Q_KEEP_SUCCESS_HOURS and keeps every failure."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.models import Failure, Success, Task
from django_q.monitor import save_task

from common.tasks import prune_task_results

pytestmark = pytest.mark.django_db


def _result(*, success: bool, hours_ago: float) -> Task:
    stopped = timezone.now() - timedelta(hours=hours_ago)
    return Task.objects.create(
        id=uuid.uuid4().hex,
        name=f"task-{uuid.uuid4().hex[:8]}",
        func="tickets.tasks.deliver_notification",
        args=(1,),
        kwargs={},
        result=success,
        started=stopped - timedelta(seconds=1),
        stopped=stopped,
        success=success,
    )


def test_prune_deletes_old_successes_and_keeps_recent_ones_and_every_failure(settings):
    settings.Q_KEEP_SUCCESS_HOURS = 24
    old_success = _result(success=True, hours_ago=25)
    recent_success = _result(success=True, hours_ago=23)
    old_failure = _result(success=False, hours_ago=24 * 30)

    assert prune_task_results() == 1

    assert not Task.objects.filter(pk=old_success.pk).exists()
    assert set(Success.objects.values_list("pk", flat=True)) == {recent_success.pk}
    assert set(Failure.objects.values_list("pk", flat=True)) == {old_failure.pk}
    assert prune_task_results() == 0


def test_the_cluster_saves_each_result_without_pruning_older_ones():
    # More than the 1,000 a cluster-side limit would have kept.
    now = timezone.now()
    Task.objects.bulk_create(
        Task(
            id=uuid.uuid4().hex,
            name=f"earlier-{n}",
            func="tickets.tasks.deliver_notification",
            args=(n,),
            kwargs={},
            result=True,
            started=now,
            stopped=now,
            success=True,
        )
        for n in range(1000)
    )
    task = {
        "id": uuid.uuid4().hex,
        "name": "fresh-task",
        "func": "tickets.tasks.deliver_notification",
        "args": (2,),
        "kwargs": {},
        "result": True,
        "started": now,
        "stopped": now,
        "success": True,
        "group": None,
    }

    save_task(task, get_broker())

    assert Success.objects.count() == 1001
    assert Success.objects.filter(name="fresh-task").exists()
