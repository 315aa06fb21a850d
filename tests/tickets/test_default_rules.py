"""Seed 001's three automation rules ship as defaults: a migrated database has them, inactive;
switched on, each acts through the real engine."""

import importlib
import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from knowledge.defaults import install_default_canned_responses
from knowledge.models import CannedResponse
from tests.factories import AgentFactory, CustomerFactory, TeamFactory
from tickets.automation.defaults import DEFAULT_RULE_NAMES, DEFAULT_RULES, install_default_rules
from tickets.classification import install_default_classification
from tickets.models import (
    Category,
    ClassificationPattern,
    Customer,
    Notification,
    PriorityRule,
    Rule,
    RuleAction,
    RuleCondition,
    Ticket,
    TicketEvent,
)
from tickets.services import ticket_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def defaults(db):
    """What the migrations install: categories, the canned responses and the rules."""
    install_default_classification(Category, ClassificationPattern, PriorityRule)
    ClassificationPattern.objects.all().delete()  # classification is not what is tested here
    PriorityRule.objects.all().delete()
    install_default_canned_responses(CannedResponse, Category)
    install_default_rules(Rule, RuleCondition, RuleAction)


def switch_on(name: str) -> Rule:
    Rule.objects.filter(name=name).update(active=True)
    return Rule.objects.get(name=name)


def file(capture, *, customer=None, category="billing", body="Please refund me.", **fields):
    with capture(execute=True):
        ticket = ticket_create(
            customer=customer or CustomerFactory(plan_tier="starter"),
            subject="Help please",
            body=body,
            category=Category.objects.get(slug=category),
            **fields,
        )
    return Ticket.objects.get(pk=ticket.pk)


def fired(ticket) -> list[str]:
    return list(
        ticket.events.filter(kind=TicketEvent.Kind.RULE_FIRED).values_list("to_value", flat=True)
    )


def tags(ticket) -> set[str]:
    return set(ticket.tags.values_list("name", flat=True))


def lead_of(category: str):
    """A team lead whose team handles the category (the defaults' canned responses are signed
    by the lead of the team that handles the ticket's category)."""
    lead = AgentFactory(agent_profile__seniority="team_lead")
    team = TeamFactory(lead=lead)
    team.categories.add(Category.objects.get(slug=category))
    return lead


@pytest.mark.usefixtures("keep_migrated_defaults")
def test_a_migrated_database_has_the_three_rules_inactive_and_each_is_valid():
    rules = Rule.objects.filter(name__in=DEFAULT_RULE_NAMES).order_by("position")
    assert [(r.name, r.trigger, r.active) for r in rules] == [
        (name, "ticket_created", False) for name in DEFAULT_RULE_NAMES
    ]
    # Every condition and action passes the checks admin runs when the rule is saved: the
    # categories and canned responses they name exist.
    for rule in rules:
        assert rule.conditions.exists() and rule.actions.exists()
        for row in [*rule.conditions.all(), *rule.actions.all()]:
            row.full_clean()


def test_installing_again_keeps_an_existing_rule_as_it_is(defaults):
    Rule.objects.filter(name="Refund requests").update(description="Ours", active=True)

    install_default_rules(Rule, RuleCondition, RuleAction)

    rule = Rule.objects.get(name="Refund requests")
    assert (rule.description, rule.active) == ("Ours", True)
    assert Rule.objects.filter(name__in=DEFAULT_RULE_NAMES).count() == len(DEFAULT_RULES)
    assert rule.actions.count() == 3


def test_the_migration_installs_the_rules_inactive():
    from django.apps import apps

    migration = importlib.import_module("tickets.migrations.0022_default_automation_rules")
    migration.install(apps, None)

    assert set(Rule.objects.values_list("name", "active")) == {
        (name, False) for name in DEFAULT_RULE_NAMES
    }


def test_inactive_defaults_do_nothing(defaults, django_capture_on_commit_callbacks):
    ticket = file(django_capture_on_commit_callbacks)

    assert fired(ticket) == []
    assert ticket.priority == "medium" and not ticket.tags.exists()


def test_refund_requests_when_switched_on(defaults, django_capture_on_commit_callbacks):
    switch_on("Refund requests")
    lead = lead_of("billing")

    ticket = file(django_capture_on_commit_callbacks, body="I want a refund for March.")

    assert fired(ticket) == ["Refund requests"]
    assert ticket.priority == "high"
    assert "refund_request" in tags(ticket)
    reply = ticket.messages.get(author_kind="agent")
    assert reply.author == lead and not reply.is_internal
    assert "refunded in full within 30 days" in reply.body
    assert ticket.status == "waiting_customer"  # the canned response's follow-up
    # Not a billing ticket, or no refund: the rule stays quiet.
    assert fired(file(django_capture_on_commit_callbacks, body="Invoice address")) == []


def test_new_customer_onboarding_when_switched_on(defaults, django_capture_on_commit_callbacks):
    switch_on("New customer onboarding")
    lead = lead_of("onboarding")
    newcomer = CustomerFactory(plan_tier="starter")
    veteran = CustomerFactory(plan_tier="starter")
    Customer.objects.filter(pk=veteran.pk).update(created_at=timezone.now() - timedelta(days=3))

    ticket = file(
        django_capture_on_commit_callbacks,
        customer=newcomer,
        category="onboarding",
        body="How do I start?",
    )

    assert fired(ticket) == ["New customer onboarding"]
    assert "new_user" in tags(ticket)
    reply = ticket.messages.get(author_kind="agent")
    assert reply.author == lead and reply.body.startswith("Welcome aboard")
    old_hand = file(
        django_capture_on_commit_callbacks,
        customer=veteran,
        category="onboarding",
        body="How do I start?",
    )
    assert fired(old_hand) == []


def test_at_risk_customer_when_switched_on(defaults, django_capture_on_commit_callbacks):
    switch_on("At-risk customer")
    manager = AgentFactory(agent_profile__seniority="manager")
    customer = CustomerFactory(plan_tier="starter")
    for rating in (1, 2, 3, 2, 2, 1):
        earlier = ticket_create(customer=customer, subject="Earlier", body="Old")
        Ticket.objects.filter(pk=earlier.pk).update(satisfaction_rating=rating)

    ticket = file(django_capture_on_commit_callbacks, customer=customer, body="Again broken.")

    assert fired(ticket) == ["At-risk customer"]
    assert ticket.escalation_level == 1
    escalated = ticket.events.get(kind=TicketEvent.Kind.ESCALATED)
    assert escalated.actor is None
    assert "at_risk_customer" in tags(ticket)
    notices = Notification.objects.filter(kind="rule_manager_notice", ticket=ticket)
    assert notices.exists() and {n.recipient_user for n in notices} == {manager}
    # A happy customer with as many tickets is not at risk.
    happy = CustomerFactory(plan_tier="starter")
    for _ in range(6):
        earlier = ticket_create(customer=happy, subject="Earlier", body="Old")
        Ticket.objects.filter(pk=earlier.pk).update(satisfaction_rating=5)
    assert fired(file(django_capture_on_commit_callbacks, customer=happy)) == []


def test_admin_lists_the_defaults_and_switches_one_on(
    admin_client, defaults, django_capture_on_commit_callbacks
):
    listing = admin_client.get(reverse("admin:tickets_rule_changelist")).content.decode()
    for name in DEFAULT_RULE_NAMES:
        assert name in listing

    rule = Rule.objects.get(name="Refund requests")
    page = admin_client.get(reverse("admin:tickets_rule_change", args=[rule.pk]))
    assert page.status_code == 200
    response = admin_client.post(
        reverse("admin:tickets_rule_change", args=[rule.pk]), change_form_data(rule)
    )
    assert response.status_code == 302, response.content.decode()[:2000]

    assert Rule.objects.get(pk=rule.pk).active
    lead_of("billing")
    assert fired(file(django_capture_on_commit_callbacks)) == ["Refund requests"]


def change_form_data(rule: Rule) -> dict:
    """The rule's change form as admin renders it, with "active" ticked."""
    data = {
        "name": rule.name,
        "description": rule.description,
        "trigger": rule.trigger,
        "match": rule.match,
        "position": str(rule.position),
        "active": "on",
    }
    for prefix, rows, fields in (
        ("conditions", list(rule.conditions.all()), ("field", "operator", "value")),
        ("actions", list(rule.actions.all()), ("position", "kind", "value")),
    ):
        data[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
        data[f"{prefix}-INITIAL_FORMS"] = str(len(rows))
        for index, row in enumerate(rows):
            data[f"{prefix}-{index}-id"] = str(row.pk)
            data[f"{prefix}-{index}-rule"] = str(rule.pk)
            for name in fields:
                value = getattr(row, name)
                data[f"{prefix}-{index}-{name}"] = (
                    json.dumps(value) if name == "value" else str(value)
                )
    return data
