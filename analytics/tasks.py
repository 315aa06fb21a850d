"""Scheduled analytics jobs (helpdesk/schedules.py)."""


def rollup_recent() -> int:
    """Every 5 minutes: recompute the current and previous hour and the hours late changes
    touched. Idempotent: it replaces whole hours."""
    from analytics.rollup import metrics_rollup_recent

    return metrics_rollup_recent()
