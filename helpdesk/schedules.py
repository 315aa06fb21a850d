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
    {
        # Every minute: record SLA warnings (75 %) and breaches (100 %) that fell due. The
        # seeds say hourly; a lead expects at-risk tickets to show up within a minute. An idle
        # sweep reads two partial indexes and costs well under a second at a million tickets.
        "name": "helpdesk:sla-sweep",
        "func": "sla.tasks.sweep",
        "schedule_type": "I",
        "minutes": 1,
    },
    {
        # Every 15 minutes: the daily SLA report is due at 09:00 in each team's time zone,
        # so the job looks often and makes each team's report once per local date (unique).
        "name": "helpdesk:sla-daily-reports",
        "func": "sla.tasks.daily_reports",
        "schedule_type": "I",
        "minutes": 15,
    },
    {
        # Every hour: time-based automation rules ("waiting on customer for 3 days → remind",
        # "resolved for 7 days → close"). Their conditions count in hours, so hourly is as
        # fine as they can be; each rule fires once per ticket and status entry.
        "name": "helpdesk:automation-time-rules",
        "func": "tickets.tasks.run_time_rules",
        "schedule_type": "H",
    },
    {
        # Every minute: outbound webhook retries back off 1, 5, 30, 120 and 600 minutes, so
        # the sweep must look at least that often. It queues deliveries whose next attempt is
        # due, and also picks up a first attempt whose task was lost; each delivery is claimed
        # under a row lock, so queueing one twice posts it once.
        "name": "helpdesk:retry-webhooks",
        "func": "helpdesk.tasks.retry_due_webhooks",
        "schedule_type": "I",
        "minutes": 1,
    },
    {
        # Every 5 minutes: hand waiting tickets (a team, no assignee) to agents with room,
        # nearest SLA deadline first. Status changes and freed capacity queue the same job at
        # once; this catches what they miss (a lost task, capacity freed by an admin edit).
        "name": "helpdesk:assign-waiting-tickets",
        "func": "agents.tasks.assign_waiting_tickets",
        "schedule_type": "I",
        "minutes": 5,
    },
    {
        # Daily: yesterday's AI calls, tokens and spend in one row (admin: AI usage days),
        # with an anomaly flag and an admin notice when spend spikes or most calls fail.
        "name": "helpdesk:ai-usage-daily",
        "func": "knowledge.tasks.ai_usage_daily",
        "schedule_type": "D",
    },
]
