"""Every task attempt counts, including the ones that killed their worker.

django-q2 counts an attempt when the worker reports a result (`Task.attempt_count`, and
`max_attempts` stops the retries). A worker that dies mid-task (killed, out of memory,
`os._exit` in a library) reports nothing: the broker hands the task out again after
`Q_RETRY_SECONDS` with the count unchanged, so a task that kills its worker every time is
retried forever, and a re-run after a crash shows attempt 1.

Here each attempt is counted on the task's result row before it runs (`pre_execute`, in the
worker) and taken back when the worker reports (`post_execute_in_worker`), as django-q2 then
counts it itself: the row counts every attempt that started. The attempt that reaches
`max_attempts` is taken off the queue before it runs, so if it kills its worker too, nothing
hands the task out again; its row stays a failure with the count of attempts. Inline tasks
(`Q_SYNC`) are not counted: they have no queue to retry from.
"""

from django.db.models import F
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.models import Task
from django_q.utils import get_func_repr

UNFINISHED = "An attempt started and has not finished: it is running, or its worker died."


def _counted(task: dict) -> bool:
    return not task.get("sync", False) and bool(task.get("id"))


def task_attempt_start(*, task: dict) -> int:
    """Count one started attempt of a queued task on its result row; returns its number (0
    for a task that already succeeded). Takes the task off the queue when this is its last
    allowed attempt. One task is held by one worker at a time: no lock is needed."""
    unfinished = Task.objects.filter(id=task["id"], success=False)
    if unfinished.update(attempt_count=F("attempt_count") + 1, result=UNFINISHED):
        attempt = unfinished.values_list("attempt_count", flat=True).get()
    elif Task.objects.filter(id=task["id"]).exists():
        return 0  # it already succeeded: a duplicate delivery, left to django-q2
    else:
        now = timezone.now()
        Task.objects.create(
            id=task["id"],
            name=task["name"],
            func=get_func_repr(task["func"]),
            hook=task.get("hook"),
            args=task.get("args", ()),
            kwargs=task.get("kwargs", {}),
            group=task.get("group"),
            cluster=task.get("cluster"),
            started=task.get("started") or now,
            stopped=now,
            result=UNFINISHED,
            success=False,
            attempt_count=1,
        )
        attempt = 1
    if Conf.MAX_ATTEMPTS > 0 and attempt >= Conf.MAX_ATTEMPTS and task.get("ack_id"):
        get_broker().acknowledge(task["ack_id"])
    return attempt


def count_started_attempt(sender, func=None, task=None, **kwargs) -> None:
    """`pre_execute` receiver (connected in HelpdeskConfig.ready)."""
    if task is not None and _counted(task):
        task_attempt_start(task=task)


def hand_back_finished_attempt(sender, func=None, task=None, **kwargs) -> None:
    """`post_execute_in_worker` receiver: the worker reports this attempt, and django-q2 adds
    it to the count when it saves the result, so the count taken here is given back."""
    if task is not None and _counted(task):
        Task.objects.filter(id=task["id"], success=False, attempt_count__gt=0).update(
            attempt_count=F("attempt_count") - 1
        )
