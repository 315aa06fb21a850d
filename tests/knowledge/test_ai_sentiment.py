"""Seed 002's sentiment against the real OpenAI-compatible stub server: the model's answer is
stored on the ticket and the default priority rules use it (a negative customer raises the
priority one step, never past critical); anything else the model says is stored as unknown."""

import pytest

from knowledge.tasks import ai_classify_ticket
from tests.factories import CategoryFactory, CustomerFactory
from tickets.classification import install_default_classification
from tickets.models import Category, ClassificationPattern, PriorityRule, Ticket, TicketEvent
from tickets.services import ticket_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def defaults(db):
    """The categories, patterns and priority rules the migrations install."""
    install_default_classification(Category, ClassificationPattern, PriorityRule)


def answer(sentiment, **fields):
    return {
        "category": None,
        "type": "question",
        "tags": [],
        "urgency": 3,
        "sentiment": sentiment,
        "confidence": 0.9,
        **fields,
    }


def file_and_classify(capture, *, tier="starter", body="Please give me my money back."):
    """File a ticket no pattern matches (so the model is asked) and run the after-hooks."""
    with capture(execute=True):
        ticket = ticket_create(
            customer=CustomerFactory(plan_tier=tier), subject="Charged twice", body=body
        )
    return Ticket.objects.select_related("category").get(pk=ticket.pk)


def events(ticket, kind):
    return list(ticket.events.filter(kind=kind).order_by("pk"))


def test_a_negative_customer_raises_the_priority_one_step_and_the_sentiment_is_stored(
    defaults, ai_settings, stub, django_capture_on_commit_callbacks
):
    stub.answer = answer("negative")

    ticket = file_and_classify(django_capture_on_commit_callbacks)

    assert ticket.sentiment == "negative"
    assert ticket.priority == "medium"  # "Everything else" gave low; one step up
    created = ticket.events.get(kind=TicketEvent.Kind.CREATED)
    assert created.data["priority"] == "low"
    (recorded,) = events(ticket, TicketEvent.Kind.SENTIMENT_CHANGED)
    assert (recorded.from_value, recorded.to_value, recorded.actor) == ("", "negative", None)
    assert recorded.data == {"source": "ai"}
    (raised,) = events(ticket, TicketEvent.Kind.PRIORITY_CHANGED)
    assert (raised.from_value, raised.to_value) == ("low", "medium")
    assert raised.data["reason"] == "AI classification (Everything else, Negative sentiment)"


def test_a_neutral_customer_keeps_the_priority(
    defaults, ai_settings, stub, django_capture_on_commit_callbacks
):
    stub.answer = answer("neutral")

    ticket = file_and_classify(django_capture_on_commit_callbacks)

    assert (ticket.sentiment, ticket.priority) == ("neutral", "low")
    assert not events(ticket, TicketEvent.Kind.PRIORITY_CHANGED)


def test_critical_stays_critical_for_a_negative_customer(
    defaults, ai_settings, stub, django_capture_on_commit_callbacks
):
    stub.answer = answer("negative")

    ticket = file_and_classify(
        django_capture_on_commit_callbacks, body="I cannot access my account at all."
    )

    assert (ticket.sentiment, ticket.priority) == ("negative", "critical")
    assert not events(ticket, TicketEvent.Kind.PRIORITY_CHANGED)


def test_category_tier_and_sentiment_together_give_the_default_priority(
    defaults, ai_settings, stub, django_capture_on_commit_callbacks
):
    # The model's category lets the "Billing" rule give high; the sentiment raises it.
    stub.answer = answer("negative", category="billing", type="billing")

    ticket = file_and_classify(django_capture_on_commit_callbacks)

    assert (ticket.category.slug, ticket.priority) == ("billing", "critical")
    assert events(ticket, TicketEvent.Kind.PRIORITY_CHANGED)[-1].data["reason"] == (
        "AI classification (Billing, Negative sentiment)"
    )


@pytest.mark.parametrize("sentiment", ["furious", "", 42, None, ["negative"], {"x": 1}])
def test_an_invalid_sentiment_is_stored_as_unknown_and_changes_nothing(
    defaults, ai_settings, stub, sentiment, django_capture_on_commit_callbacks
):
    stub.answer = answer(sentiment)

    ticket = file_and_classify(django_capture_on_commit_callbacks)

    assert (ticket.sentiment, ticket.priority) == (None, "low")
    assert not events(ticket, TicketEvent.Kind.SENTIMENT_CHANGED)
    assert not events(ticket, TicketEvent.Kind.PRIORITY_CHANGED)
    assert ai_classify_ticket(ticket.pk) == []  # run again: asked once, nothing changes


def test_frustrated_counts_as_negative(
    defaults, ai_settings, stub, django_capture_on_commit_callbacks
):
    stub.answer = answer("Frustrated")

    ticket = file_and_classify(django_capture_on_commit_callbacks)

    assert (ticket.sentiment, ticket.priority) == ("negative", "medium")


def test_the_sentiment_step_is_data_in_admin(
    defaults, ai_settings, stub, django_capture_on_commit_callbacks
):
    stub.answer = answer("negative")
    rule = PriorityRule.objects.get(name="Negative sentiment")

    # Capped at medium: an enterprise customer's high stays high.
    rule.priority = "medium"
    rule.save()
    ticket = file_and_classify(django_capture_on_commit_callbacks, tier="enterprise")
    assert (ticket.sentiment, ticket.priority) == ("negative", "high")

    # Switched off: nothing is raised.
    rule.active = False
    rule.save()
    ticket = file_and_classify(django_capture_on_commit_callbacks)
    assert (ticket.sentiment, ticket.priority) == ("negative", "low")


def test_a_priority_the_caller_chose_is_not_raised_but_the_sentiment_is_stored(
    defaults, ai_settings, stub, django_capture_on_commit_callbacks
):
    stub.answer = answer("negative")
    CategoryFactory(slug="billing")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(
            customer=CustomerFactory(plan_tier="starter"),
            subject="Charged twice",
            body="Money back please.",
            priority="low",
        )

    ticket = Ticket.objects.get(pk=ticket.pk)
    assert (ticket.sentiment, ticket.priority) == ("negative", "low")
