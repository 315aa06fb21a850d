"""What the load-and-faults run checks once the load stops: that the system settles, then that
nothing was lost, duplicated or left unsent (`verify`), and which checks failed.
"""

import time
from collections import Counter

from bench.fault_clients import Tally

# 5xx and dropped connections this long after a kill are the killed worker's in-flight ones.
KILL_GRACE_SECONDS = 5.0


def probe_task_worker(timeout: float = 60) -> int:
    """The pid of a django-q2 worker process: it runs `os.getpid` as a task."""
    from django_q.tasks import async_task, result

    task_id = async_task("os.getpid")
    pid = result(task_id, wait=int(timeout * 1000))
    if not pid:
        raise RuntimeError("no django-q2 worker answered the probe task")
    return int(pid)


def wait_until_settled(deadline_seconds: float) -> tuple[bool, float]:
    """Wait while the worker runs what is queued and its scheduler runs the installed
    schedules (the notification retry job every five minutes among them), until the queue is
    empty, no email or webhook is unsent and neither has changed for a few seconds. Returns
    whether that happened before the deadline, and how long it took. A task the killed worker
    held stays locked until the broker's retry (`Q_RETRY_SECONDS`, 30 s here), then runs
    again; an email that failed while the mail server was down waits for the retry job, as
    in production."""
    from django_q.models import OrmQ

    started = time.monotonic()
    quiet_since, last = None, None
    while time.monotonic() - started < deadline_seconds:
        state = (OrmQ.objects.count(), unsent_count())
        if state == (0, 0) and state == last:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= 3:
                return True, time.monotonic() - started
        else:
            quiet_since = None
        last = state
        time.sleep(1)
    return False, time.monotonic() - started


def unsent_count() -> int:
    from tickets.models import Notification
    from tickets.tasks import DELIVERED_CHANNELS

    return Notification.objects.filter(sent_at__isnull=True, channel__in=DELIVERED_CHANNELS).count()


def follow_ups_run_again() -> int:
    """Follow-up tasks that ran more than once (a kill, then the broker's retry)."""
    from django_q.models import Task

    return Task.objects.filter(
        func="tickets.tasks.run_deferred_hooks", attempt_count__gte=2
    ).count()


def _percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))], 1)


def verify(
    tally: Tally,
    sink_messages: list[tuple[str, str]],
    kill_at: float | None,
    first_ticket: int,
) -> dict:
    """The run's figures, counted from what the clients were told and from the tickets (not
    only from the rows that happen to exist). `sink_messages`: (Message-ID, ticket reference)
    of every email the mail server accepted."""
    from agents.routing import team_for_category
    from tickets.models import OPEN_STATUSES, Category, Notification, Ticket
    from tickets.tasks import DELIVERED_CHANNELS

    acknowledged = tally.acknowledged
    ids = [public_id for _, public_id, _ in acknowledged]
    stored = Counter(Ticket.objects.filter(public_id__in=ids).values_list("public_id", flat=True))
    missing = [public_id for public_id in ids if stored[public_id] != 1]
    run_tickets = list(
        Ticket.objects.filter(pk__gt=first_ticket).values_list(
            "pk",
            "public_id",
            "subject",
            "team_id",
            "status",
            "category_id",
            "created_at",
            "assignee_id",
        )
    )
    # Each marker (one idempotency key, or one portal post) must have filed at most one ticket.
    per_marker = Counter(row[2].rsplit("#", 1)[-1] for row in run_tickets)
    duplicates = {marker: n for marker, n in per_marker.items() if n > 1}
    # An acknowledged marker must be the ticket the answer named (a replay names the same one).
    acked_twice = [pid for pid, n in Counter(ids).items() if n > 1]

    # Reaching agents, as designed (agents.routing): an open ticket whose category has a team
    # is in that team (assigned, or waiting for capacity), or with the agent an automation
    # rule gave it (the demo's onboarding rule). The AI only refines this later, so its faults
    # must change nothing. Tickets without a team-bound category are not counted
    # as checked: a run where few tickets had one checked little (see `violations`).
    team_of = {}
    for category in {row[5] for row in run_tickets if row[5]}:
        team = team_for_category(Category.objects.get(pk=category))
        team_of[category] = team.pk if team else None
    routed_checked = [row for row in run_tickets if team_of.get(row[5]) is not None]
    unrouted = [
        row[2]
        for row in routed_checked
        if row[4] not in OPEN_STATUSES or (row[3] != team_of[row[5]] and row[7] is None)
    ]

    # The confirmation of every ticket, counted from the tickets: its follow-up task records
    # it (none recorded: the follow-up was lost), and the mail server must have got it once.
    emails = Notification.objects.filter(channel=Notification.Channel.EMAIL)
    confirmations: dict[int, list[tuple[str, object]]] = {}
    for ticket_id, message_id, sent_at in emails.filter(
        kind="ticket_created", ticket_id__gt=first_ticket
    ).values_list("ticket_id", "email_message_id", "sent_at"):
        confirmations.setdefault(ticket_id, []).append((message_id, sent_at))
    sink_counts = Counter(message_id for message_id, _ in sink_messages)
    by_public_id = {row[1]: row[0] for row in run_tickets}
    acked_tickets = {by_public_id[pid] for pid in ids if pid in by_public_id}
    not_confirmed_once = [
        ticket_id
        for ticket_id in acked_tickets
        if sum(sink_counts[mid] for mid, _ in confirmations.get(ticket_id, [])) != 1
    ]
    follow_ups_missing = [row[0] for row in run_tickets if len(confirmations.get(row[0], [])) != 1]
    created_at = {row[0]: row[6] for row in run_tickets}
    delays = [
        (sent_at - created_at[ticket_id]).total_seconds()
        for ticket_id, rows in confirmations.items()
        for _, sent_at in rows
        if sent_at is not None and ticket_id in created_at
    ]

    email_ids = dict(emails.values_list("email_message_id", "sent_at"))
    sent_twice = {mid: n for mid, n in sink_counts.items() if n > 1}
    never_received = [mid for mid, sent_at in email_ids.items() if sent_at and not sink_counts[mid]]
    unknown = [mid for mid in sink_counts if mid not in email_ids]
    unsent = Notification.objects.filter(sent_at__isnull=True, channel__in=DELIVERED_CHANNELS)
    failed_once = emails.exclude(attempts=1, last_error="").count()

    window = (kill_at - 0.5, kill_at + KILL_GRACE_SECONDS) if kill_at else None

    def in_window(moment: float) -> bool:
        return window is not None and window[0] <= moment <= window[1]

    outside = [e for e in tally.errors if not in_window(e[0])]
    refused_outside = [why for moment, why in tally.unacknowledged_at if not in_window(moment)]
    return {
        "requests": tally.requests,
        "statuses": dict(sorted((str(k), v) for k, v in tally.statuses.items())),
        "acknowledged": len(ids),
        "acknowledged_portal": sum(1 for channel, *_ in acknowledged if channel == "portal"),
        "acknowledged_api": sum(1 for channel, *_ in acknowledged if channel == "api"),
        "unacknowledged": dict(tally.unacknowledged),
        "unacknowledged_outside_kill_window": len(refused_outside),
        "api_retries": tally.api_retries,
        "idempotent_replays": tally.replays,
        "tickets_created": len(run_tickets),
        "acknowledged_missing_or_twice": len(missing) + len(acked_twice),
        "duplicate_tickets": len(duplicates),
        "tickets_routing_checked": len(routed_checked),
        "tickets_in_a_team": sum(1 for row in run_tickets if row[3] is not None),
        "unrouted_tickets": len(unrouted),
        "errors_in_kill_window": len(tally.errors) - len(outside),
        "errors_outside_kill_window": len(outside),
        "error_kinds_outside": dict(Counter(kind for _, kind in outside)),
        "server_errors_outside": sum(1 for _, kind in outside if kind.startswith("HTTP 5")),
        "acknowledged_not_confirmed_once": len(not_confirmed_once),
        "tickets_without_one_confirmation": len(follow_ups_missing),
        "confirmation_delay_p50_s": _percentile(delays, 0.5),
        "confirmation_delay_p99_s": _percentile(delays, 0.99),
        "confirmation_delay_max_s": round(max(delays), 1) if delays else None,
        "confirmations_later_than_60s": sum(1 for delay in delays if delay > 60),
        "email_notifications": len(email_ids),
        "emails_received": len(sink_messages),
        "emails_sent_twice": len(sent_twice),
        "emails_sent_not_received": len(never_received),
        "emails_unknown": len(unknown),
        "notifications_unsent": unsent.count(),
        "emails_needing_a_retry": failed_once,
    }


def violations(figures: dict) -> list[str]:
    """Every broken promise, and every check or fault that tested nothing, as one line each.
    Figures a run did not produce (no kill asked for, no mail outage) are not required."""
    checks = {
        "acknowledged tickets missing or twice": figures["acknowledged_missing_or_twice"],
        "duplicate tickets for one key or post": figures["duplicate_tickets"],
        "acknowledged tickets without exactly one confirmation received": figures[
            "acknowledged_not_confirmed_once"
        ],
        "tickets whose follow-up recorded no confirmation": figures[
            "tickets_without_one_confirmation"
        ],
        "tickets not routed to their category's team": figures["unrouted_tickets"],
        "5xx outside the kill window": figures["server_errors_outside"],
        "posts not acknowledged outside the kill window": figures[
            "unacknowledged_outside_kill_window"
        ],
        "emails sent more than once": figures["emails_sent_twice"],
        "emails marked sent but never received": figures["emails_sent_not_received"],
        "emails received for no notification": figures["emails_unknown"],
        "notifications still unsent": figures["notifications_unsent"],
    }
    found = [f"{name}: {count}" for name, count in checks.items() if count]
    # Vacuous checks and skipped faults fail too: a run that tested nothing proves nothing.
    if not figures["acknowledged"]:
        found.append("no ticket was acknowledged at all")
    if figures["tickets_routing_checked"] * 2 < figures["tickets_created"]:
        found.append(
            f"routing checked on only {figures['tickets_routing_checked']} of "
            f"{figures['tickets_created']} tickets (most need a category with a team)"
        )
    if not figures.get("queue_drained", True):
        found.append("the queue or the unsent emails did not drain before the deadline")
    if not sum((figures.get("ai_calls") or {}).values()):
        found.append("the AI stub was never called")
    if figures.get("kill_requested"):
        killed = figures.get("killed") or {}
        for process in ("web worker", "task worker"):
            if process not in killed:
                found.append(f"the {process} kill was skipped")
        if not figures["api_retries"]:
            found.append("no API request was retried (the web worker kill hit none)")
        if not figures.get("task_worker_busy_at_kill"):
            found.append("the task worker was not shown busy when it was killed")
    if figures.get("mail_outage_requested") and not figures["emails_needing_a_retry"]:
        found.append("the mail outage failed no delivery")
    return found


def print_table(figures: dict) -> None:
    width = max(len(name) for name in figures)
    print()
    print(f"{'figure':<{width}}  value")
    print(f"{'-' * width}  {'-' * 30}")
    for name, value in figures.items():
        print(f"{name:<{width}}  {value}")
    print(flush=True)
