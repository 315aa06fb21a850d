"""Auto-close: resolved tickets close by themselves after AUTO_CLOSE_RESOLVED_DAYS, through the
lifecycle close verb (tickets.services.auto_close, tickets.tasks.auto_close_resolved_tickets)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from helpdesk.schedules import SCHEDULES
from tickets.models import Status, Ticket, TicketEvent
from tickets.services import ticket_resolve, ticket_transition
from tickets.services.auto_close import ticket_auto_close
from tickets.tasks import auto_close_resolved_tickets

pytestmark = pytest.mark.django_db


@pytest.fixture
def resolved(agent, django_capture_on_commit_callbacks):
    """A ticket resolved `days_ago` days ago (the resolve went through the verbs)."""

    def make(ticket, days_ago: float) -> Ticket:
        with django_capture_on_commit_callbacks(execute=True):
            ticket_transition(ticket=ticket, to_status=Status.IN_PROGRESS, actor=agent)
            ticket_resolve(ticket=ticket, actor=agent, resolution="Fixed")
        Ticket.objects.filter(pk=ticket.pk).update(
            resolved_at=timezone.now() - timedelta(days=days_ago)
        )
        return Ticket.objects.get(pk=ticket.pk)

    return make


def test_a_ticket_resolved_more_than_7_days_ago_closes_with_one_event(
    ticket, resolved, django_capture_on_commit_callbacks
):
    resolved(ticket, days_ago=7.1)
    with django_capture_on_commit_callbacks(execute=True):
        assert auto_close_resolved_tickets() == 1
    # Run twice, same state: nothing more to close, no second event.
    with django_capture_on_commit_callbacks(execute=True):
        assert auto_close_resolved_tickets() == 0

    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED and ticket.closed_at is not None
    close = TicketEvent.objects.get(ticket=ticket, kind="status_changed", to_value="closed")
    assert close.from_value == "resolved" and close.actor is None
    assert "closed automatically" in close.data["reason"]


def test_a_ticket_resolved_less_than_7_days_ago_stays_resolved(ticket, resolved):
    resolved(ticket, days_ago=6.9)
    assert auto_close_resolved_tickets() == 0
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED


def test_the_number_of_days_is_configurable(ticket, resolved, settings, customer):
    from tests.factories import TicketFactory

    settings.AUTO_CLOSE_RESOLVED_DAYS = 2
    resolved(ticket, days_ago=2.5)
    younger = resolved(TicketFactory(customer=customer), days_ago=1)
    assert auto_close_resolved_tickets() == 1
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED
    assert Ticket.objects.get(pk=younger.pk).status == Status.RESOLVED


def test_zero_days_turns_auto_close_off(ticket, resolved, settings):
    settings.AUTO_CLOSE_RESOLVED_DAYS = 0
    resolved(ticket, days_ago=90)
    assert auto_close_resolved_tickets() == 0
    assert Ticket.objects.get(pk=ticket.pk).status == Status.RESOLVED


def test_open_tickets_are_never_auto_closed(ticket):
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now() - timedelta(days=30))
    assert auto_close_resolved_tickets() == 0
    assert Ticket.objects.get(pk=ticket.pk).status == Status.OPEN


def test_a_ticket_reopened_after_it_was_picked_is_left_alone(ticket, resolved, agent):
    """The job re-checks each ticket under its row lock: one reopened in between stays open."""
    from tickets.services import ticket_reopen

    ticket = resolved(ticket, days_ago=10)
    cutoff = timezone.now() - timedelta(days=7)
    ticket_reopen(ticket=ticket, actor=agent, reason="Customer replied")
    assert ticket_auto_close(ticket=ticket.pk, cutoff=cutoff) is False
    assert Ticket.objects.get(pk=ticket.pk).status == Status.IN_PROGRESS


def test_the_job_is_scheduled_hourly():
    entry = next(s for s in SCHEDULES if s["func"] == "tickets.tasks.auto_close_resolved_tickets")
    assert entry["schedule_type"] == "H"


def test_the_demo_no_longer_closes_tickets_with_an_automation_rule():
    """One mechanism: the old demo rule is gone from seed_demo, and seeding removes it."""
    from io import StringIO

    from django.core.management import call_command

    from tickets.models import Rule

    Rule.objects.create(name="Close resolved tickets after 7 days", trigger="hourly")
    call_command("seed_demo", "--tickets", "0", stdout=StringIO())
    assert not Rule.objects.filter(name="Close resolved tickets after 7 days").exists()
    assert not Rule.objects.filter(actions__kind="close").exists()
