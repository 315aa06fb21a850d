from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.utils import timezone
from django_q.models import OrmQ

from agents.models import AgentProfile, OnCallShift, Team
from agents.selectors import on_call_agent
from tickets.models import (
    Category,
    Customer,
    Notification,
    Organization,
    PlanTier,
    Status,
    Ticket,
    TicketEvent,
    TicketMessage,
)
from tickets.notifications import notify

User = get_user_model()
COUNTED = [
    User,
    AgentProfile,
    Team,
    Category,
    Organization,
    Customer,
    Ticket,
    TicketMessage,
    TicketEvent,
    Notification,
    OnCallShift,
]


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", "--tickets", "14", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


@pytest.fixture
def seeded(db, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        seed()
    return counts()


def test_seeding_twice_changes_nothing_the_second_time(seeded):
    seed()

    assert counts() == seeded
    assert seeded["Ticket"] == 14


def test_the_demo_logins_work(seeded):
    for username in ["admin", "agent", "lead", "customer@example.com"]:
        assert authenticate(username=username, password="demo") is not None, username

    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert admin.agent_profile is not None
    assert User.objects.get(username="agent").agent_profile.seniority == "agent"
    lead = User.objects.get(username="lead")
    assert lead.agent_profile.seniority == "team_lead"
    assert lead.led_teams.exists()
    customer = Customer.objects.get(email="customer@example.com")
    assert customer.user.username == "customer@example.com"
    assert not hasattr(customer.user, "agent_profile")


def test_every_status_tier_and_category_prefix_is_present(seeded):
    assert set(Ticket.objects.values_list("status", flat=True)) == set(Status.values)
    tiers = set(Customer.objects.values_list("plan_tier", flat=True))
    assert tiers == {*PlanTier.values, ""}
    prefixes = dict(Category.objects.values_list("slug", "prefix"))
    assert prefixes == {
        "billing": "BIL",
        "bug": "BUG",
        "onboarding": "ONB",
        "feature_help": "FH",
        "security": "SEC",
        "data_loss": "DL",
    }
    for ticket in Ticket.objects.select_related("category"):
        prefix = ticket.category.prefix if ticket.category else "TKT"
        assert ticket.reference.startswith(f"{prefix}-")
    assert set(Team.objects.values_list("name", flat=True)) >= {
        "Billing & Accounts",
        "Technical Support",
    }


def test_the_demo_customer_has_tickets_in_every_status(seeded):
    statuses = Ticket.objects.filter(customer__email="customer@example.com").values_list(
        "status", flat=True
    )
    assert set(statuses) == set(Status.values)


def test_tickets_have_conversations_and_events_in_the_last_60_days(seeded):
    now = timezone.now()
    for ticket in Ticket.objects.prefetch_related("messages", "events"):
        messages = list(ticket.messages.all())
        events = list(ticket.events.all())
        assert now - timedelta(days=61) < ticket.created_at < now
        assert ticket.created_at <= ticket.updated_at <= now
        assert events[0].kind == TicketEvent.Kind.CREATED
        assert events[0].created_at == ticket.created_at
        assert messages[0].created_at == ticket.created_at
        assert all(e.created_at <= now for e in events)
        if ticket.status not in (Status.OPEN,):
            assert ticket.first_response_at is not None
            assert ticket.first_response_at > ticket.created_at
        if ticket.status in (Status.RESOLVED, Status.CLOSED):
            assert ticket.resolved_at is not None and ticket.resolution
        if ticket.status == Status.CLOSED:
            assert ticket.closed_at >= ticket.resolved_at
    assert TicketMessage.objects.filter(is_internal=True).exists()
    assert TicketMessage.objects.filter(author_kind="customer").count() > Ticket.objects.count()


def test_seeding_emails_nobody_and_queues_nothing(seeded, mailoutbox):
    assert mailoutbox == []
    assert OrmQ.objects.count() == 0
    assert not Notification.objects.filter(sent_at__isnull=True).exists()
    assert set(Notification.objects.values_list("channel", flat=True)) == {"email"}
    assert Notification.objects.filter(kind="ticket_created").count() == Ticket.objects.count()
    replies = TicketMessage.objects.filter(author_kind="agent", is_internal=False)
    assert Notification.objects.filter(kind="agent_replied").count() == replies.count()


def test_the_same_seed_gives_the_same_tickets(seeded):
    def story():
        return list(
            Ticket.objects.order_by("pk").values_list("subject", "status", "priority", "channel")
        )

    first = story()
    Ticket.objects.all().delete()
    seed()

    assert story() == first


def test_if_empty_leaves_a_database_with_tickets_alone(ticket):
    before = counts()

    output = seed("--if-empty")

    assert counts() == before
    assert not User.objects.filter(username="admin").exists()
    assert "already has tickets" in output


def test_the_demo_emails_are_keyed_like_live_ones(seeded, mailoutbox):
    ticket = Ticket.objects.order_by("pk").first()

    again = notify(
        kind="ticket_created",
        recipients=[ticket.customer],
        ticket=ticket,
        template="ticket_created",
    )

    assert again == []
    assert ticket.notifications.get().subject.startswith(f"[{ticket.reference}]")


def test_the_demo_rota_has_someone_on_call_for_every_team_now(seeded):
    now = timezone.now()
    for team in Team.objects.all():
        for priority in ("low", "critical"):
            user = on_call_agent(priority=priority, at=now, team=team)
            assert user is not None
            assert team in user.agent_profile.teams.all()
