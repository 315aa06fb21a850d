"""Per-process copies of the configuration read for every new ticket (common.config_cache):
read once while fresh, emptied at once by a save in the same process, picked up by other
processes when the copy expires."""

import pytest

from common import config_cache
from sla.models import SlaTarget
from sla.selectors import policy_for_ticket
from tests.factories import CustomerFactory
from tickets.models import ClassificationPattern, Ticket
from tickets.services import ticket_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def copies_on(config_copies):
    """Every test here with the copies on (tests/conftest.py)."""


@pytest.fixture
def clock(monkeypatch):
    """The copies' monotonic clock, moved by hand."""
    now = [1000.0]
    monkeypatch.setattr(config_cache, "_now", lambda: now[0])
    return now


def file(subject="Where is my invoice?") -> Ticket:
    return ticket_create(customer=CustomerFactory(plan_tier=""), subject=subject, body="Hello")


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


def resolution_minutes(ticket) -> int:
    return ticket.sla_clocks.get(metric="resolution").target_minutes


def test_a_fresh_copy_is_read_without_queries(django_assert_num_queries):
    ticket = file()
    policy = policy_for_ticket(ticket)

    with django_assert_num_queries(0):
        assert policy_for_ticket(ticket) is policy


def test_a_save_in_this_process_applies_to_the_next_ticket_at_once(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        first = file()
    target = SlaTarget.objects.get(
        policy=policy_for_ticket(first), priority=first.priority, plan_tier=""
    )
    target.resolution_minutes = 999
    target.save()

    with django_capture_on_commit_callbacks(execute=True):
        second = file()

    assert resolution_minutes(first) != 999
    assert resolution_minutes(second) == 999


def test_a_new_pattern_classifies_the_next_ticket_at_once():
    assert file(subject="Refund please").type == "question"
    ClassificationPattern.objects.create(
        name="Refunds", position=1, pattern="refund", type="billing", tags=["refund"]
    )

    assert file(subject="Refund please").type == "billing"


def test_a_change_made_elsewhere_applies_when_the_copy_expires(
    clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = file()
    policy = policy_for_ticket(first)
    # Another process's edit: no signal reaches this one (an update sends none either).
    SlaTarget.objects.filter(policy=policy, priority=first.priority, plan_tier="").update(
        resolution_minutes=777
    )

    clock[0] += 29
    with django_capture_on_commit_callbacks(execute=True):
        before_expiry = file()
    clock[0] += 1
    with django_capture_on_commit_callbacks(execute=True):
        after_expiry = file()

    assert resolution_minutes(before_expiry) == resolution_minutes(first)
    assert resolution_minutes(after_expiry) == 777


def test_zero_seconds_reads_the_tables_every_time(settings, django_assert_num_queries):
    settings.CONFIG_CACHE_SECONDS = 0
    ticket = file()
    policy_for_ticket(ticket)

    with django_assert_num_queries(2):  # the policies, then their targets
        policy_for_ticket(ticket)


def test_the_queue_filter_bar_reads_its_copy_and_shows_a_new_team_at_once(
    django_assert_num_queries,
):
    from desk.forms import queue_filter_choices
    from tests.factories import TeamFactory

    before = queue_filter_choices()
    with django_assert_num_queries(0):
        assert queue_filter_choices() is before

    TeamFactory(name="Night shift", slug="night-shift")

    assert ("night-shift", "Night shift") in queue_filter_choices().teams


def test_the_ticket_page_options_come_from_the_copy_and_a_new_team_shows_at_once(
    agent_client, django_assert_num_queries
):
    from django.urls import reverse

    from desk.forms import ticket_edit_choices
    from tests.factories import TeamFactory, TicketFactory

    page = reverse("desk:ticket", args=[TicketFactory().reference])
    agent_client.get(page)
    before = ticket_edit_choices()
    with django_assert_num_queries(0):
        assert ticket_edit_choices() is before

    team = TeamFactory(name="Night shift")

    assert f'<option value="{team.pk}">Night shift</option>' in agent_client.get(page).text


def test_a_stale_option_cannot_assign_an_agent_who_left(agent_client, clock):
    """Another process deactivated the agent (no signal here): the copy still lists them
    until it expires, and choosing them is refused by the form, which reads the table."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from tests.factories import AgentFactory, TicketFactory

    leaver = AgentFactory(agent_profile__display_name="Lee Leaver")
    ticket = TicketFactory()
    page = reverse("desk:ticket", args=[ticket.reference])
    assert "Lee Leaver" in agent_client.get(page).text
    get_user_model().objects.filter(pk=leaver.pk).update(is_active=False)

    assert "Lee Leaver" in agent_client.get(page).text  # the copy, until it expires
    response = agent_client.post(
        reverse("desk:ticket_assign", args=[ticket.reference]),
        {"assignee": leaver.pk},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.assignee_id is None
    clock[0] += 30
    assert "Lee Leaver" not in agent_client.get(page).text


def test_rules_subscriptions_and_answer_policies_are_read_once_and_changes_apply_at_once(
    django_assert_num_queries,
):
    from knowledge.autoanswer import policy_for
    from knowledge.models import AutoAnswerPolicy
    from tests.factories import CategoryFactory
    from tickets.automation.engine import active_rules
    from tickets.models import Rule
    from webhooks.models import WebhookSubscription
    from webhooks.services import subscriptions_for

    category = CategoryFactory()
    rule = Rule.objects.create(name="Tag VIPs", trigger=Rule.Trigger.TICKET_CREATED)
    hook = WebhookSubscription.objects.create(
        name="CRM", url="https://crm.example.com/hook", events=["ticket.created"]
    )
    assert active_rules(Rule.Trigger.TICKET_CREATED) == [rule]
    assert subscriptions_for("ticket.created") == [hook]
    default = policy_for(category.pk)
    with django_assert_num_queries(0):
        active_rules(Rule.Trigger.TICKET_CREATED)
        subscriptions_for("ticket.created")
        assert policy_for(category.pk) == default

    rule.active = False
    rule.save()
    hook.active = False
    hook.save()
    own = AutoAnswerPolicy.objects.create(category=category)

    assert active_rules(Rule.Trigger.TICKET_CREATED) == []
    assert subscriptions_for("ticket.created") == []
    assert policy_for(category.pk) == own
