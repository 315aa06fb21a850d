"""Every task attempt counts, including the ones that killed their worker.

django-q2 counts an attempt when the worker reports a result (`Task.attempt_count`, and
`max_attempts` stops the retries). A worker that dies mid-task (killed, out of memory,
`os._exit` in a library) reports nothing: the broker hands the task out again after
`Q_RETRY_SECONDS` with the count unchanged, so a task that kills its worker every time is
retried forever, and a re-run after a crash shows attempt 1.

Here the worker counts each attempt before it runs it (`pre_execute`), in one upsert of a
`TaskAttempt` row, deleted once the task succeeds. The attempt that reaches `max_attempts`
is taken off the queue before it runs, so if it kills its worker too, nothing hands the task
out again, and it is recorded as a failed task (the admin's Failed tasks) with its count. A
task's result row shows every attempt that started (a re-run after a kill: attempt 2). Inline
tasks (`Q_SYNC`) are not counted: they have no queue to retry them.
"""

import logging

from django.db import connection
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.models import Task
from django_q.utils import get_func_repr

from tickets.models import TaskAttempt

logger = logging.getLogger(__name__)

LAST_ATTEMPT = "Attempt {attempt} of {limit} started; it never finished (its worker died)."


def _queued(task: dict | None) -> bool:
    return task is not None and not task.get("sync", False) and bool(task.get("id"))


def task_attempt_start(*, task: dict) -> int:
    """Count one started attempt of a queued task; returns its number. On its last allowed
    attempt the task leaves the queue first and is recorded as failed until it reports."""
    attempt = _run_returning(
        # The first attempt inserts, the others add one: one statement.
        "INSERT INTO {table} (task_id, attempts, started_at) VALUES (%s, 1, %s) "
        "ON CONFLICT (task_id) DO UPDATE SET attempts = {table}.attempts + 1, "
        "started_at = excluded.started_at RETURNING attempts",
        [task["id"], timezone.now()],
    )
    limit = Conf.MAX_ATTEMPTS
    if limit > 0 and attempt >= limit:
        if task.get("ack_id"):
            get_broker().acknowledge(task["ack_id"])
        _set_result_row(
            task, attempt_count=attempt, result=LAST_ATTEMPT.format(attempt=attempt, limit=limit)
        )
    return attempt


def task_attempt_finish(*, task: dict) -> None:
    """The worker reports the attempt: a success forgets the count; a re-run (attempt 2 or
    later) makes the result row show every attempt that started, not only those that
    reported (django-q2 adds the one it saves now)."""
    if task.get("success"):
        started = _run_returning(
            "DELETE FROM {table} WHERE task_id = %s RETURNING attempts", [task["id"]]
        )
    else:
        attempts = TaskAttempt.objects.filter(task_id=task["id"])
        started = attempts.values_list("attempts", flat=True).first()
        if started and 0 < Conf.MAX_ATTEMPTS <= started:
            attempts.delete()  # given up: the result row keeps the count
    if started and started > 1:
        _set_result_row(task, attempt_count=started - 1, result=task.get("result"))


def _run_returning(sql: str, params: list) -> int | None:
    """One statement on our table (PostgreSQL and SQLite alike) and the value it returns."""
    with connection.cursor() as cursor:
        cursor.execute(sql.format(table=TaskAttempt._meta.db_table), params)
        row = cursor.fetchone()
    return row[0] if row else None


def _set_result_row(task: dict, *, attempt_count: int, result) -> None:
    """Give the task's failed (or missing) result row this count and result; a task that
    already succeeded keeps its row."""
    unfinished = Task.objects.filter(id=task["id"], success=False)
    if unfinished.update(attempt_count=attempt_count, result=result):
        return
    if Task.objects.filter(id=task["id"]).exists():
        return
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
        result=result,
        success=False,
        attempt_count=attempt_count,
    )


def count_started_attempt(sender, func=None, task=None, **kwargs) -> None:
    """`pre_execute` receiver, in the worker (connected in TicketsConfig.ready). A failure
    to count is logged and the task runs: an error here would stop the worker process."""
    if _queued(task):
        try:
            task_attempt_start(task=task)
        except Exception:
            logger.exception("Counting an attempt of task %s failed", task.get("id"))


def report_finished_attempt(sender, func=None, task=None, **kwargs) -> None:
    """`post_execute_in_worker` receiver: before the worker hands the result over."""
    if _queued(task):
        try:
            task_attempt_finish(task=task)
        except Exception:
            logger.exception("Recording the attempts of task %s failed", task.get("id"))
