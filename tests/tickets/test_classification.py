"""Classification on creation: ordered patterns give the category, type and tags, ordered
priority rules give the priority, for what the caller left unset; the `created` event says
which pattern and rule applied."""

import importlib

import pytest
from django.core.exceptions import ValidationError

from tests.factories import CategoryFactory, CustomerFactory
from tickets.classification import DEFAULT_PATTERNS, install_default_classification
from tickets.models import Category, ClassificationPattern, PriorityRule, Ticket
from tickets.services import ticket_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def defaults():
    """The patterns, rules and categories the data migration installs."""
    install_default_classification(Category, ClassificationPattern, PriorityRule)


def file(customer=None, subject="A question", body="How does this work?", **fields) -> Ticket:
    ticket = ticket_create(
        customer=customer or CustomerFactory(plan_tier=""), subject=subject, body=body, **fields
    )
    return Ticket.objects.select_related("category").get(pk=ticket.pk)


def tags(ticket) -> set[str]:
    return set(ticket.tags.values_list("name", flat=True))


def created(ticket) -> dict:
    return ticket.events.get(kind="created").data


def test_the_data_migration_installed_the_defaults_and_installing_again_changes_nothing(
    defaults,
):
    assert list(ClassificationPattern.objects.values_list("name", flat=True)) == [
        row["name"] for row in DEFAULT_PATTERNS
    ]
    assert PriorityRule.objects.count() == 11
    assert PriorityRule.objects.filter(raise_one_step=False).last().name == "Everything else"
    assert PriorityRule.objects.get(raise_one_step=True).name == "Negative sentiment"
    assert Category.objects.get(slug="billing").prefix == "BIL"

    install_default_classification(Category, ClassificationPattern, PriorityRule)

    assert ClassificationPattern.objects.count() == 4 and PriorityRule.objects.count() == 11


@pytest.mark.parametrize(
    ("subject", "body", "pattern", "type", "tags_added"),
    [
        ("My form is not saving", "It spins", "Form not saving", "bug", {"forms", "data_loss"}),
        ("Import CSV", "The import of my csv stops", "CSV import error", "technical", {"csv"}),
        ("Card declined", "My card was declined", "Payment issue", "billing", {"payment"}),
        ("Dashboard", "Everything is so slow today", "Slow performance", "bug", {"performance"}),
    ],
)
def test_each_default_pattern_classifies_type_and_tags(
    defaults, subject, body, pattern, type, tags_added
):
    ticket = file(subject=subject, body=body)

    assert ticket.type == type
    assert tags_added <= tags(ticket)
    assert created(ticket)["classification"]["pattern"] == pattern
    assert created(ticket)["classification"]["confidence"] == 0.9


def test_a_refund_ticket_is_classified_billing_and_its_reference_follows(defaults):
    ticket = file(subject="Refund please", body="I was charged twice.")

    assert ticket.category.slug == "billing"
    assert ticket.reference.startswith("BIL-")
    assert ticket.priority == "high"  # the "Billing" rule
    data = created(ticket)
    assert data["category"] == "billing" and data["type"] == "billing"
    assert data["classification"] == {
        "pattern": "Payment issue",
        "confidence": 0.9,
        "priority_rule": "Billing",
    }


@pytest.mark.parametrize(
    ("subject", "body", "category", "prefix"),
    [
        ("My form is not saving", "It spins", "form_builder", "FB-"),
        ("Import CSV", "The import of my csv stops", "import_export", "IMP-"),
        ("Card declined", "My card was declined", "billing", "BIL-"),
        ("Dashboard", "Everything is so slow today", "performance", "PERF-"),
    ],
)
def test_each_default_pattern_files_the_ticket_in_its_category(
    defaults, subject, body, category, prefix
):
    ticket = file(subject=subject, body=body)

    assert ticket.category.slug == category
    assert ticket.reference.startswith(prefix)
    assert created(ticket)["category"] == category


@pytest.mark.usefixtures("keep_migrated_defaults")
def test_on_the_migrated_database_every_default_pattern_names_an_existing_category():
    patterns = ClassificationPattern.objects.select_related("category").order_by("position")
    assert [(p.name, p.category and p.category.slug) for p in patterns] == [
        (row["name"], row["category"]) for row in DEFAULT_PATTERNS
    ]
    assert PriorityRule.objects.filter(name="Negative sentiment", raise_one_step=True).exists()
    for pattern in patterns:
        ticket = file(subject="Help", body=DEFAULT_PATTERN_SAMPLES[pattern.name])
        assert ticket.category == pattern.category, pattern.name


DEFAULT_PATTERN_SAMPLES = {
    "Form not saving": "The form is not saving my answers",
    "CSV import error": "I tried to import a CSV file",
    "Payment issue": "My card was declined",
    "Slow performance": "The dashboard is slow",
}


def test_the_migration_gives_an_existing_database_the_pattern_categories_once():
    """A database migrated before the pattern categories existed: its default patterns have
    no category. The migration creates the missing categories (reusing one with the same
    slug), links them to the default team when it exists and fills the patterns in."""
    from django.apps import apps

    from agents.models import Team

    migration = importlib.import_module("tickets.migrations.0021_sentiment_and_pattern_categories")
    install_default_classification(Category, ClassificationPattern, PriorityRule)
    ClassificationPattern.objects.update(category=None)
    Category.objects.filter(slug__in=["form_builder", "import_export", "performance"]).delete()
    PriorityRule.objects.filter(name="Negative sentiment").delete()
    own = CategoryFactory(slug="performance", name="Speed", prefix="SPD")
    technical = Team.objects.create(slug="technical-support", name="Technical Support")

    for _ in range(2):
        migration.install(apps, None)

    assert Category.objects.filter(slug="performance").get() == own
    assert Category.objects.get(pk=own.pk).name == "Speed"  # reused as it is
    assert Category.objects.get(slug="form_builder").prefix == "FB"
    handled = set(technical.categories.values_list("slug", flat=True))
    assert {"form_builder", "import_export", "performance"} <= handled
    assert dict(ClassificationPattern.objects.values_list("name", "category__slug")) == {
        row["name"]: row["category"] for row in DEFAULT_PATTERNS
    }
    assert PriorityRule.objects.filter(name="Negative sentiment").count() == 1
    ticket = file(subject="Slow", body="Pages take ages to load")
    assert ticket.reference.startswith("SPD-")


def test_a_pattern_whose_category_an_admin_chose_keeps_it_when_migrated():
    from django.apps import apps

    migration = importlib.import_module("tickets.migrations.0021_sentiment_and_pattern_categories")
    install_default_classification(Category, ClassificationPattern, PriorityRule)
    bug = Category.objects.get(slug="bug")
    ClassificationPattern.objects.filter(name="Slow performance").update(category=bug)

    migration.install(apps, None)

    assert ClassificationPattern.objects.get(name="Slow performance").category == bug


@pytest.mark.parametrize(
    ("fields", "tier", "priority", "rule"),
    [
        ({"category": "data_loss"}, "", "critical", "Data loss"),
        ({"category": "security"}, "", "critical", "Security"),
        ({"body": "I cannot access my account"}, "", "critical", "Cannot access or payment failed"),
        ({"body": "The payment failed twice"}, "", "critical", "Cannot access or payment failed"),
        ({}, "enterprise", "high", "Enterprise tier"),
        ({"type": "bug"}, "scale", "high", "Scale tier bug"),
        ({"category": "billing"}, "", "high", "Billing"),
        ({"body": "The export is BROKEN"}, "", "high", "Something broken"),
        ({"type": "bug"}, "", "medium", "Bug"),
        ({}, "professional", "medium", "Professional tier"),
        ({}, "starter", "low", "Everything else"),
    ],
)
def test_each_default_priority_rule(defaults, fields, tier, priority, rule):
    if "category" in fields:
        fields["category"] = Category.objects.get(slug=fields["category"])

    ticket = file(customer=CustomerFactory(plan_tier=tier), **fields)

    assert ticket.priority == priority
    assert created(ticket)["priority"] == priority
    assert created(ticket)["classification"]["priority_rule"] == rule


def test_the_first_matching_pattern_wins(defaults):
    # Matches both "Payment issue" and "Slow performance": the earlier one wins.
    ticket = file(subject="Payment failed", body="and the page is slow")
    assert created(ticket)["classification"]["pattern"] == "Payment issue"

    ClassificationPattern.objects.filter(name="Slow performance").update(position=1)
    ticket = file(subject="Payment failed", body="and the page is slow")
    assert created(ticket)["classification"]["pattern"] == "Slow performance"


def test_the_first_matching_priority_rule_wins(defaults):
    customer = CustomerFactory(plan_tier="enterprise")
    # Enterprise (high) comes after "cannot access" (critical).
    assert file(customer=customer, body="I cannot access anything").priority == "critical"

    PriorityRule.objects.filter(name="Enterprise tier").update(position=1)
    assert file(customer=customer, body="I cannot access anything").priority == "high"


def test_all_condition_kinds_must_match(defaults):
    # "Scale tier bug" needs both: a scale customer with a question is left to later rules.
    ticket = file(customer=CustomerFactory(plan_tier="scale"), type="question")
    assert created(ticket)["classification"]["priority_rule"] == "Everything else"


def test_inactive_patterns_and_rules_are_ignored(defaults):
    ClassificationPattern.objects.filter(name="Payment issue").update(active=False)
    PriorityRule.objects.filter(name="Cannot access or payment failed").update(active=False)

    ticket = file(subject="Card declined", body="The payment failed")

    assert ticket.category is None and ticket.type == "question"
    assert ticket.priority == "low"
    assert created(ticket)["classification"] == {
        "pattern": None,
        "confidence": None,
        "priority_rule": "Everything else",
    }


def test_an_explicit_category_type_and_priority_are_kept_and_tags_still_added(defaults):
    onboarding = Category.objects.get(slug="onboarding")

    ticket = file(
        subject="Refund",
        body="The payment failed",
        category=onboarding,
        type="question",
        priority="low",
        tags=["vip"],
    )

    assert ticket.category == onboarding and ticket.reference.startswith("ONB-")
    assert ticket.type == "question"
    assert ticket.priority == "low"
    assert tags(ticket) == {"vip", "payment", "urgent"}
    assert created(ticket)["classification"]["priority_rule"] is None


def test_classify_false_leaves_the_ticket_as_filed(defaults):
    ticket = file(subject="Refund", body="The payment failed", classify=False)

    assert ticket.category is None and ticket.type == "question" and ticket.priority == "medium"
    assert tags(ticket) == set()
    assert created(ticket)["classification"] is None


def test_without_patterns_or_rules_a_ticket_is_a_medium_question():
    ticket = file(subject="Refund", body="The payment failed")

    assert (ticket.category, ticket.type, ticket.priority) == (None, "question", "medium")
    assert ticket.reference.startswith("TKT-")


def test_an_invalid_regular_expression_is_refused_with_a_message():
    pattern = ClassificationPattern(name="Broken", pattern="payment(fail", confidence=0.5)

    with pytest.raises(ValidationError) as error:
        pattern.full_clean()

    assert "not a valid regular expression" in error.value.message_dict["pattern"][0]


def test_a_confidence_outside_zero_to_one_is_refused():
    pattern = ClassificationPattern(name="Sure", pattern="x", confidence=1.5)

    with pytest.raises(ValidationError) as error:
        pattern.full_clean()

    assert "confidence" in error.value.message_dict


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"types": ["bugg"]}, "types", "Unknown types: bugg"),
        ({"plan_tiers": ["gold"]}, "plan_tiers", "Unknown plan tiers: gold"),
        ({"categories": ["nope"]}, "categories", "Unknown category slugs: nope"),
        ({"keywords": "broken"}, "keywords", "must be a JSON list of strings"),
    ],
)
def test_invalid_priority_rule_conditions_are_refused(fields, field, message):
    rule = PriorityRule(name="Bad", priority="high", **fields)

    with pytest.raises(ValidationError) as error:
        rule.full_clean()

    assert message in error.value.message_dict[field][0]


def test_admin_refuses_an_invalid_pattern_with_the_message(admin_client):
    response = admin_client.post(
        "/admin/tickets/classificationpattern/add/",
        {"position": 1, "name": "Bad", "pattern": "(", "tags": "[]", "confidence": "0.5"},
    )

    assert response.status_code == 200
    assert "not a valid regular expression" in response.content.decode()
    assert not ClassificationPattern.objects.exists()


def test_a_ticket_filed_in_the_portal_without_a_category_is_classified(defaults, client):
    response = client.post(
        "/portal/",
        {
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "subject": "Card declined",
            "description": "My card was declined when I upgraded.",
        },
    )

    assert response.status_code == 302
    ticket = Ticket.objects.select_related("category").get()
    assert ticket.category.slug == "billing" and ticket.reference.startswith("BIL-")
    assert ticket.type == "billing" and ticket.priority == "high"
    assert tags(ticket) == {"payment", "urgent"}
    assert created(ticket)["classification"]["pattern"] == "Payment issue"


@pytest.mark.parametrize("model", [ClassificationPattern, PriorityRule], ids=lambda m: m.__name__)
def test_admin_lists_and_edits_the_defaults(admin_client, defaults, model):
    base = f"/admin/tickets/{model._meta.model_name}/"
    assert admin_client.get(base).status_code == 200
    assert admin_client.get(base, {"q": "a"}).status_code == 200
    assert admin_client.get(f"{base}{model.objects.first().pk}/change/").status_code == 200
