"""Display labels for ticket status and priority values, tolerant of unknown values."""

from tickets.models import Priority, Status


def _status_label(value: str) -> str:
    return Status(value).label if value in Status.values else value


def _priority_label(value: str) -> str:
    return Priority(value).label if value in Priority.values else value
