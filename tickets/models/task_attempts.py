"""Counted attempts of queued tasks (tickets.task_attempts)."""

from django.db import models


class TaskAttempt(models.Model):
    """How many times a queued task was started, kept while it has not succeeded
    (tickets.task_attempts). django-q2 counts only attempts that reported a result, so a task
    that kills its worker would otherwise be handed out again forever."""

    task_id = models.CharField(max_length=32, primary_key=True)
    attempts = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(help_text="When the latest attempt started.")

    def __str__(self) -> str:
        return f"{self.task_id}: {self.attempts}"
