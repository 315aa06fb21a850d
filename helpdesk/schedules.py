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
        # Every hour: time-based automation rules ("waiting on customer for 3 days → remind").
        # Their conditions count in hours, so hourly is as fine as they can be; each rule
        # fires once per ticket and status entry.
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
        "func": "webhooks.tasks.retry_due_webhooks",
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
        # Every 5 minutes: email the satisfaction surveys that fell due (SURVEY_DELAY_MINUTES
        # after a resolve, default one hour), so a survey goes out at most ~5 minutes late.
        # Each is sent once under its row lock (`sent_at`); reopened tickets are skipped.
        "name": "helpdesk:send-due-surveys",
        "func": "tickets.tasks.send_due_surveys",
        "schedule_type": "I",
        "minutes": 5,
    },
    {
        # Every hour: close tickets resolved more than AUTO_CLOSE_RESOLVED_DAYS ago (default
        # 7; 0 = off) through the lifecycle close verb. Days are coarse: hourly is plenty.
        "name": "helpdesk:auto-close-resolved",
        "func": "tickets.tasks.auto_close_resolved_tickets",
        "schedule_type": "H",
    },
    {
        # Daily: yesterday's AI calls, tokens and spend in one row (admin: AI usage days),
        # with an anomaly flag and an admin notice when spend spikes or most calls fail.
        "name": "helpdesk:ai-usage-daily",
        "func": "knowledge.tasks.ai_usage_daily",
        "schedule_type": "D",
    },
    {
        # Every 5 minutes: the analytics rollups (docs/analytics.md). Recomputes the current
        # and previous hour and every older hour a ticket updated in the last two hours
        # contributes to (reopened, moved to another team...), replacing whole hours, so the
        # dashboard is at most 5 minutes behind and each finished hour is exact.
        "name": "helpdesk:analytics-rollup",
        "func": "analytics.tasks.rollup_recent",
        "schedule_type": "I",
        "minutes": 5,
    },
    {
        # Every 15 minutes: embed published articles whose text changed, for semantic search
        # (a no-op unless AI_EMBEDDING_MODEL is set). Saving an article also queues it at
        # once; this catches lost tasks and a model change. Unchanged articles are skipped.
        "name": "helpdesk:knowledge-embedding-sync",
        "func": "knowledge.tasks.article_embeddings_sync",
        "schedule_type": "I",
        "minutes": 15,
    },
    {
        # Every minute: read the IMAP and Maildir mailboxes (docs/email.md), so a customer's
        # email becomes a ticket or a reply within a minute. Without an active mailbox the job
        # returns after one query; messages are deduped by Message-ID, so an overlapping run
        # or `manage.py fetch_mail` from cron never files one twice.
        "name": "helpdesk:fetch-mail",
        "func": "mail.tasks.fetch_mailboxes",
        "schedule_type": "I",
        "minutes": 1,
    },
    {
        # Daily: delete API Idempotency-Key records older than IDEMPOTENCY_KEY_TTL_HOURS
        # (default 24), so the table does not grow forever. Keys are only promised for the
        # TTL, so a day of slack is harmless; the delete is one indexed query.
        "name": "helpdesk:idempotency-cleanup",
        "func": "api.tasks.delete_expired_idempotency_records",
        "schedule_type": "D",
    },
    {
        # Every hour: delete successful task results older than Q_KEEP_SUCCESS_HOURS (default
        # 24). The cluster saves every result and prunes none itself (its own pruning re-read
        # a thousand rows after each task); failures are kept for the admin.
        "name": "helpdesk:prune-task-results",
        "func": "common.tasks.prune_task_results",
        "schedule_type": "H",
    },
    {
        # Daily: delete rate-limit windows that have ended (ratelimits.limits), so the
        # table holds about one row per client address and username active in the last day.
        "name": "helpdesk:ratelimit-cleanup",
        "func": "ratelimits.tasks.delete_ended_rate_limit_windows",
        "schedule_type": "D",
    },
    {
        # Every 2 minutes: attachments stored while the virus scanner (clamd) was unreachable
        # wait as "pending scan" and are never served; this scans them once clamd answers
        # again. It does nothing while scanning is off (no CLAMD_ADDRESS).
        "name": "helpdesk:scan-pending-attachments",
        "func": "tickets.tasks.scan_pending_attachments",
        "schedule_type": "I",
        "minutes": 2,
    },
]
