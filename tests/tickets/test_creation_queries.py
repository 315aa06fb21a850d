"""The cost of filing a ticket from the portal, pinned: the request does only what must commit
with the ticket (the ticket, its message and event, classification, the SLA clocks, the
portal filing) and queues ONE background task for the rest (the confirmation email, related
tickets, webhooks, rules, routing, the AI classification and the auto-answer).

A new query in the request fails `test_portal_creation_query_count`: move the work to a
deferred after-hook (tickets.hooks) or raise the pin on purpose, with the reason."""

import logging
import socket

import pytest
from django.test import Client
from django_q.conf import Conf
from django_q.models import OrmQ

from agents.models import AssignmentStrategy
from sla.models import SlaClock
from tests.factories import AgentFactory, CategoryFactory, TeamFactory, TicketFactory
from tickets import hooks
from tickets.models import Notification, Ticket, TicketLink
from tickets.tasks import run_deferred_hooks

pytestmark = pytest.mark.django_db

HOME = "/portal/"
# Where they go (counted inside the test's transaction, so each transaction and the rate
# limit's savepoint show as savepoint pairs): the rate-limit upsert, the session read, the
# customer lookup and insert, the ticket, its reference, message and event, the queued
# follow-up task, the portal filing check and insert, the session write, and in the same
# transaction (a savepoint of their own) the SLA clocks (has it clocks, the clocks in one
# insert and their events in another, the summary: the new ticket is not read back, nor are
# the clocks just written). Classification
# patterns, priority rules and SLA policies come from the process's configuration copy
# (common.config_cache), warmed by the first post; without it, 4 more.
PORTAL_CREATE_MAX_QUERIES = 34
DEFERRED_TASK = "tickets.tasks.run_deferred_hooks"


def form_data(**overrides) -> dict:
    data = {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "subject": "Cannot download my invoice",
        "description": "The download button does nothing on the billing page.",
    }
    data.update(overrides)
    return data


@pytest.fixture
def queued(monkeypatch):
    """Tasks go to the database queue as in production, instead of running inline."""
    monkeypatch.setattr(Conf, "SYNC", False)


def run_queued(only: int | None = None) -> None:
    """Run, inline, what the request queued (as a worker would), and take it off the queue."""
    for row in list(OrmQ.objects.order_by("pk"))[:only]:
        task = row.task
        assert task["func"] == DEFERRED_TASK
        row.delete()
        run_deferred_hooks(*task["args"], **task["kwargs"])


def test_portal_creation_query_count(
    client: Client,
    queued,
    config_copies,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
):
    client.get(HOME)  # the CSRF cookie and session, as a browser has them
    with django_capture_on_commit_callbacks(execute=True):
        client.post(HOME, form_data(email="warm@example.com"))
    with (
        django_assert_max_num_queries(PORTAL_CREATE_MAX_QUERIES),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(HOME, form_data())
    assert response.status_code == 302


def test_portal_creation_queues_one_task_and_starts_the_sla_clock(
    client: Client, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(HOME, form_data())

    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert SlaClock.objects.filter(ticket=ticket).exists()
    ticket.refresh_from_db()
    assert ticket.sla_due_at is not None
    rows = list(OrmQ.objects.all())
    assert [row.func() for row in rows] == [DEFERRED_TASK]
    # Nothing of the follow-up ran in the request.
    assert not Notification.objects.filter(ticket=ticket).exists()


def test_the_queued_task_runs_the_follow_ups(client: Client, queued, customer, monkeypatch):
    earlier = TicketFactory(customer=customer, subject="Invoice download broken")
    client.post(HOME, form_data(email=customer.email))
    ticket = Ticket.objects.exclude(pk=earlier.pk).get()

    monkeypatch.setattr(Conf, "SYNC", True)  # what the follow-ups queue in turn runs inline
    run_queued()

    assert Notification.objects.filter(ticket=ticket, kind="ticket_created").exists()
    assert TicketLink.objects.filter(from_ticket=ticket, to_ticket=earlier).exists()
    # A task delivered twice changes nothing more.
    counts = (Notification.objects.count(), TicketLink.objects.count())
    run_queued()
    assert (Notification.objects.count(), TicketLink.objects.count()) == counts


@pytest.mark.django_db(transaction=True)
def test_the_follow_up_task_routes_answers_and_sends_the_email_in_place(
    client: Client, queued, mailoutbox
):
    """Routing, the auto-answer and the confirmation email all happen inside the follow-up
    task (it is already in the background): it queues no task of its own."""
    category = CategoryFactory()
    team = TeamFactory(assignment_strategy=AssignmentStrategy.LEAST_BUSY)
    team.categories.add(category)
    agent = AgentFactory()
    agent.agent_profile.teams.add(team)
    client.post(HOME, form_data(category=category.pk))
    ticket = Ticket.objects.get()
    assert ticket.assignee is None

    run_queued(only=1)  # committing as it goes, as in a worker

    ticket.refresh_from_db()
    assert (ticket.team, ticket.assignee) == (team, agent)
    assert not OrmQ.objects.exists()
    notification = Notification.objects.get(ticket=ticket, kind="ticket_created")
    assert notification.sent_at is not None and notification.attempts == 1
    assert [message.to for message in mailoutbox] == [[ticket.customer.email]]


@pytest.mark.django_db(transaction=True)
def test_a_delivery_failing_in_the_follow_up_is_recorded_and_left_to_the_retry_job(
    client: Client, queued, settings
):
    from django.utils import timezone

    from tickets.tasks import RETRY_AFTER, retry_unsent_notifications

    with socket.socket() as probe:  # a port nothing listens on: the mail server is down
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    smtp = "django.core.mail.backends.smtp.EmailBackend"
    options = {"host": "127.0.0.1", "port": port, "timeout": 2}
    settings.MAILERS = {"default": {"BACKEND": smtp, "OPTIONS": options}}
    client.post(HOME, form_data())
    ticket = Ticket.objects.get()

    run_queued(only=1)  # the follow-up itself does not fail

    notification = Notification.objects.get(ticket=ticket, kind="ticket_created")
    assert (notification.sent_at, notification.attempts) == (None, 1)
    assert notification.last_error
    assert not OrmQ.objects.exists()
    Notification.objects.filter(pk=notification.pk).update(
        created_at=timezone.now() - RETRY_AFTER * 2
    )
    assert retry_unsent_notifications() == 1
    assert [row.func() for row in OrmQ.objects.all()] == ["tickets.tasks.deliver_notification"]


def test_a_failing_deferred_hook_is_logged_and_the_others_still_run(customer, caplog):
    ran = []
    ticket = TicketFactory(customer=customer)
    with caplog.at_level(logging.ERROR):
        hooks.run_deferred(
            [f"{__name__}._explode", f"{__name__}._no_such_hook", f"{__name__}._remember"],
            hooks.HookContext(verb="create", ticket=ticket, changes={"ran": ran}),
        )
    assert ran == [ticket.pk]
    assert "_explode" in caplog.text
    assert "_no_such_hook" in caplog.text


def test_the_task_for_a_deleted_ticket_does_nothing():
    finished = run_deferred_hooks(
        [f"{__name__}._explode"], verb="create", ticket_id=0, event_ids=[]
    )
    assert finished is False


def test_only_module_level_functions_can_be_deferred():
    with pytest.raises(ValueError, match="module-level"):
        hooks.register_after("create", lambda ctx: None, deferred=True)


def _explode(ctx) -> None:
    raise RuntimeError("boom")


def _remember(ctx) -> None:
    ctx.changes["ran"].append(ctx.ticket.pk)
