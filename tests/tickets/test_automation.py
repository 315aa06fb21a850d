"""The rules engine: structured conditions, actions through the ticket services, one
`rule_fired` event per firing, the loop guard and the hourly time-based rules."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from knowledge.services import canned_response_create
from tests.factories import (
    AgentFactory,
    CategoryFactory,
    CustomerFactory,
    TeamFactory,
    UserFactory,
)
from tickets.automation.conditions import (
    TicketFacts,
    condition_matches,
    validate_condition,
    validate_rule_conditions,
)
from tickets.automation.engine import rules_guard, rules_run
from tickets.models import (
    Category,
    Customer,
    Notification,
    Rule,
    RuleAction,
    RuleCondition,
    Ticket,
    TicketEvent,
    TicketMessage,
)
from tickets.services import (
    ticket_create,
    ticket_customer_reply,
    ticket_resolve,
    ticket_transition,
)
from tickets.tasks import run_time_rules
from webhooks.models import WebhookDelivery, WebhookSubscription

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
F, Op, Act = RuleCondition.Field, RuleCondition.Operator, RuleAction.Kind


def make_rule(
    name="Rule",
    *,
    trigger=Rule.Trigger.TICKET_CREATED,
    conditions=(),
    actions=(),
    **fields,
) -> Rule:
    rule = Rule.objects.create(name=name, trigger=trigger, **fields)
    for field, operator, value in conditions:
        condition = RuleCondition(rule=rule, field=field, operator=operator, value=value)
        condition.full_clean()
        condition.save()
    for position, (kind, value) in enumerate(actions, start=1):
        action = RuleAction(rule=rule, position=position, kind=kind, value=value)
        action.full_clean()
        action.save()
    return rule


def fired(ticket) -> list[TicketEvent]:
    return list(ticket.events.filter(kind=TicketEvent.Kind.RULE_FIRED).order_by("pk"))


@pytest.fixture
def file_ticket(django_capture_on_commit_callbacks, customer, category):
    """File a ticket with the after-hooks run, as in production."""

    def _file(**fields):
        fields = {
            "customer": customer,
            "subject": "Refund for invoice 42",
            "body": "Please refund me, I was charged twice.",
            "category": category,
            **fields,
        }
        with django_capture_on_commit_callbacks(execute=True):
            ticket = ticket_create(**fields)
        return Ticket.objects.get(pk=ticket.pk)

    return _file


# ---------------------------------------------------------------------------------------------
# Conditions: every field and operator, matching and not
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def facts(category):
    """A billing ticket from a 10-hour-old account with 6 earlier tickets rated 2 on average,
    open for 5 hours."""
    customer = CustomerFactory(plan_tier="professional")
    for rating in (1, 2, 3, 2, 2, None):
        earlier = ticket_create(customer=customer, subject="Earlier", body="Old")
        Ticket.objects.filter(pk=earlier.pk).update(satisfaction_rating=rating)
    ticket = ticket_create(
        customer=customer,
        subject="Refund for invoice 42",
        body="Please refund me",
        category=category,
        type="billing",
        priority="high",
        channel="email",
        tags=["vip"],
    )
    Customer.objects.filter(pk=customer.pk).update(created_at=NOW - timedelta(hours=10))
    Ticket.objects.filter(pk=ticket.pk).update(created_at=NOW - timedelta(hours=5))
    ticket = Ticket.objects.select_related("customer", "category").get(pk=ticket.pk)
    return TicketFacts(ticket, now=NOW)


CONDITION_CASES = [
    (F.CATEGORY, Op.EQUALS, "billing", True),
    (F.CATEGORY, Op.EQUALS, "bug", False),
    (F.CATEGORY, Op.NOT_EQUALS, "bug", True),
    (F.CATEGORY, Op.NOT_EQUALS, "billing", False),
    (F.CATEGORY, Op.IN, ["bug", "billing"], True),
    (F.CATEGORY, Op.IN, ["bug"], False),
    (F.TYPE, Op.EQUALS, "billing", True),
    (F.TYPE, Op.EQUALS, "question", False),
    (F.TYPE, Op.IN, ["bug", "question"], False),
    (F.PRIORITY, Op.EQUALS, "high", True),
    (F.PRIORITY, Op.NOT_EQUALS, "high", False),
    (F.PRIORITY, Op.IN, ["high", "critical"], True),
    (F.PRIORITY, Op.GT, "medium", True),
    (F.PRIORITY, Op.GT, "high", False),
    (F.PRIORITY, Op.GTE, "high", True),
    (F.PRIORITY, Op.LT, "critical", True),
    (F.PRIORITY, Op.LTE, "medium", False),
    (F.TIER, Op.EQUALS, "professional", True),
    (F.TIER, Op.IN, ["enterprise", "scale"], False),
    (F.TIER, Op.NOT_EQUALS, "free", True),
    (F.CHANNEL, Op.EQUALS, "email", True),
    (F.CHANNEL, Op.NOT_EQUALS, "email", False),
    (F.CHANNEL, Op.IN, ["web", "chat"], False),
    (F.SUBJECT, Op.CONTAINS, "REFUND", True),
    (F.SUBJECT, Op.CONTAINS, "cancel", False),
    (F.SUBJECT, Op.MATCHES, r"invoice \d+", True),
    (F.SUBJECT, Op.MATCHES, r"^invoice", False),
    (F.SUBJECT, Op.EQUALS, "Refund for invoice 42", True),
    (F.SUBJECT, Op.NOT_EQUALS, "Refund for invoice 42", False),
    (F.BODY, Op.CONTAINS, "refund", True),
    (F.BODY, Op.MATCHES, r"charged\s+twice", False),
    (F.TAGS, Op.HAS_TAG, "vip", True),
    (F.TAGS, Op.HAS_TAG, "refund", False),
    (F.TAGS, Op.IN, ["refund", "vip"], True),
    (F.TAGS, Op.IN, ["refund"], False),
    (F.PREVIOUS_TICKETS, Op.EQUALS, 6, True),
    (F.PREVIOUS_TICKETS, Op.NOT_EQUALS, 6, False),
    (F.PREVIOUS_TICKETS, Op.GT, 5, True),
    (F.PREVIOUS_TICKETS, Op.GT, 6, False),
    (F.PREVIOUS_TICKETS, Op.GTE, 7, False),
    (F.PREVIOUS_TICKETS, Op.LT, 3, False),
    (F.PREVIOUS_TICKETS, Op.LTE, 6, True),
    (F.AVERAGE_SATISFACTION, Op.LT, 3, True),
    (F.AVERAGE_SATISFACTION, Op.GTE, 3, False),
    (F.AVERAGE_SATISFACTION, Op.EQUALS, 2, True),
    (F.ACCOUNT_AGE_HOURS, Op.LT, 24, True),
    (F.ACCOUNT_AGE_HOURS, Op.GT, 24, False),
    (F.STATUS, Op.EQUALS, "open", True),
    (F.STATUS, Op.IN, ["resolved", "closed"], False),
    (F.STATUS, Op.NOT_EQUALS, "open", False),
    (F.HOURS_IN_STATUS, Op.GTE, 5, True),
    (F.HOURS_IN_STATUS, Op.GT, 5.5, False),
]


@pytest.mark.parametrize(("field", "operator", "value", "expected"), CONDITION_CASES)
def test_condition_field_and_operator(facts, field, operator, value, expected):
    CategoryFactory(slug="bug", name="Bug", prefix="BUG")
    value = validate_condition(field, operator, value)
    condition = RuleCondition(field=field, operator=operator, value=value)
    assert condition_matches(condition, facts) is expected


def test_every_field_and_operator_is_covered():
    covered = {(field, operator) for field, operator, _, _ in CONDITION_CASES}
    assert {field for field, _ in covered} == set(F.values)
    assert {operator for _, operator in covered} == set(Op.values)


def test_a_customer_without_ratings_has_no_average_satisfaction(ticket):
    facts = TicketFacts(Ticket.objects.get(pk=ticket.pk))
    below = RuleCondition(field=F.AVERAGE_SATISFACTION, operator=Op.LT, value=3)
    differs = RuleCondition(field=F.AVERAGE_SATISFACTION, operator=Op.NOT_EQUALS, value=3)
    assert condition_matches(below, facts) is False
    assert condition_matches(differs, facts) is True


def test_hours_in_status_counts_from_the_latest_status_change(ticket, agent):
    with time_machine.travel(NOW, tick=False):
        ticket_transition(ticket=ticket, to_status="in_progress", actor=agent)
    facts = TicketFacts(Ticket.objects.get(pk=ticket.pk), now=NOW + timedelta(hours=30))
    assert facts.get(F.HOURS_IN_STATUS) == 30


# ---------------------------------------------------------------------------------------------
# Refusing invalid rules
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "operator", "value", "message"),
    [
        (F.SUBJECT, Op.GT, 3, "does not accept the operator 'gt'"),
        (F.PREVIOUS_TICKETS, Op.CONTAINS, "5", "does not accept the operator 'contains'"),
        (F.SUBJECT, Op.MATCHES, "(unclosed", "The regular expression does not compile"),
        (F.PREVIOUS_TICKETS, Op.GT, "five", "needs a number, not 'five'"),
        (F.ACCOUNT_AGE_HOURS, Op.LT, True, "needs a number"),
        (F.PRIORITY, Op.EQUALS, "whenever", "Unknown priority 'whenever'"),
        (F.CATEGORY, Op.EQUALS, "nope", "Unknown category (slug) 'nope'"),
        (F.STATUS, Op.IN, [], "needs a non-empty list"),
        (F.STATUS, Op.IN, ["open", "gone"], "Unknown status 'gone'"),
        (F.TAGS, Op.HAS_TAG, "", "A tag name is required"),
        (F.BODY, Op.CONTAINS, 42, "needs a text value"),
        ("mood", Op.EQUALS, "happy", "Unknown field 'mood'"),
    ],
)
def test_invalid_conditions_are_refused_with_a_message(category, field, operator, value, message):
    rule = Rule.objects.create(name="R", trigger=Rule.Trigger.TICKET_CREATED)
    condition = RuleCondition(rule=rule, field=field, operator=operator, value=value)
    with pytest.raises(ValidationError) as error:
        condition.full_clean()
    assert message in " ".join(error.value.messages)


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        (Act.SET_PRIORITY, "sometime", "Unknown priority 'sometime'"),
        (Act.SET_CATEGORY, "nope", "Unknown or inactive category 'nope'"),
        (Act.SET_TEAM, "nope", "Unknown team 'nope'"),
        (Act.ASSIGN_TEAM, None, "needs a text value"),
        (Act.SET_TYPE, "saga", "Unknown type 'saga'"),
        (Act.ADD_TAGS, 7, "needs a list of tag names"),
        (Act.ASSIGN_AGENT, "nobody", "Unknown agent 'nobody'"),
        (Act.SEND_CANNED_RESPONSE, "nope", "Unknown or inactive canned response 'nope'"),
        (Act.ADD_INTERNAL_NOTE, "", "needs a text value"),
        (Act.FIRE_WEBHOOK, 999, "Unknown webhook subscription 999"),
        (Act.FIRE_WEBHOOK, "crm", "needs a webhook subscription id"),
    ],
)
def test_invalid_actions_are_refused_with_a_message(kind, value, message):
    rule = Rule.objects.create(name="R", trigger=Rule.Trigger.TICKET_CREATED)
    action = RuleAction(rule=rule, kind=kind, value=value)
    with pytest.raises(ValidationError) as error:
        action.full_clean()
    assert message in " ".join(error.value.messages)


def test_a_customer_login_is_not_an_agent_to_assign_to():
    CustomerFactory(user=UserFactory(username="cust"))
    action = RuleAction(
        rule=Rule.objects.create(name="R", trigger="ticket_created"),
        kind=Act.ASSIGN_AGENT,
        value="cust",
    )
    with pytest.raises(ValidationError, match="Unknown agent 'cust'"):
        action.full_clean()


def test_a_time_based_rule_needs_a_time_in_status_condition():
    with pytest.raises(ValidationError, match="needs a condition “Hours in current status”"):
        validate_rule_conditions(
            trigger=Rule.Trigger.HOURLY, match="all", conditions=[(F.STATUS, Op.EQUALS)]
        )
    with pytest.raises(ValidationError, match="needs a condition"):
        validate_rule_conditions(
            trigger=Rule.Trigger.HOURLY, match="all", conditions=[(F.HOURS_IN_STATUS, Op.LT)]
        )
    with pytest.raises(ValidationError, match="must match all of its conditions"):
        validate_rule_conditions(
            trigger=Rule.Trigger.HOURLY, match="any", conditions=[(F.HOURS_IN_STATUS, Op.GTE)]
        )
    validate_rule_conditions(
        trigger=Rule.Trigger.HOURLY, match="all", conditions=[(F.HOURS_IN_STATUS, Op.GTE)]
    )
    validate_rule_conditions(trigger=Rule.Trigger.TICKET_CREATED, match="any", conditions=[])


def admin_post(*, trigger="ticket_created", conditions=(), actions=()):
    data = {
        "name": "Admin rule",
        "description": "",
        "trigger": trigger,
        "match": "all",
        "position": "0",
        "active": "on",
        "conditions-TOTAL_FORMS": str(len(conditions)),
        "conditions-INITIAL_FORMS": "0",
        "actions-TOTAL_FORMS": str(len(actions)),
        "actions-INITIAL_FORMS": "0",
    }
    for index, (field, operator, value) in enumerate(conditions):
        data |= {
            f"conditions-{index}-field": field,
            f"conditions-{index}-operator": operator,
            f"conditions-{index}-value": value,
        }
    for index, (kind, value) in enumerate(actions):
        data |= {
            f"actions-{index}-position": str(index),
            f"actions-{index}-kind": kind,
            f"actions-{index}-value": value,
        }
    return data


def test_admin_refuses_a_regex_that_does_not_compile(admin_client):
    response = admin_client.post(
        reverse("admin:tickets_rule_add"),
        admin_post(
            conditions=[(F.SUBJECT, Op.MATCHES, '"(oops"')], actions=[(Act.ADD_TAGS, '["x"]')]
        ),
    )
    assert response.status_code == 200
    assert "The regular expression does not compile" in response.content.decode()
    assert not Rule.objects.exists()


def test_admin_refuses_a_time_based_rule_without_time_in_status(admin_client):
    response = admin_client.post(
        reverse("admin:tickets_rule_add"),
        admin_post(
            trigger="hourly",
            conditions=[(F.STATUS, Op.EQUALS, '"resolved"')],
            actions=[(Act.CLOSE, '""')],
        ),
    )
    assert response.status_code == 200
    assert "needs a condition" in response.content.decode()
    assert not Rule.objects.exists()


def test_admin_refuses_a_rule_without_actions(admin_client):
    response = admin_client.post(
        reverse("admin:tickets_rule_add"), admin_post(conditions=[(F.STATUS, Op.EQUALS, '"open"')])
    )
    assert "A rule needs at least one action." in response.content.decode()


def test_admin_saves_a_valid_rule(admin_client):
    response = admin_client.post(
        reverse("admin:tickets_rule_add"),
        admin_post(
            trigger="hourly",
            conditions=[(F.STATUS, Op.EQUALS, '"resolved"'), (F.HOURS_IN_STATUS, Op.GTE, "168")],
            actions=[(Act.CLOSE, '""')],
        ),
    )
    assert response.status_code == 302
    rule = Rule.objects.get()
    assert [(c.field, c.value) for c in rule.conditions.all()] == [
        ("status", "resolved"),
        ("hours_in_status", 168),
    ]


# ---------------------------------------------------------------------------------------------
# Evaluation: triggers, all/any, order, stop, the event
# ---------------------------------------------------------------------------------------------


def test_a_matching_rule_fires_once_and_writes_one_rule_fired_event(file_ticket):
    rule = make_rule(
        "Refunds",
        conditions=[(F.CATEGORY, Op.EQUALS, "billing"), (F.BODY, Op.CONTAINS, "refund")],
        actions=[(Act.ADD_TAGS, ["refund_request"]), (Act.SET_PRIORITY, "high")],
    )
    ticket = file_ticket()
    assert ticket.priority == "high"
    assert set(ticket.tags.values_list("name", flat=True)) == {"refund_request"}
    [event] = fired(ticket)
    assert event.actor is None and event.to_value == "Refunds"
    assert event.data["rule_id"] == rule.pk and event.data["rule"] == "Refunds"
    assert event.data["actions"] == [
        {"kind": "add_tags", "done": ["refund_request"]},
        {"kind": "set_priority", "done": "high"},
    ]
    caused = TicketEvent.objects.filter(pk__in=event.data["caused_event_ids"])
    assert sorted(caused.values_list("kind", flat=True)) == ["priority_changed", "tags_changed"]
    assert set(caused.values_list("actor", flat=True)) == {None}


def test_a_rule_that_does_not_match_does_nothing(file_ticket):
    make_rule(conditions=[(F.BODY, Op.CONTAINS, "invoice")], actions=[(Act.ADD_TAGS, ["x"])])
    ticket = file_ticket()
    assert fired(ticket) == [] and not ticket.tags.exists()


def test_all_needs_every_condition_and_any_needs_one(file_ticket):
    conditions = [(F.BODY, Op.CONTAINS, "refund"), (F.CHANNEL, Op.EQUALS, "chat")]
    make_rule("All", match="all", conditions=conditions, actions=[(Act.ADD_TAGS, ["all"])])
    make_rule("Any", match="any", conditions=conditions, actions=[(Act.ADD_TAGS, ["any"])])
    ticket = file_ticket()
    assert [e.to_value for e in fired(ticket)] == ["Any"]


def test_rules_run_in_position_order_and_see_earlier_changes(file_ticket):
    make_rule(
        "Second",
        position=20,
        conditions=[(F.PRIORITY, Op.EQUALS, "critical")],
        actions=[(Act.ADD_TAGS, ["saw_critical"])],
    )
    make_rule("First", position=10, actions=[(Act.SET_PRIORITY, "critical")])
    ticket = file_ticket()
    assert [e.to_value for e in fired(ticket)] == ["First", "Second"]
    assert ticket.tags.filter(name="saw_critical").exists()


def test_stop_processing_ends_the_evaluation(file_ticket):
    make_rule("Stop", position=10, stop_processing=True, actions=[(Act.ADD_TAGS, ["a"])])
    make_rule("Later", position=20, actions=[(Act.ADD_TAGS, ["b"])])
    ticket = file_ticket()
    assert [e.to_value for e in fired(ticket)] == ["Stop"]


def test_stop_processing_only_counts_when_the_rule_fired(file_ticket):
    make_rule(
        "Stop",
        position=10,
        stop_processing=True,
        conditions=[(F.CHANNEL, Op.EQUALS, "chat")],
        actions=[(Act.ADD_TAGS, ["a"])],
    )
    make_rule("Later", position=20, actions=[(Act.ADD_TAGS, ["b"])])
    assert [e.to_value for e in fired(file_ticket())] == ["Later"]


def test_inactive_rules_and_other_triggers_do_not_run(file_ticket):
    make_rule("Off", active=False, actions=[(Act.ADD_TAGS, ["a"])])
    make_rule("Reply", trigger=Rule.Trigger.CUSTOMER_REPLIED, actions=[(Act.ADD_TAGS, ["b"])])
    assert fired(file_ticket()) == []


def test_customer_replied_rules_run_on_the_customer_reply(
    file_ticket, customer, django_capture_on_commit_callbacks
):
    make_rule(
        "Angry",
        trigger=Rule.Trigger.CUSTOMER_REPLIED,
        conditions=[(F.SUBJECT, Op.MATCHES, "(?i)refund")],
        actions=[(Act.SET_PRIORITY, "critical")],
    )
    ticket = file_ticket()
    assert fired(ticket) == []
    with django_capture_on_commit_callbacks(execute=True):
        ticket_customer_reply(ticket=ticket, customer=customer, body="Any news?")
    ticket.refresh_from_db()
    assert ticket.priority == "critical" and len(fired(ticket)) == 1


def test_status_changed_rules_run_on_transitions_and_implied_moves(
    file_ticket, customer, agent, django_capture_on_commit_callbacks
):
    make_rule(
        "Back in progress",
        trigger=Rule.Trigger.STATUS_CHANGED,
        conditions=[(F.STATUS, Op.EQUALS, "in_progress")],
        actions=[(Act.ADD_INTERNAL_NOTE, "Back in progress")],
    )
    ticket = file_ticket()
    for change in (
        lambda: ticket_transition(ticket=ticket, to_status="in_progress", actor=agent),
        lambda: ticket_transition(ticket=ticket, to_status="waiting_customer", actor=agent),
        lambda: ticket_customer_reply(ticket=ticket, customer=customer, body="Here it is"),
    ):
        with django_capture_on_commit_callbacks(execute=True):  # each change commits
            change()
    assert len(fired(ticket)) == 2  # the transition and the customer's reply, not the wait
    assert ticket.messages.filter(author_kind="system", is_internal=True).count() == 2


def test_a_rule_fires_at_most_once_per_triggering_event(file_ticket):
    ticket = file_ticket()
    rule = make_rule(actions=[(Act.ADD_INTERNAL_NOTE, "Hello")])
    assert len(rules_run(ticket=ticket, trigger=rule.trigger, trigger_key="e1")) == 1
    assert rules_run(ticket=ticket, trigger=rule.trigger, trigger_key="e1") == []
    assert len(fired(ticket)) == 1 and ticket.messages.filter(author_kind="system").count() == 1


def test_a_status_change_made_by_a_rule_does_not_fire_status_rules_again(
    file_ticket, agent, django_capture_on_commit_callbacks
):
    make_rule(
        "Close resolved",
        trigger=Rule.Trigger.STATUS_CHANGED,
        actions=[(Act.CLOSE, ""), (Act.ADD_INTERNAL_NOTE, "Closed by a rule")],
    )
    ticket = file_ticket()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_transition(ticket=ticket, to_status="in_progress", actor=agent)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_resolve(ticket=ticket, actor=agent, resolution="Fixed")
    ticket.refresh_from_db()
    assert ticket.status == "closed"
    first, second = fired(ticket)
    assert "skipped" in first.data["actions"][0]  # in progress cannot be closed
    assert second.data["actions"][0] == {"kind": "close", "done": "closed"}
    # One firing per status change made by the agent; the close made by the rule adds none.
    assert len(fired(ticket)) == 2
    assert ticket.messages.filter(author_kind="system").count() == 2


def test_rules_run_from_inside_rule_actions_do_nothing(file_ticket):
    ticket = file_ticket()
    make_rule(actions=[(Act.ADD_TAGS, ["x"])])
    with rules_guard():
        assert rules_run(ticket=ticket, trigger="ticket_created", trigger_key="inner") == []
    assert fired(ticket) == []


# ---------------------------------------------------------------------------------------------
# Every action
# ---------------------------------------------------------------------------------------------


def run_actions(file_ticket, *actions, **ticket_fields):
    make_rule("Act", actions=list(actions))
    ticket = file_ticket(**ticket_fields)
    [event] = fired(ticket)
    return Ticket.objects.get(pk=ticket.pk), event.data["actions"]


def test_action_set_category(file_ticket):
    bug = CategoryFactory(slug="bug", name="Bug", prefix="BUG")
    ticket, results = run_actions(file_ticket, (Act.SET_CATEGORY, "bug"))
    assert ticket.category == bug
    assert ticket.events.get(kind="category_changed").to_value == "Bug"


@pytest.mark.parametrize("kind", [Act.SET_TEAM, Act.ASSIGN_TEAM])
def test_action_set_or_assign_team(file_ticket, kind):
    team = TeamFactory(slug="billing-accounts")
    ticket, _ = run_actions(file_ticket, (kind, "billing-accounts"))
    assert ticket.team == team
    assert ticket.events.filter(kind="team_changed", actor=None).exists()


def test_action_set_type(file_ticket):
    ticket, _ = run_actions(file_ticket, (Act.SET_TYPE, "billing"))
    assert ticket.type == "billing"
    event = ticket.events.get(kind="type_changed")
    assert (event.from_value, event.to_value, event.actor) == ("question", "billing", None)


def test_action_add_tags_keeps_the_existing_tags(file_ticket):
    ticket, _ = run_actions(file_ticket, (Act.ADD_TAGS, ["refund_request"]), tags=["vip"])
    assert set(ticket.tags.values_list("name", flat=True)) == {"vip", "refund_request"}
    assert ticket.events.get(kind="tags_changed").data == {
        "added": ["refund_request"],
        "removed": [],
    }


def test_action_assign_agent(file_ticket):
    agent = AgentFactory(username="priya")
    ticket, _ = run_actions(file_ticket, (Act.ASSIGN_AGENT, "priya"))
    assert ticket.assignee == agent
    assert ticket.events.get(kind="assigned").data["via"] == "rule"


def test_action_send_canned_response_as_the_team_lead(file_ticket, category):
    lead = AgentFactory(agent_profile__seniority="team_lead")
    TeamFactory(slug="billing-accounts", lead=lead)
    canned_response_create(
        name="Refund policy", slug="refund_policy", content="Hi {customer_name}, refunds…"
    )
    ticket, results = run_actions(
        file_ticket,
        (Act.SET_TEAM, "billing-accounts"),
        (Act.SEND_CANNED_RESPONSE, "refund_policy"),
    )
    reply = ticket.messages.get(author_kind="agent")
    assert reply.author == lead and not reply.is_internal and "refunds" in reply.body
    assert results[1]["done"]["sent_as"] == lead.username


def test_action_send_canned_response_is_skipped_without_an_agent_to_sign(file_ticket):
    canned_response_create(name="Refund policy", slug="refund_policy", content="Refunds…")
    ticket, results = run_actions(file_ticket, (Act.SEND_CANNED_RESPONSE, "refund_policy"))
    assert results == [
        {"kind": "send_canned_response", "skipped": "no assignee or team lead to send it as"}
    ]
    assert not ticket.messages.filter(author_kind="agent").exists()


def test_action_add_internal_note_is_a_system_note(file_ticket):
    ticket, _ = run_actions(file_ticket, (Act.ADD_INTERNAL_NOTE, "Check the **invoice**"))
    note = ticket.messages.get(is_internal=True)
    assert note.author_kind == TicketMessage.AuthorKind.SYSTEM and note.author is None
    assert ticket.events.get(kind="note_added").actor is None


def test_action_escalate(file_ticket):
    ticket, _ = run_actions(file_ticket, (Act.ESCALATE, ""))
    assert ticket.escalation_level == 1 and ticket.priority == "high"
    assert ticket.events.get(kind="escalated").data["reason"] == "Rule Act"


def test_action_notify_manager(file_ticket):
    manager = AgentFactory(agent_profile__seniority="manager")
    AgentFactory(agent_profile__seniority="team_lead")
    ticket, results = run_actions(file_ticket, (Act.NOTIFY_MANAGER, ""))
    notes = Notification.objects.filter(kind="rule_manager_notice")
    assert set(notes.values_list("recipient_user", flat=True)) == {manager.pk}
    assert "Rule “Act”" in notes.get(channel="desk").subject
    assert results == [{"kind": "notify_manager", "done": [manager.username]}]


def test_action_fire_webhook(file_ticket):
    subscription = WebhookSubscription.objects.create(
        name="CRM", url="http://127.0.0.1:9/hook", events=["survey.submitted"]
    )
    ticket, _ = run_actions(file_ticket, (Act.FIRE_WEBHOOK, subscription.pk))
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert delivery.event == "rule.fired"
    assert delivery.payload["data"]["rule"]["name"] == "Act"


def test_action_remind_customer(file_ticket, customer):
    ticket, _ = run_actions(file_ticket, (Act.REMIND_CUSTOMER, "Still there?"))
    reminder = Notification.objects.get(kind="reminder")
    assert reminder.channel == "email" and reminder.recipient_email == customer.email
    assert "Still there?" in reminder.body_text


def test_action_close_is_skipped_when_the_lifecycle_refuses(file_ticket):
    ticket, results = run_actions(file_ticket, (Act.CLOSE, ""), (Act.ADD_TAGS, ["after"]))
    assert ticket.status == "open"
    assert "cannot move from Open to Closed" in results[0]["skipped"]
    assert results[1] == {"kind": "add_tags", "done": ["after"]}  # later actions still run


def test_an_action_on_a_closed_ticket_is_skipped(file_ticket, agent):
    ticket = file_ticket()
    for status in ("in_progress", "resolved", "closed"):
        ticket_transition(ticket=ticket, to_status=status, actor=agent, resolution="Done")
    make_rule("Late", actions=[(Act.SET_PRIORITY, "low")])
    [firing] = rules_run(ticket=ticket, trigger="ticket_created", trigger_key="late")
    assert "is closed" in firing.actions[0]["skipped"]


# ---------------------------------------------------------------------------------------------
# Time-based rules
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def hourly_rules():
    make_rule(
        "Remind after 3 days",
        trigger=Rule.Trigger.HOURLY,
        conditions=[(F.STATUS, Op.EQUALS, "waiting_customer"), (F.HOURS_IN_STATUS, Op.GTE, 72)],
        actions=[(Act.REMIND_CUSTOMER, "")],
    )
    make_rule(
        "Close after 7 days",
        trigger=Rule.Trigger.HOURLY,
        conditions=[(F.STATUS, Op.EQUALS, "resolved"), (F.HOURS_IN_STATUS, Op.GTE, 168)],
        actions=[(Act.CLOSE, "Resolved for 7 days")],
    )


def test_waiting_three_days_reminds_the_customer_once(
    hourly_rules, file_ticket, agent, customer, mailoutbox, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False):
        ticket = file_ticket()
        with django_capture_on_commit_callbacks(execute=True):
            ticket_transition(ticket=ticket, to_status="in_progress", actor=agent)
            ticket_transition(ticket=ticket, to_status="waiting_customer", actor=agent)
    mailoutbox.clear()
    with time_machine.travel(NOW + timedelta(hours=71), tick=False):
        assert run_time_rules() == 0
    with (
        time_machine.travel(NOW + timedelta(hours=73), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert run_time_rules() == 1
        assert run_time_rules() == 0
    with time_machine.travel(NOW + timedelta(hours=90), tick=False):
        assert run_time_rules() == 0
    assert Notification.objects.filter(kind="reminder").count() == 1
    assert [m.to for m in mailoutbox] == [[customer.email]]
    assert "waiting for your reply" in mailoutbox[0].subject
    [event] = fired(ticket)
    assert event.data["trigger"] == "hourly"
    assert event.data["trigger_key"].startswith("waiting_customer@")

    # A new stay in waiting on customer earns a new reminder three days later.
    with (
        time_machine.travel(NOW + timedelta(hours=100), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        ticket_customer_reply(ticket=ticket, customer=customer, body="Here you go")
        ticket_transition(ticket=ticket, to_status="waiting_customer", actor=agent)
    with time_machine.travel(NOW + timedelta(hours=173), tick=False):
        assert run_time_rules() == 1
    assert Notification.objects.filter(kind="reminder").count() == 2


def test_resolved_seven_days_is_closed(
    hourly_rules, file_ticket, agent, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False):
        ticket = file_ticket()
        with django_capture_on_commit_callbacks(execute=True):
            ticket_transition(ticket=ticket, to_status="in_progress", actor=agent)
            ticket_resolve(ticket=ticket, actor=agent, resolution="Fixed")
        open_one = file_ticket()
    with time_machine.travel(NOW + timedelta(days=6), tick=False):
        assert run_time_rules() == 0
    with (
        time_machine.travel(NOW + timedelta(days=7, hours=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert run_time_rules() == 1
        assert run_time_rules() == 0
    ticket.refresh_from_db()
    assert ticket.status == "closed"
    close = ticket.events.filter(kind="status_changed").last()
    assert close.actor is None and close.data["reason"] == "Resolved for 7 days"
    assert Ticket.objects.get(pk=open_one.pk).status == "open"


# ---------------------------------------------------------------------------------------------
# Demo rules
# ---------------------------------------------------------------------------------------------


def test_seed_demo_switches_on_the_default_rules_adds_its_own_once_and_they_work(
    django_capture_on_commit_callbacks, mailoutbox
):
    from io import StringIO

    from django.core.management import call_command

    for _ in range(2):
        call_command("seed_demo", "--tickets", "0", stdout=StringIO())
    assert list(Rule.objects.values_list("name", "trigger")) == [
        ("Refund requests", "ticket_created"),
        ("New customer onboarding", "ticket_created"),
        ("At-risk customer", "ticket_created"),
        ("Remind customers after 3 days", "hourly"),
    ]
    # The three are the defaults the migrations install, switched on for the demo.
    assert Rule.objects.filter(active=True).count() == 4
    assert RuleAction.objects.count() == 9

    customer = Customer.objects.get(email="customer@example.com")
    billing = Category.objects.get(slug="billing")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(
            customer=customer, subject="Double charge", body="I want a refund.", category=billing
        )
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.priority == "high"
    assert ticket.tags.filter(name="refund_request").exists()
    reply = ticket.messages.get(author_kind="agent")
    assert reply.author.username == "dana" and "refund" in reply.body
    assert [e.to_value for e in fired(ticket)] == ["Refund requests"]
