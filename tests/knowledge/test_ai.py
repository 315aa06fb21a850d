"""The AI layer against a real OpenAI-compatible stub server, through the real client."""

import json
from decimal import Decimal

import pytest

from knowledge.ai.client import ai_enabled
from knowledge.ai.service import ai_complete_json
from knowledge.models import AIBudgetAlert, AIInteraction, AIModelPrice
from knowledge.tasks import ai_classify_ticket
from tests.factories import AgentFactory, CategoryFactory, CustomerFactory, UserFactory
from tests.knowledge.conftest import STUB_MODEL
from tickets.models import Notification, Ticket, TicketEvent
from tickets.services import ticket_create

Outcome = AIInteraction.Outcome


@pytest.fixture
def billing(db):
    return CategoryFactory(slug="billing", name="Billing", prefix="BIL")


def ask(ticket=None):
    return ai_complete_json(
        purpose=AIInteraction.Purpose.CLASSIFY,
        messages=[{"role": "user", "content": "My card was charged twice."}],
        schema_hint='{"category": string}',
        ticket=ticket,
    )


def file_ticket(subject="Charged twice", body="Please give me my money back."):
    ticket = ticket_create(customer=CustomerFactory(plan_tier=""), subject=subject, body=body)
    return Ticket.objects.select_related("category").get(pk=ticket.pk)


def event_kinds(ticket) -> list[str]:
    return list(ticket.events.order_by("pk").values_list("kind", flat=True))


# --- Off by default ------------------------------------------------------------------------


@pytest.mark.django_db
def test_ai_is_off_without_settings_and_nothing_is_called_or_logged(
    settings, stub, billing, django_capture_on_commit_callbacks
):
    settings.AI_BASE_URL = ""
    settings.AI_API_KEY = ""
    assert not ai_enabled()

    with django_capture_on_commit_callbacks(execute=True):
        ticket = file_ticket()

    ticket.refresh_from_db()
    assert ticket.category is None
    assert stub.requests == []
    assert not AIInteraction.objects.exists()
    assert "ai" not in ticket.events.get(kind=TicketEvent.Kind.CREATED).data["classification"]


def test_ai_needs_both_the_url_and_the_key(settings):
    settings.AI_BASE_URL = "http://127.0.0.1:9/v1"
    settings.AI_API_KEY = ""
    assert not ai_enabled()
    settings.AI_API_KEY = "key"
    assert ai_enabled()


# --- Classification ------------------------------------------------------------------------


@pytest.mark.django_db
def test_new_ticket_without_pattern_is_classified_by_the_model_after_commit(
    ai_settings, stub, billing, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ticket = file_ticket()
        # Nothing is asked inside the create transaction.
        assert stub.requests == []
    assert callbacks

    ticket = Ticket.objects.select_related("category").get(pk=ticket.pk)
    assert ticket.category == billing
    assert ticket.type == "billing"
    assert ticket.priority == "critical"
    assert set(ticket.tags.values_list("name", flat=True)) == {"refund", "invoice"}
    assert event_kinds(ticket) == [
        TicketEvent.Kind.CREATED,
        TicketEvent.Kind.CATEGORY_CHANGED,
        TicketEvent.Kind.TYPE_CHANGED,
        TicketEvent.Kind.TAGS_CHANGED,
        TicketEvent.Kind.SENTIMENT_CHANGED,
        TicketEvent.Kind.PRIORITY_CHANGED,
    ]
    assert ticket.sentiment == "negative"
    assert all(e.actor_id is None for e in ticket.events.all())
    assert ticket.events.get(kind=TicketEvent.Kind.CREATED).data["classification"]["ai"] == (
        "queued"
    )
    interaction = AIInteraction.objects.get()
    assert interaction.ticket == ticket
    assert interaction.purpose == AIInteraction.Purpose.CLASSIFY
    assert interaction.outcome == Outcome.USED
    assert interaction.confidence == Decimal("0.820")
    assert (interaction.input_tokens, interaction.output_tokens) == (100, 20)
    request = stub.requests[0]["body"]
    assert stub.requests[0]["path"] == "/v1/chat/completions"
    assert request["response_format"] == {"type": "json_object"}
    assert request["model"] == STUB_MODEL
    assert "billing" in request["messages"][0]["content"]


@pytest.mark.django_db
def test_classification_task_run_twice_asks_once(
    ai_settings, stub, billing, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = file_ticket()
    events = event_kinds(ticket)

    assert ai_classify_ticket(ticket.pk) == []

    assert len(stub.requests) == 1
    assert event_kinds(ticket) == events


@pytest.mark.django_db
def test_unknown_category_and_type_are_ignored_and_low_urgency_keeps_the_priority(
    ai_settings, stub, billing, django_capture_on_commit_callbacks
):
    stub.answer = {
        "category": "astrology",
        "type": "complaint",
        "tags": [],
        "urgency": 3,
        "confidence": 0.9,
    }
    with django_capture_on_commit_callbacks(execute=True):
        ticket = file_ticket()

    ticket = Ticket.objects.select_related("category").get(pk=ticket.pk)
    assert ticket.category is None
    assert (ticket.type, ticket.priority) == ("question", "medium")
    assert event_kinds(ticket) == [TicketEvent.Kind.CREATED]
    assert AIInteraction.objects.get().outcome == Outcome.SENT


@pytest.mark.django_db
@pytest.mark.parametrize("confidence", [0.59, None])
def test_an_unsure_classification_changes_nothing(
    ai_settings, stub, billing, confidence, django_capture_on_commit_callbacks
):
    stub.answer = {"category": "billing", "type": "billing", "tags": ["refund"], "urgency": 10}
    if confidence is not None:
        stub.answer["confidence"] = confidence
    with django_capture_on_commit_callbacks(execute=True):
        ticket = file_ticket()

    ticket = Ticket.objects.select_related("category").get(pk=ticket.pk)
    assert ticket.category is None
    assert (ticket.type, ticket.priority) == ("question", "medium")
    assert not ticket.tags.exists()
    assert event_kinds(ticket) == [TicketEvent.Kind.CREATED]
    interaction = AIInteraction.objects.get()
    assert interaction.outcome == Outcome.SENT
    assert interaction.confidence == (None if confidence is None else Decimal("0.590"))


@pytest.mark.django_db
def test_the_confidence_threshold_is_a_setting(
    ai_settings, stub, billing, settings, django_capture_on_commit_callbacks
):
    settings.AI_CLASSIFY_MIN_CONFIDENCE = 0.5
    stub.answer = {"category": "billing", "type": "billing", "urgency": 2, "confidence": 0.55}
    with django_capture_on_commit_callbacks(execute=True):
        ticket = file_ticket()

    ticket = Ticket.objects.select_related("category").get(pk=ticket.pk)
    assert (ticket.category, ticket.type) == (billing, "billing")
    assert AIInteraction.objects.get().outcome == Outcome.USED


@pytest.mark.django_db
def test_fields_the_caller_chose_are_not_touched_by_the_model(
    ai_settings, stub, billing, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(
            customer=CustomerFactory(plan_tier=""),
            subject="Charged twice",
            body="Money back please.",
            type="question",
            priority="low",
        )

    ticket = Ticket.objects.select_related("category").get(pk=ticket.pk)
    assert ticket.category == billing  # left open by the caller
    assert (ticket.type, ticket.priority) == ("question", "low")


@pytest.mark.django_db
def test_a_matching_pattern_means_no_model_call(
    ai_settings, stub, billing, django_capture_on_commit_callbacks
):
    from tickets.models import ClassificationPattern

    ClassificationPattern.objects.create(
        name="Refunds", position=1, pattern="refund", category=billing, type="billing"
    )
    with django_capture_on_commit_callbacks(execute=True):
        file_ticket(subject="Refund please")

    assert stub.requests == []
    assert not AIInteraction.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("malformed", "not valid JSON"),
        ("array", "not an object"),
        ("refusal", "refused"),
        ("500", "InternalServerError"),
        ("429", "RateLimitError"),
        ("sleep", "APITimeoutError"),
    ],
)
def test_every_fault_is_logged_as_failed_and_the_ticket_is_unchanged(
    ai_settings, stub, billing, mode, error, django_capture_on_commit_callbacks
):
    stub.mode = mode
    with django_capture_on_commit_callbacks(execute=True):
        ticket = file_ticket()

    ticket = Ticket.objects.select_related("category").get(pk=ticket.pk)
    assert ticket.category is None
    assert (ticket.type, ticket.priority) == ("question", "medium")
    assert event_kinds(ticket) == [TicketEvent.Kind.CREATED]
    interaction = AIInteraction.objects.get()
    assert interaction.outcome == Outcome.FAILED
    assert error in interaction.error
    assert interaction.ticket == ticket
    assert len(stub.requests) == 1


@pytest.mark.django_db
def test_connection_refused_returns_none_and_is_logged(ai_settings):
    ai_settings.AI_BASE_URL = "http://127.0.0.1:9/v1"

    assert ask() is None

    assert AIInteraction.objects.get().outcome == Outcome.FAILED


# --- Cost and budget -----------------------------------------------------------------------


@pytest.mark.django_db
def test_cost_is_computed_from_the_price_table(ai_settings, stub):
    AIModelPrice.objects.create(
        model=STUB_MODEL, input_per_million_usd="0.15", output_per_million_usd="0.60"
    )
    stub.usage = (1000, 500)
    stub.answer = {"ok": True}

    assert ask() == {"ok": True}

    interaction = AIInteraction.objects.get()
    assert interaction.outcome == Outcome.SENT
    assert interaction.cost_usd == Decimal("0.000450")
    assert interaction.model == STUB_MODEL
    assert interaction.latency_ms >= 0
    assert json.loads(interaction.response) == {"ok": True}


@pytest.mark.django_db
def test_an_unpriced_model_costs_nothing(ai_settings, stub):
    stub.answer = {"ok": True}

    ask()

    assert AIInteraction.objects.get().cost_usd == 0


@pytest.mark.django_db
def test_default_prices_are_installed():
    assert AIModelPrice.objects.filter(model="gpt-4o-mini").exists()


@pytest.mark.django_db
def test_spend_at_the_budget_refuses_without_calling_the_model(ai_settings, stub):
    ai_settings.AI_MONTHLY_BUDGET_USD = "1"
    AIInteraction.objects.create(
        purpose="classify", model=STUB_MODEL, outcome=Outcome.SENT, cost_usd="1.00"
    )

    assert ask() is None

    assert stub.requests == []
    assert AIInteraction.objects.filter(outcome=Outcome.SKIPPED_BUDGET).count() == 1


@pytest.mark.django_db
def test_budget_alerts_at_80_and_100_percent_are_created_once_each(ai_settings, stub):
    ai_settings.AI_MONTHLY_BUDGET_USD = "1"
    superuser = UserFactory(is_superuser=True, is_staff=True)
    manager = AgentFactory(agent_profile__seniority="manager")
    AgentFactory()  # a plain agent is not told
    AIModelPrice.objects.create(
        model=STUB_MODEL, input_per_million_usd="5000", output_per_million_usd="7000"
    )
    stub.usage = (100, 50)  # 0.50 + 0.35 = 0.85 per call
    stub.answer = {"ok": True}

    ask()
    assert list(AIBudgetAlert.objects.values_list("threshold", flat=True)) == [80]
    ask()
    ask()  # refused: 1.70 >= 1.00

    assert sorted(AIBudgetAlert.objects.values_list("threshold", flat=True)) == [80, 100]
    assert len(stub.requests) == 2
    notified = Notification.objects.filter(kind="ai_budget")
    assert set(notified.values_list("recipient_user", flat=True)) == {superuser.pk, manager.pk}
    desk = notified.filter(channel=Notification.Channel.DESK)
    assert desk.filter(recipient_user=manager).count() == 2


# --- Admin ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_log_shows_the_month_to_date_spend_and_is_read_only(admin_client, settings):
    settings.AI_MONTHLY_BUDGET_USD = "50"
    AIInteraction.objects.create(
        purpose="classify", model=STUB_MODEL, outcome=Outcome.SENT, cost_usd="1.25"
    )

    response = admin_client.get("/admin/knowledge/aiinteraction/")

    assert response.status_code == 200
    assert "Spent this month: $1.25 of the $50.00 budget" in response.content.decode()
    assert admin_client.get("/admin/knowledge/aiinteraction/add/").status_code == 403
    assert admin_client.get("/admin/knowledge/aimodelprice/add/").status_code == 200
