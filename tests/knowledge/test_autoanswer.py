"""The auto-response cascade (knowledge.autoanswer): code tier, generative tier against a real
OpenAI-compatible stub server, human tier on every fault, the approval queue and the
customer's "this did not help"."""

from decimal import Decimal

import pytest
from django.urls import reverse

from knowledge.models import AIInteraction, AutoAnswer, AutoAnswerPolicy
from knowledge.services import article_create
from knowledge.tasks import auto_answer_ticket
from tests.factories import AgentFactory, CategoryFactory, CustomerFactory, UserFactory
from tickets.models import Status, Ticket, TicketEvent, TicketMessage
from tickets.services import ticket_create, ticket_transition

pytestmark = pytest.mark.django_db

Mode = AutoAnswerPolicy.Mode
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def stub(stub):
    """The shared stub server (tests/knowledge/conftest.py), answering as a drafted answer."""
    stub.answer = {
        "answer": "Annual plans can be refunded in the first 30 days.",
        "confidence": 0.9,
    }
    return stub


@pytest.fixture
def ai_off(settings):
    settings.AI_BASE_URL = ""
    settings.AI_API_KEY = ""
    return settings


@pytest.fixture
def policy(db):
    """The default policy migration 0009 installs: send at 0.8 or more, draft below."""
    return AutoAnswerPolicy.objects.get(category=None)


@pytest.fixture
def no_policy(db):
    AutoAnswerPolicy.objects.all().delete()


@pytest.fixture
def articles(db):
    password = article_create(
        title="Reset your password",
        summary="Use the Forgot password link on the login page.",
        body="We email you a link that works for one hour.",
        published=True,
    )
    invoices = article_create(
        title="Billing documents",
        summary="Where your invoices are.",
        body="You can download every invoice from the billing page.",
        published=True,
    )
    annual = article_create(
        title="Annual plans",
        summary="Paying once a year.",
        body="An annual plan can get a refund in the first thirty days.",
        published=True,
    )
    return password, invoices, annual


def file_ticket(capture, subject, body="Please help.", category=None) -> Ticket:
    with capture(execute=True):
        ticket = ticket_create(
            customer=CustomerFactory(plan_tier=""), subject=subject, body=body, category=category
        )
    return Ticket.objects.get(pk=ticket.pk)


def answer_calls(stub) -> list[dict]:
    """The stub's requests for the cascade (the classification fallback also calls it)."""
    return [r for r in stub.requests if "help-center articles" in str(r["body"]["messages"])]


def ai_messages(ticket) -> list[TicketMessage]:
    return list(ticket.messages.filter(author_kind=TicketMessage.AuthorKind.AI))


# Code tier ---------------------------------------------------------------------------------


def test_the_default_policy_sends_at_0_8_and_drafts_below(db):
    policy = AutoAnswerPolicy.objects.get(category=None)
    assert (policy.mode, policy.threshold, policy.active) == (
        Mode.SEND_CONFIDENT,
        Decimal("0.8"),
        True,
    )
    assert AutoAnswerPolicy.objects.count() == 1


def test_without_a_policy_nothing_is_answered(
    ai_off, no_policy, articles, django_capture_on_commit_callbacks
):
    ticket = file_ticket(django_capture_on_commit_callbacks, "Reset password")
    assert not AutoAnswer.objects.exists()
    assert ai_messages(ticket) == []


def test_an_inactive_default_answers_nothing(
    ai_off, policy, articles, django_capture_on_commit_callbacks
):
    policy.active = False
    policy.save()
    file_ticket(django_capture_on_commit_callbacks, "Reset password")
    assert not AutoAnswer.objects.exists()


def test_code_tier_sends_a_confident_match(
    ai_off, policy, articles, django_capture_on_commit_callbacks
):
    password = articles[0]
    ticket = file_ticket(django_capture_on_commit_callbacks, "Reset password")

    answer = ticket.auto_answer
    assert answer.tier == AutoAnswer.Tier.CODE
    assert answer.status == AutoAnswer.Status.SENT
    assert answer.confidence == Decimal("1.000")  # every subject word is in the title
    assert answer.article == password
    assert answer.interaction is None
    [message] = ai_messages(ticket)
    assert answer.message == message
    assert message.author is None and not message.is_internal
    assert "Forgot password link" in message.body
    assert reverse("kb:article", args=[password.slug]) in message.body
    assert ticket.events.filter(kind=TicketEvent.Kind.AUTO_ANSWERED).count() == 1
    # Not an agent's response: the SLA's first response is still due, the ticket still open.
    assert ticket.first_response_at is None
    assert ticket.status == Status.OPEN


def test_code_tier_below_the_threshold_is_a_draft(
    ai_off, policy, articles, django_capture_on_commit_callbacks
):
    # Both words are only in the body: confidence 0.6, below the default 0.8.
    ticket = file_ticket(django_capture_on_commit_callbacks, "Download invoice")
    answer = ticket.auto_answer
    assert answer.tier == AutoAnswer.Tier.CODE
    assert answer.confidence == Decimal("0.600")
    assert answer.status == AutoAnswer.Status.PENDING
    assert answer.message is None
    assert ai_messages(ticket) == []


def test_a_lower_category_threshold_sends(
    ai_off, policy, articles, django_capture_on_commit_callbacks
):
    billing = CategoryFactory()
    AutoAnswerPolicy.objects.create(category=billing, threshold=Decimal("0.5"))
    ticket = file_ticket(django_capture_on_commit_callbacks, "Download invoice", category=billing)
    assert ticket.auto_answer.status == AutoAnswer.Status.SENT


def test_draft_only_holds_even_a_confident_answer(
    ai_off, policy, articles, django_capture_on_commit_callbacks
):
    billing = CategoryFactory()
    AutoAnswerPolicy.objects.create(category=billing, mode=Mode.DRAFT_ONLY)
    ticket = file_ticket(django_capture_on_commit_callbacks, "Reset password", category=billing)
    assert ticket.auto_answer.status == AutoAnswer.Status.PENDING
    assert ai_messages(ticket) == []


def test_never_mode_skips_the_cascade_and_the_model(
    ai_settings, stub, policy, articles, django_capture_on_commit_callbacks
):
    billing = CategoryFactory()
    AutoAnswerPolicy.objects.create(category=billing, mode=Mode.NEVER)
    ticket = file_ticket(django_capture_on_commit_callbacks, "Charged twice plan", category=billing)
    assert not AutoAnswer.objects.exists()
    assert answer_calls(stub) == []
    assert ai_messages(ticket) == []


def test_the_task_runs_once_per_ticket(
    ai_off, policy, articles, django_capture_on_commit_callbacks
):
    ticket = file_ticket(django_capture_on_commit_callbacks, "Reset password")
    assert auto_answer_ticket(ticket.pk) == "human"  # already answered: nothing new
    assert AutoAnswer.objects.count() == 1
    assert len(ai_messages(ticket)) == 1


# Generative tier ---------------------------------------------------------------------------


def test_generative_tier_sends_a_confident_answer(
    ai_settings, stub, policy, articles, django_capture_on_commit_callbacks
):
    ticket = file_ticket(django_capture_on_commit_callbacks, "Charged twice for my annual plan")

    [call] = answer_calls(stub)
    assert "Annual plans" in str(call["body"]["messages"])  # grounded in the articles
    answer = ticket.auto_answer
    assert answer.tier == AutoAnswer.Tier.GENERATIVE
    assert answer.status == AutoAnswer.Status.SENT
    assert answer.confidence == Decimal("0.900")
    assert answer.interaction.purpose == AIInteraction.Purpose.ANSWER
    assert answer.interaction.outcome == AIInteraction.Outcome.USED
    [message] = ai_messages(ticket)
    assert message.body == stub.answer["answer"]


def test_generative_tier_below_the_threshold_is_a_draft(
    ai_settings, stub, policy, articles, django_capture_on_commit_callbacks
):
    stub.answer = {"answer": "Maybe look at the annual plans article.", "confidence": 0.4}
    ticket = file_ticket(django_capture_on_commit_callbacks, "Charged twice for my annual plan")
    answer = ticket.auto_answer
    assert answer.status == AutoAnswer.Status.PENDING
    assert answer.interaction.outcome == AIInteraction.Outcome.SENT
    assert ai_messages(ticket) == []


@pytest.mark.parametrize(
    "mode, answer",
    [
        ("500", None),
        ("429", None),
        ("malformed", None),
        ("array", None),
        ("refusal", None),
        ("sleep", None),
        ("json", {"answer": "", "confidence": 0.99}),
        ("json", {"confidence": 0.99}),
    ],
)
def test_every_ai_fault_leaves_the_ticket_to_an_agent(
    ai_settings, stub, policy, articles, mode, answer, django_capture_on_commit_callbacks
):
    stub.mode = mode
    if answer is not None:
        stub.answer = answer
    ticket = file_ticket(django_capture_on_commit_callbacks, "Charged twice for my annual plan")
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert not AutoAnswer.objects.exists()
    assert ai_messages(ticket) == []
    interaction = AIInteraction.objects.get(purpose=AIInteraction.Purpose.ANSWER)
    assert interaction.outcome == AIInteraction.Outcome.FAILED


def test_over_budget_leaves_the_ticket_to_an_agent(
    ai_settings, stub, policy, articles, django_capture_on_commit_callbacks
):
    ai_settings.AI_MONTHLY_BUDGET_USD = "0"
    ticket = file_ticket(django_capture_on_commit_callbacks, "Charged twice for my annual plan")
    assert answer_calls(stub) == []
    assert not AutoAnswer.objects.exists()
    assert ticket.status == Status.OPEN


def test_the_ai_fault_falls_back_to_a_code_draft(
    ai_settings, stub, policy, articles, django_capture_on_commit_callbacks
):
    stub.mode = "500"
    ticket = file_ticket(django_capture_on_commit_callbacks, "Download invoice")
    assert ticket.auto_answer.tier == AutoAnswer.Tier.CODE
    assert ticket.auto_answer.status == AutoAnswer.Status.PENDING


# The approval queue ------------------------------------------------------------------------


@pytest.fixture
def draft(ai_settings, stub, policy, articles, django_capture_on_commit_callbacks):
    stub.answer = {"answer": "Annual plans are refundable for 30 days.", "confidence": 0.5}
    ticket = file_ticket(django_capture_on_commit_callbacks, "Charged twice for my annual plan")
    return ticket.auto_answer


def test_queue_lists_pending_drafts_for_agents(client, draft):
    client.force_login(AgentFactory())
    response = client.get(reverse("desk:approvals"))
    assert response.status_code == 200
    html = response.content.decode()
    assert draft.ticket.reference in html
    assert "Annual plans are refundable for 30 days." in html
    assert "0.50" in html
    assert 'href="/desk/approvals/"' in html


def test_queue_is_for_agents_only(client, draft):
    response = client.get(reverse("desk:approvals"))
    assert response.status_code == 302
    client.force_login(UserFactory())
    assert client.get(reverse("desk:approvals")).status_code == 403
    url = reverse("desk:approval_approve", args=[draft.pk])
    assert client.post(url).status_code == 403
    draft.refresh_from_db()
    assert draft.status == AutoAnswer.Status.PENDING


def test_approve_sends_the_draft_as_the_agents_reply(client, draft):
    agent = AgentFactory()
    client.force_login(agent)
    response = client.post(reverse("desk:approval_approve", args=[draft.pk]), **HTMX)
    assert response.status_code == 200
    assert "Sent to" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == AutoAnswer.Status.APPROVED
    assert draft.decided_by == agent and draft.decided_at is not None
    assert draft.message.author == agent
    assert draft.message.author_kind == TicketMessage.AuthorKind.AGENT
    assert draft.message.body == "Annual plans are refundable for 30 days."
    assert draft.interaction.outcome == AIInteraction.Outcome.APPROVED
    ticket = Ticket.objects.get(pk=draft.ticket_id)
    assert ticket.first_response_at is not None
    # Decided: a second decision is refused.
    assert client.post(reverse("desk:approval_reject", args=[draft.pk])).status_code == 404


def test_edit_sends_the_agents_text(client, draft):
    agent = AgentFactory()
    client.force_login(agent)
    response = client.post(
        reverse("desk:approval_edit", args=[draft.pk]), {"body": "Refunded today, sorry!"}
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == AutoAnswer.Status.EDITED
    assert draft.message.body == "Refunded today, sorry!"
    assert draft.interaction.outcome == AIInteraction.Outcome.EDITED


def test_edit_refuses_an_empty_answer(client, draft):
    client.force_login(AgentFactory())
    response = client.post(reverse("desk:approval_edit", args=[draft.pk]), {"body": " "}, **HTMX)
    assert response.status_code == 400
    draft.refresh_from_db()
    assert draft.status == AutoAnswer.Status.PENDING


def test_reject_sends_nothing(client, draft):
    agent = AgentFactory()
    client.force_login(agent)
    response = client.post(reverse("desk:approval_reject", args=[draft.pk]), **HTMX)
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.status == AutoAnswer.Status.REJECTED
    assert draft.decided_by == agent
    assert draft.message is None
    assert draft.interaction.outcome == AIInteraction.Outcome.REJECTED
    assert (
        not TicketMessage.objects.filter(ticket=draft.ticket, is_internal=False)
        .exclude(author_kind=TicketMessage.AuthorKind.CUSTOMER)
        .exists()
    )
    assert "No drafts" in client.get(reverse("desk:approvals")).content.decode()


def test_portal_marks_an_approved_or_edited_draft_as_checked(client, draft):
    agent = AgentFactory()
    client.force_login(agent)
    client.post(
        reverse("desk:approval_edit", args=[draft.pk]), {"body": "Edited: refundable."}, **HTMX
    )
    client.logout()

    html = client.get(reverse("portal:ticket", args=[draft.ticket.public_id])).content.decode()

    assert "Edited: refundable." in html
    assert "Automatic answer · checked by Support" in html
    assert "This did not help" not in html  # that is for answers nobody checked


# "This did not help" -----------------------------------------------------------------------


@pytest.fixture
def sent(ai_off, policy, articles, django_capture_on_commit_callbacks):
    ticket = file_ticket(django_capture_on_commit_callbacks, "Reset password")
    return ticket.auto_answer


def test_portal_marks_the_automatic_answer(client, sent):
    response = client.get(reverse("portal:ticket", args=[sent.ticket.public_id]))
    html = response.content.decode()
    assert "Automatic answer" in html
    assert "This did not help" in html


def test_not_helpful_puts_the_ticket_in_front_of_an_agent(client, sent):
    ticket = sent.ticket
    url = reverse("portal:auto_answer_not_helpful", args=[ticket.public_id, sent.message_id])
    response = client.post(url, **HTMX)
    assert response.status_code == 200
    assert "This did not help" not in response.content.decode()
    sent.refresh_from_db()
    assert sent.status == AutoAnswer.Status.NOT_HELPFUL
    ticket.refresh_from_db()
    assert ticket.events.filter(kind=TicketEvent.Kind.AUTO_ANSWER_NOT_HELPFUL).count() == 1
    assert "auto_answer_failed" in ticket.tags.values_list("name", flat=True)
    assert client.post(url).status_code == 404  # recorded once


def test_not_helpful_moves_a_waiting_ticket_back_in_progress(client, sent):
    agent = AgentFactory()
    ticket = sent.ticket
    ticket_transition(ticket=ticket, to_status=Status.IN_PROGRESS, actor=agent)
    ticket_transition(ticket=ticket, to_status=Status.WAITING_CUSTOMER, actor=agent)
    url = reverse("portal:auto_answer_not_helpful", args=[ticket.public_id, sent.message_id])
    assert client.post(url).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS


def test_not_helpful_needs_an_automatic_answer_of_this_ticket(client, sent):
    other = ticket_create(customer=CustomerFactory(), subject="Other", body="Other")
    url = reverse("portal:auto_answer_not_helpful", args=[other.public_id, sent.message_id])
    assert client.post(url).status_code == 404
    assert (
        client.get(
            reverse("portal:auto_answer_not_helpful", args=[sent.ticket.public_id, sent.message_id])
        ).status_code
        == 405
    )


def test_desk_timeline_and_admin_show_the_automatic_answer(admin_client, client, sent):
    ticket = sent.ticket
    url = reverse("portal:auto_answer_not_helpful", args=[ticket.public_id, sent.message_id])
    client.post(url)
    agent = AgentFactory()
    client.force_login(agent)
    html = client.get(reverse("desk:ticket", args=[ticket.reference])).content.decode()
    assert "answered automatically" in html
    assert "said the automatic answer did not help" in html
    assert admin_client.get(reverse("admin:knowledge_autoanswer_changelist")).status_code == 200
    assert (
        admin_client.get(reverse("admin:knowledge_autoanswerpolicy_changelist")).status_code == 200
    )


def test_seed_demo_does_not_answer_the_historical_tickets(
    policy, mailoutbox, django_capture_on_commit_callbacks, monkeypatch
):
    """The default policy would queue the cascade for every demo ticket: the seeder detaches
    the hook, so the task is never even queued."""
    from io import StringIO

    from django.core.management import call_command

    from knowledge.models import Article

    queued = []
    monkeypatch.setattr("knowledge.tasks.auto_answer_ticket", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--tickets", "14", stdout=StringIO())

    assert queued == []
    assert Article.objects.filter(published=True).exists() and policy.active
    assert Ticket.objects.count() == 14
    assert not AutoAnswer.objects.exists()
    assert not TicketMessage.objects.filter(author_kind=TicketMessage.AuthorKind.AI).exists()
