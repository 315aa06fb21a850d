"""Display labels for ticket status, priority and sentiment values, tolerant of unknown values."""

from tickets.models import Priority, Sentiment, Status


def _status_label(value: str) -> str:
    return Status(value).label if value in Status.values else value


def _priority_label(value: str) -> str:
    return Priority(value).label if value in Priority.values else value


def _sentiment_label(value: str) -> str:
    if not value:
        return "Unknown"
    return Sentiment(value).label if value in Sentiment.values else value
