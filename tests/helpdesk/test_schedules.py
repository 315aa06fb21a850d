from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.models import Schedule
from django_q.scheduler import scheduler

from helpdesk import schedules
from helpdesk.schedules import NAME_PREFIX, SCHEDULES
from tickets.models import Notification
from tickets.notifications import notify
from tickets.tasks import retry_unsent_notifications

RETRY_SCHEDULE = "helpdesk:retry-unsent-notifications"


def install_schedules() -> str:
    out = StringIO()
    call_command("install_schedules", stdout=out)
    return out.getvalue()


@pytest.fixture
def pending_notification(ticket):
    """An email queued three minutes ago whose task never ran (its on-commit callback is
    dropped with the test transaction)."""
    [notification] = notify(
        kind="ticket_created",
        recipients=[ticket.customer],
        ticket=ticket,
        template="ticket_created",
    )
    Notification.objects.filter(pk=notification.pk).update(
        created_at=timezone.now() - timedelta(minutes=3)
    )
    return notification


def test_every_declared_schedule_is_ours_and_points_at_a_task():
    names = [entry["name"] for entry in SCHEDULES]
    assert len(names) == len(set(names))
    valid_types = {code for code, _ in Schedule.TYPE}
    for entry in SCHEDULES:
        assert entry["name"].startswith(NAME_PREFIX)
        assert entry["schedule_type"] in valid_types
        assert callable(import_string(entry["func"]))


def test_install_schedules_twice_keeps_one_schedule_per_declared_name(db):
    install_schedules()
    install_schedules()

    for entry in SCHEDULES:
        schedule = Schedule.objects.get(name=entry["name"])
        assert schedule.func == entry["func"]
        assert schedule.schedule_type == entry["schedule_type"]
        assert schedule.repeats == -1
    assert Schedule.objects.filter(name__startswith=NAME_PREFIX).count() == len(SCHEDULES)


def test_the_retry_schedule_runs_every_five_minutes(db):
    install_schedules()

    schedule = Schedule.objects.get(name=RETRY_SCHEDULE)
    assert schedule.func == "tickets.tasks.retry_unsent_notifications"
    assert schedule.schedule_type == Schedule.MINUTES
    assert schedule.minutes == 5


def test_install_schedules_updates_a_changed_declaration_but_keeps_its_next_run(db):
    install_schedules()
    later = timezone.now() + timedelta(hours=3)
    Schedule.objects.filter(name=RETRY_SCHEDULE).update(minutes=60, next_run=later)

    output = install_schedules()

    schedule = Schedule.objects.get(name=RETRY_SCHEDULE)
    assert schedule.minutes == 5
    assert schedule.next_run == later
    assert f"Updated schedule {RETRY_SCHEDULE}" in output


# Task paths of schedules installed before the code left the project package, by schedule
# name. Written in two parts so that the module-move rewrite leaves them as they were.
PATHS_BEFORE_THE_MOVE = {
    "helpdesk:retry-webhooks": ("helpdesk", "tasks.retry_due_webhooks"),
    "helpdesk:fetch-mail": ("helpdesk", "mail.tasks.fetch_mailboxes"),
    "helpdesk:idempotency-cleanup": ("helpdesk", "api.tasks.delete_expired_idempotency_records"),
    "helpdesk:prune-task-results": ("helpdesk", "tasks.prune_task_results"),
    "helpdesk:ratelimit-cleanup": ("helpdesk", "tasks.delete_ended_rate_limit_windows"),
}


def test_install_schedules_points_schedules_installed_before_the_move_at_the_moved_tasks(db):
    install_schedules()
    for name, parts in PATHS_BEFORE_THE_MOVE.items():
        Schedule.objects.filter(name=name).update(func=".".join(parts))

    install_schedules()

    for name in PATHS_BEFORE_THE_MOVE:
        func = Schedule.objects.get(name=name).func
        assert not func.startswith("helpdesk.")
        assert callable(import_string(func))


def test_install_schedules_removes_dropped_schedules_of_ours_and_keeps_the_others(db):
    Schedule.objects.create(name="helpdesk:dropped-job", func="tickets.tasks.gone")
    Schedule.objects.create(name="nightly-export", func="someone.elses.task")

    output = install_schedules()

    assert not Schedule.objects.filter(name="helpdesk:dropped-job").exists()
    assert Schedule.objects.filter(name="nightly-export").exists()
    assert "Removed schedule helpdesk:dropped-job" in output


def test_install_schedules_refuses_a_name_without_our_prefix(db, monkeypatch):
    monkeypatch.setattr(
        schedules,
        "SCHEDULES",
        [
            {
                "name": "retry",
                "func": "tickets.tasks.retry_unsent_notifications",
                "schedule_type": "I",
                "minutes": 5,
            }
        ],
    )

    with pytest.raises(CommandError, match="must start with"):
        install_schedules()
    assert not Schedule.objects.exists()


def test_retry_sends_a_pending_notification_exactly_once_when_run_twice(
    pending_notification, mailoutbox
):
    assert retry_unsent_notifications() == 1
    assert retry_unsent_notifications() == 0

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [pending_notification.recipient_email]
    pending_notification.refresh_from_db()
    assert pending_notification.sent_at is not None
    assert pending_notification.attempts == 1


def test_retry_leaves_recent_sent_and_given_up_notifications_alone(
    pending_notification, mailoutbox
):
    ticket = pending_notification.ticket
    [recent] = notify(
        kind="agent_replied",
        recipients=[ticket.customer],
        ticket=ticket,
        message=ticket.messages.get(),
        template="agent_replied",
    )
    Notification.objects.filter(pk=pending_notification.pk).update(attempts=5)

    assert retry_unsent_notifications() == 0

    assert mailoutbox == []
    recent.refresh_from_db()
    assert recent.sent_at is None


def test_the_scheduler_runs_the_due_retry_schedule_and_the_email_goes_out(
    pending_notification, mailoutbox
):
    install_schedules()
    due = timezone.now() - timedelta(minutes=1)
    Schedule.objects.filter(name=RETRY_SCHEDULE).update(next_run=due)

    scheduler()

    assert len(mailoutbox) == 1
    pending_notification.refresh_from_db()
    assert pending_notification.sent_at is not None
    schedule = Schedule.objects.get(name=RETRY_SCHEDULE)
    assert schedule.next_run > timezone.now()
    assert schedule.task is not None

    scheduler()  # not due again yet: nothing more is sent
    assert len(mailoutbox) == 1
