"""Recurring background jobs, declared in code.

`python manage.py install_schedules` installs this list idempotently (by name) into
django-q2's `Schedule` table and removes schedules of ours that were dropped from it.
Every name starts with `helpdesk:`: schedules an admin adds by hand under another name are
never touched. The worker (`qcluster`) checks for due schedules about every 30 seconds.

Schedule types are django-q2's codes: "I" minutes, "H" hourly, "D" daily, "C" cron.
"""

NAME_PREFIX = "helpdesk:"

SCHEDULES: list[dict] = [
    {
        # Every 5 minutes. A customer email is queued right after the change that caused it;
        # if that task was lost (worker down, crash mid-send, SMTP outage past the broker's
        # retries) the email would silently never go out. This re-queues emails still unsent
        # after 2 minutes, up to 5 attempts; sending is idempotent (`sent_at`, row lock).
        "name": "helpdesk:retry-unsent-notifications",
        "func": "tickets.tasks.retry_unsent_notifications",
        "schedule_type": "I",
        "minutes": 5,
    },
]
