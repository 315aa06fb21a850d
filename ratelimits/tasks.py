"""django-q2 tasks of the rate limits. Safe to run twice."""

from ratelimits.limits import windows_delete_ended


def delete_ended_rate_limit_windows() -> int:
    """Delete the rate-limit windows that have ended (scheduled daily). Returns how many."""
    return windows_delete_ended()
