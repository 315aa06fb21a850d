"""The load-and-faults harness's checks (bench/fault_checks.py `verify` and `violations`) can fail:
each is run on tickets filed through the real services with one part of the product broken
on purpose (the confirmation never recorded or never sent, routing dropped, an email sent
twice, a ticket lost or filed twice), and on runs whose faults or checks tested nothing. A
healthy run reports no violation. Fast and on either database: no server, no worker."""

import time
import uuid

import pytest

from bench.fault_checks import verify, violations
from bench.fault_clients import Tally
from tests.factories import CategoryFactory, CustomerFactory, TeamFactory
from tickets import notifications
from tickets.services import ticket_create

pytestmark = pytest.mark.django_db

TICKETS = 4


@pytest.fixture
def categories():
    """Two categories, each handled by a team (as the seeded ones are)."""
    billing = CategoryFactory(slug="billing", name="Billing", prefix="BIL")
    bug = CategoryFactory(slug="bug", name="Bug report", prefix="BUG")
    TeamFactory(name="Billing & Accounts").categories.add(billing)
    TeamFactory(name="Technical Support").categories.add(bug)
    return [billing, bug]


def file_tickets(capture, categories, *, count=TICKETS, tally=None, marker=None):
    """File tickets as the clients do, each acknowledged in the tally; their follow-ups run
    (inline) on commit, and their emails land in the outbox."""
    tally = tally or Tally()
    for n in range(count):
        this_marker = marker or f"L0x{n}x{uuid.uuid4().hex[:8]}"
        with capture(execute=True):
            ticket = ticket_create(
                customer=CustomerFactory(),
                subject=f"Invoice charged twice #{this_marker}",
                body="The page fails.",
                category=categories[n % len(categories)] if categories else None,
            )
        tally.acknowledged.append(("api", ticket.public_id, this_marker))
    return tally


def sink_of(outbox) -> list[tuple[str, str]]:
    """What the SMTP sink records: each accepted email's Message-ID and ticket reference."""
    return [
        (message.extra_headers["Message-ID"], message.extra_headers.get("X-Helpdesk-Ticket", ""))
        for message in outbox
    ]


def check(tally, outbox, **run) -> list[str]:
    figures = {
        "ai_calls": {"ok": 1},
        "queue_drained": True,
        "kill_requested": False,
        "mail_outage_requested": False,
        **verify(tally, sink_of(outbox), run.pop("kill_at", None), 0),
        **run,
    }
    return violations(figures)


def assert_reported(problems: list[str], expected: str) -> None:
    assert any(problem.startswith(expected) for problem in problems), problems


def test_a_healthy_run_reports_no_violation(
    categories, mailoutbox, django_capture_on_commit_callbacks
):
    tally = file_tickets(django_capture_on_commit_callbacks, categories)
    assert len(mailoutbox) == TICKETS
    assert check(tally, mailoutbox) == []


def test_a_confirmation_never_recorded_is_a_violation(
    categories, mailoutbox, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(notifications, "on_ticket_created", lambda ctx: None)
    tally = file_tickets(django_capture_on_commit_callbacks, categories)

    problems = check(tally, mailoutbox)
    assert_reported(
        problems, f"acknowledged tickets without exactly one confirmation received: {TICKETS}"
    )
    assert_reported(problems, f"tickets whose follow-up recorded no confirmation: {TICKETS}")


def test_a_confirmation_recorded_but_never_sent_is_a_violation(
    categories, mailoutbox, django_capture_on_commit_callbacks, monkeypatch
):
    # Recorded, but never handed to delivery.
    monkeypatch.setattr(notifications, "_queue_delivery", lambda notification_id: None)
    tally = file_tickets(django_capture_on_commit_callbacks, categories)

    problems = check(tally, mailoutbox)
    assert_reported(
        problems, f"acknowledged tickets without exactly one confirmation received: {TICKETS}"
    )
    assert_reported(problems, f"notifications still unsent: {TICKETS}")


def test_an_email_received_twice_is_a_violation(
    categories, mailoutbox, django_capture_on_commit_callbacks
):
    tally = file_tickets(django_capture_on_commit_callbacks, categories)
    mailoutbox.append(mailoutbox[0])

    problems = check(tally, mailoutbox)
    assert_reported(problems, "emails sent more than once: 1")
    assert_reported(problems, "acknowledged tickets without exactly one confirmation received: 1")


def test_routing_dropped_is_a_violation(
    categories, mailoutbox, django_capture_on_commit_callbacks, monkeypatch
):
    from agents import routing

    monkeypatch.setattr(routing, "on_ticket_created", lambda ctx: None)
    tally = file_tickets(django_capture_on_commit_callbacks, categories)

    assert_reported(
        check(tally, mailoutbox), f"tickets not routed to their category's team: {TICKETS}"
    )


def test_routing_checked_on_few_tickets_is_a_violation(
    mailoutbox, django_capture_on_commit_callbacks
):
    tally = file_tickets(django_capture_on_commit_callbacks, [])  # no category: nothing to check

    assert_reported(check(tally, mailoutbox), f"routing checked on only 0 of {TICKETS} tickets")


def test_a_lost_or_twice_filed_ticket_is_a_violation(
    categories, mailoutbox, django_capture_on_commit_callbacks
):
    tally = file_tickets(django_capture_on_commit_callbacks, categories)
    tally.acknowledged.append(("portal", "never-stored", "L9x9xlost"))
    file_tickets(django_capture_on_commit_callbacks, categories, count=2, marker="L1x1xsame")

    problems = check(tally, mailoutbox)
    assert_reported(problems, "acknowledged tickets missing or twice: 1")
    assert_reported(problems, "duplicate tickets for one key or post: 1")


def test_errors_and_refused_posts_outside_the_kill_window_are_violations(
    categories, mailoutbox, django_capture_on_commit_callbacks
):
    tally = file_tickets(django_capture_on_commit_callbacks, categories)
    kill_at = time.monotonic() - 60
    tally.errors.append((kill_at + 1, "HTTP 502"))  # inside the window: the killed worker's
    tally.refused("portal dropped")  # now, long after the kill
    tally.errors.append((time.monotonic(), "HTTP 500"))

    problems = check(tally, mailoutbox, kill_at=kill_at)
    assert_reported(problems, "5xx outside the kill window: 1")
    assert_reported(problems, "posts not acknowledged outside the kill window: 1")


def test_skipped_faults_and_vacuous_runs_are_violations(
    categories, mailoutbox, django_capture_on_commit_callbacks
):
    tally = file_tickets(django_capture_on_commit_callbacks, categories)

    problems = check(
        tally,
        mailoutbox,
        kill_requested=True,
        killed={},
        task_worker_busy_at_kill=False,
        mail_outage_requested=True,
        queue_drained=False,
        ai_calls={},
    )
    for expected in (
        "the web worker kill was skipped",
        "the task worker kill was skipped",
        "no API request was retried",
        "the task worker was not shown busy",
        "the mail outage failed no delivery",
        "the queue or the unsent emails did not drain",
        "the AI stub was never called",
    ):
        assert_reported(problems, expected)
    assert_reported(check(Tally(), []), "no ticket was acknowledged at all")
