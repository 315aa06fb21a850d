"""Seed 000's `pro` plan is the product's professional tier, wherever a tier is typed."""

import pytest

from tests.factories import CustomerFactory, OrganizationFactory
from tickets.automation.conditions import validate_condition
from tickets.models import PriorityRule, RuleCondition

pytestmark = pytest.mark.django_db

F, Op = RuleCondition.Field, RuleCondition.Operator


def test_a_customer_or_organization_saved_as_pro_is_professional():
    customer = CustomerFactory.build(email="pro@example.com", plan_tier="Pro")
    customer.full_clean()
    assert customer.plan_tier == "professional"
    organization = OrganizationFactory.build(name="Acme", plan_tier="pro")
    organization.full_clean()
    assert organization.plan_tier == "professional"


def test_priority_rules_and_automation_conditions_accept_pro():
    rule = PriorityRule(name="Pro plans", priority="high", plan_tiers=["pro", "enterprise"])
    rule.full_clean()
    assert rule.plan_tiers == ["professional", "enterprise"]
    assert validate_condition(F.TIER, Op.EQUALS, "PRO") == "professional"
    assert validate_condition(F.TIER, Op.IN, ["pro", "free"]) == ["professional", "free"]


def test_the_sla_target_for_pro_is_the_professional_one():
    from sla.models import SlaPolicy
    from sla.selectors import target_for

    policy = SlaPolicy.objects.get(name="Default")
    target = target_for(policy, priority="critical", plan_tier="pro")
    assert (target.plan_tier, target.first_response_minutes) == ("professional", 60)
