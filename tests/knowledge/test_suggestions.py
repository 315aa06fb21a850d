"""Suggested reply: an article, else a similar resolved ticket's resolution, else a model
draft (against the real stub server), and the desk endpoint that shows it."""

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from knowledge.models import AIInteraction, ReplySuggestion
from knowledge.services import article_create
from knowledge.suggestions import Suggestion, suggest_reply
from knowledge.tasks import reply_suggestion_run
from tests.factories import AgentFactory, CustomerWithAccountFactory, TicketFactory
from tickets.models import Status, Ticket
from tickets.services import ticket_resolve, ticket_transition

HTMX = {"HTTP_HX_REQUEST": "true"}
DRAFT = {"reply": "Hello, please try exporting again after clearing the cache.", "confidence": 0.7}
# session, user with agent profile, the ticket, the whole-subject search (no match: the article
# lacks "fails"), then a search per longest word: two queries ("download", "invoice": the FTS5
# match and the articles; one on PostgreSQL) or one ("fails": no match).
SUGGEST_ARTICLE_QUERIES = {"sqlite": 9, "postgresql": 7}
# session, user with agent profile, the ticket, the subject search (no match), three
# single-term searches (no match), the similar tickets.
SUGGEST_SIMILAR_QUERIES = 8


@pytest.fixture
def agent(db):
    return AgentFactory()


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def ticket(db):
    return TicketFactory(
        subject="Invoice download fails", body="The invoice download button shows an error."
    )


def refund_article(**extra):
    return article_create(
        title="Downloading an invoice",
        slug="download-invoice",
        summary="Invoices are under Billing, then History.",
        body="Open Billing, choose History and click the invoice download link.",
        published=True,
        **extra,
    )


def resolved_ticket(subject="Invoice download fails again", resolution="Cleared the cache."):
    other = TicketFactory(subject=subject, body="Same thing.")
    other = ticket_transition(ticket=Ticket.objects.get(pk=other.pk), to_status=Status.IN_PROGRESS)
    return ticket_resolve(ticket=other, resolution=resolution)


def settings_off(settings):
    settings.AI_BASE_URL = ""
    settings.AI_API_KEY = ""


# Sources --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_article_source_links_the_public_article(ticket, agent, settings):
    settings.SITE_URL = "https://help.example.com"
    refund_article()

    suggestion = suggest_reply(ticket=ticket, agent=agent)

    assert suggestion.source == Suggestion.ARTICLE
    assert suggestion.reference == "download-invoice"
    assert "Invoices are under Billing, then History." in suggestion.text
    assert "https://help.example.com/kb/download-invoice/" in suggestion.text


@pytest.mark.django_db
def test_article_fallback_uses_the_first_message_words(agent):
    article_create(
        title="Payment declined",
        summary="Check the card's expiry date.",
        body="A declined payment usually means an expired card.",
        published=True,
    )
    ticket = TicketFactory(subject="Help needed", body="My payment was declined yesterday.")

    suggestion = suggest_reply(ticket=ticket, agent=agent)

    assert suggestion.source == Suggestion.ARTICLE
    assert "expiry date" in suggestion.text


@pytest.mark.django_db
def test_drafts_are_never_suggested(ticket, agent):
    article_create(title="Invoice download fails", body="Invoice download.", published=False)
    assert suggest_reply(ticket=ticket, agent=agent) is None


@pytest.mark.django_db
def test_similar_resolved_ticket_gives_its_resolution(ticket, agent):
    done = resolved_ticket()

    suggestion = suggest_reply(ticket=ticket, agent=agent)

    assert suggestion.source == Suggestion.SIMILAR_TICKET
    assert suggestion.text == "Cleared the cache."
    assert suggestion.reference == done.reference


@pytest.mark.django_db
def test_similar_ticket_must_be_similar_recent_and_resolved(ticket, agent):
    resolved_ticket(subject="Password reset email missing")
    old = resolved_ticket(resolution="Old fix.")
    Ticket.objects.filter(pk=old.pk).update(resolved_at=timezone.now() - timedelta(days=181))
    TicketFactory(subject="Invoice download fails again")  # open, no resolution

    assert suggest_reply(ticket=ticket, agent=agent) is None


@pytest.mark.django_db
def test_article_comes_before_similar_ticket_before_ai(ticket, agent, ai_settings, stub):
    stub.answer = DRAFT
    assert suggest_reply(ticket=ticket, agent=agent).source == Suggestion.AI
    resolved_ticket()
    assert suggest_reply(ticket=ticket, agent=agent).source == Suggestion.SIMILAR_TICKET
    refund_article()
    assert suggest_reply(ticket=ticket, agent=agent).source == Suggestion.ARTICLE
    assert len(stub.requests) == 1


@pytest.mark.django_db
def test_ai_source_against_the_stub(ticket, agent, ai_settings, stub):
    stub.answer = DRAFT

    suggestion = suggest_reply(ticket=ticket, agent=agent)

    assert suggestion.source == Suggestion.AI
    assert suggestion.text == DRAFT["reply"]
    assert suggestion.confidence == 0.7
    interaction = AIInteraction.objects.get()
    assert interaction.purpose == AIInteraction.Purpose.SUGGEST
    assert interaction.outcome == AIInteraction.Outcome.SENT
    assert interaction.ticket_id == ticket.pk
    assert "Invoice download fails" in stub.requests[0]["body"]["messages"][1]["content"]


@pytest.mark.django_db
@pytest.mark.parametrize("mode", ["500", "malformed", "refusal", "no-reply"])
def test_ai_fault_gives_no_suggestion(ticket, agent, ai_settings, stub, mode):
    stub.mode = mode
    stub.answer = {"confidence": 0.9}

    assert suggest_reply(ticket=ticket, agent=agent) is None
    assert AIInteraction.objects.count() == 1


@pytest.mark.django_db
def test_ai_off_asks_no_model(ticket, agent, settings):
    settings.AI_BASE_URL = ""
    assert suggest_reply(ticket=ticket, agent=agent) is None
    assert not AIInteraction.objects.exists()


@pytest.mark.django_db
def test_non_agent_gets_nothing(ticket):
    refund_article()
    assert suggest_reply(ticket=ticket, agent=CustomerWithAccountFactory().user) is None


# Desk endpoint --------------------------------------------------------------------------


@pytest.mark.django_db
def test_endpoint_shows_the_suggestion_with_insert(agent_client, ticket, django_assert_num_queries):
    refund_article()
    url = reverse("desk:ticket_suggest", args=[ticket.reference])

    with django_assert_num_queries(SUGGEST_ARTICLE_QUERIES[connection.vendor]):
        response = agent_client.post(url, **HTMX)

    assert response.status_code == 200
    assert 'id="reply-suggestion"' in response.text
    assert "Help-center article" in response.text
    assert 'class="button small suggestion-insert"' in response.text
    assert "data-suggestion-text=" in response.text
    assert "<script" not in response.text


@pytest.mark.django_db
def test_endpoint_query_count_for_a_similar_ticket(agent_client, ticket, django_assert_num_queries):
    resolved_ticket()
    url = reverse("desk:ticket_suggest", args=[ticket.reference])

    with django_assert_num_queries(SUGGEST_SIMILAR_QUERIES):
        response = agent_client.post(url, **HTMX)

    assert "Similar resolved ticket" in response.text
    assert "Cleared the cache." in response.text


@pytest.mark.django_db
def test_endpoint_without_suggestion_and_ai_off(agent_client, ticket, ai_settings, stub):
    settings_off(ai_settings)
    response = agent_client.post(reverse("desk:ticket_suggest", args=[ticket.reference]), **HTMX)

    assert response.status_code == 200
    assert "No suggestion available." in response.text
    assert "suggestion-insert" not in response.text
    assert "hx-trigger" not in response.text


@pytest.mark.django_db
def test_endpoint_is_for_agents_only(client, ticket):
    url = reverse("desk:ticket_suggest", args=[ticket.reference])
    anonymous = client.post(url)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]

    client.force_login(CustomerWithAccountFactory().user)
    assert client.post(url).status_code == 403


@pytest.mark.django_db
def test_unknown_ticket_is_404(agent_client):
    assert agent_client.post(reverse("desk:ticket_suggest", args=["NOPE-1"])).status_code == 404


@pytest.mark.django_db
def test_ticket_page_has_the_button_and_asks_no_model(agent_client, ticket, ai_settings, stub):
    response = agent_client.get(reverse("desk:ticket", args=[ticket.reference]))

    assert response.status_code == 200
    assert reverse("desk:ticket_suggest", args=[ticket.reference]) in response.text
    assert "Suggest a reply" in response.text
    assert stub.requests == [] and not AIInteraction.objects.exists()


@pytest.mark.django_db
def test_closed_ticket_status_is_not_required(agent, ticket):
    resolved_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.CLOSED)
    ticket.refresh_from_db()
    assert suggest_reply(ticket=ticket, agent=agent).source == Suggestion.SIMILAR_TICKET


# The model's draft in a background job ----------------------------------------------------


def click_suggest(agent_client, ticket, capture):
    """The click: the task runs on commit (synchronously under Q_SYNC)."""
    with capture(execute=True):
        return agent_client.post(reverse("desk:ticket_suggest", args=[ticket.reference]), **HTMX)


def poll(agent_client, ticket, row):
    url = reverse("desk:ticket_suggestion", args=[ticket.reference, row.pk])
    return agent_client.get(url, **HTMX)


@pytest.mark.django_db
def test_click_queues_the_model_and_the_panel_polls(agent_client, ticket, ai_settings, stub):
    """Without a worker the click answers at once with a polling panel: no model call in the
    agent's request."""
    stub.answer = DRAFT
    response = agent_client.post(reverse("desk:ticket_suggest", args=[ticket.reference]), **HTMX)

    row = ReplySuggestion.objects.get()
    assert row.status == ReplySuggestion.Status.PENDING and row.ticket == ticket
    assert stub.requests == [] and not AIInteraction.objects.exists()
    poll_url = reverse("desk:ticket_suggestion", args=[ticket.reference, row.pk])
    assert f'hx-get="{poll_url}"' in response.text
    assert 'hx-trigger="every 1500ms"' in response.text
    assert "Asking the AI model" in response.text

    still = poll(agent_client, ticket, row)
    assert "Asking the AI model" in still.text and "hx-trigger" in still.text


@pytest.mark.django_db
def test_the_job_drafts_and_the_poll_shows_it_and_stops(
    agent_client, ticket, ai_settings, stub, django_capture_on_commit_callbacks
):
    stub.answer = DRAFT
    click_suggest(agent_client, ticket, django_capture_on_commit_callbacks)

    row = ReplySuggestion.objects.get()
    assert row.status == ReplySuggestion.Status.READY
    assert row.text == DRAFT["reply"] and row.interaction.purpose == "suggest"
    response = poll(agent_client, ticket, row)
    assert response.status_code == 200
    assert "AI draft" in response.text and "confidence 0.70" in response.text
    assert DRAFT["reply"] in response.text
    assert "hx-trigger" not in response.text  # polling stops
    used_url = reverse("desk:ticket_suggestion_used", args=[ticket.reference, row.pk])
    assert f'data-used-url="{used_url}"' in response.text
    assert len(stub.requests) == 1


@pytest.mark.django_db
def test_running_the_job_twice_asks_the_model_once(ticket, agent, ai_settings, stub):
    stub.answer = DRAFT
    row = ReplySuggestion.objects.create(ticket=ticket, requested_by=agent)

    assert reply_suggestion_run(row.pk) == "ready"
    assert reply_suggestion_run(row.pk) == "ready"
    assert reply_suggestion_run(row.pk + 100) == "gone"
    assert len(stub.requests) == 1 and AIInteraction.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("500", "The AI model did not answer."),
        ("sleep", "The AI model did not answer."),
        ("no-reply", "had no reply to suggest"),
    ],
)
def test_a_model_failure_shows_a_clear_message(
    agent_client, ticket, ai_settings, stub, mode, message, django_capture_on_commit_callbacks
):
    stub.mode = mode
    stub.answer = {"confidence": 0.9}
    click_suggest(agent_client, ticket, django_capture_on_commit_callbacks)

    row = ReplySuggestion.objects.get()
    assert row.status == ReplySuggestion.Status.FAILED
    response = poll(agent_client, ticket, row)
    assert response.status_code == 200
    assert message in response.text and 'role="alert"' in response.text
    assert "hx-trigger" not in response.text and "suggestion-insert" not in response.text


@pytest.mark.django_db
def test_a_spent_budget_says_so_without_asking_the_model(
    agent_client, ticket, ai_settings, stub, django_capture_on_commit_callbacks
):
    ai_settings.AI_MONTHLY_BUDGET_USD = "0"
    click_suggest(agent_client, ticket, django_capture_on_commit_callbacks)

    row = ReplySuggestion.objects.get()
    assert row.status == ReplySuggestion.Status.FAILED
    assert row.interaction.outcome == AIInteraction.Outcome.SKIPPED_BUDGET
    assert stub.requests == []
    assert "AI budget is used up" in poll(agent_client, ticket, row).text


@pytest.mark.django_db
def test_a_paused_provider_says_so_without_asking_the_model(
    agent_client, ticket, ai_settings, stub, django_capture_on_commit_callbacks
):
    from knowledge.models import AIProviderState

    AIProviderState.objects.create(paused_until=timezone.now() + timedelta(minutes=1))
    click_suggest(agent_client, ticket, django_capture_on_commit_callbacks)

    row = ReplySuggestion.objects.get()
    assert row.status == ReplySuggestion.Status.FAILED
    assert row.interaction.outcome == AIInteraction.Outcome.SKIPPED_PAUSED
    assert stub.requests == []
    assert "AI provider has not been answering" in poll(agent_client, ticket, row).text


@pytest.mark.django_db
def test_a_draft_pending_too_long_is_reported_as_failed(agent_client, ticket, agent, ai_settings):
    row = ReplySuggestion.objects.create(ticket=ticket, requested_by=agent)
    ReplySuggestion.objects.filter(pk=row.pk).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )

    response = poll(agent_client, ticket, row)

    assert "taking too long" in response.text and "hx-trigger" not in response.text


@pytest.mark.django_db
def test_quick_sources_answer_in_the_click_without_the_model(
    agent_client, ticket, ai_settings, stub, django_capture_on_commit_callbacks
):
    refund_article()
    response = click_suggest(agent_client, ticket, django_capture_on_commit_callbacks)

    assert "Help-center article" in response.text and "hx-trigger" not in response.text
    assert not ReplySuggestion.objects.exists() and stub.requests == []


@pytest.mark.django_db
def test_poll_is_scoped_to_agents_and_the_ticket(client, agent_client, ticket, agent):
    row = ReplySuggestion.objects.create(ticket=ticket, requested_by=agent)
    other = TicketFactory(subject="Another ticket")
    assert poll(agent_client, other, row).status_code == 404
    client.force_login(CustomerWithAccountFactory().user)
    assert poll(client, ticket, row).status_code == 403


# Inserting the model's draft records it as used ---------------------------------------------


@pytest.mark.django_db
def test_inserting_the_draft_marks_its_interaction_used(
    agent_client, ticket, ai_settings, stub, django_capture_on_commit_callbacks
):
    stub.answer = DRAFT
    click_suggest(agent_client, ticket, django_capture_on_commit_callbacks)
    row = ReplySuggestion.objects.get()
    url = reverse("desk:ticket_suggestion_used", args=[ticket.reference, row.pk])

    assert agent_client.post(url, **HTMX).status_code == 204
    row.refresh_from_db()
    first_use = row.used_at
    assert first_use is not None
    assert row.interaction.outcome == AIInteraction.Outcome.USED

    assert agent_client.post(url, **HTMX).status_code == 204  # a second insert changes nothing
    row.refresh_from_db()
    assert row.used_at == first_use


@pytest.mark.django_db
def test_a_failed_suggestion_cannot_be_used(agent_client, ticket, agent):
    row = ReplySuggestion.objects.create(
        ticket=ticket, requested_by=agent, status=ReplySuggestion.Status.FAILED, error="x"
    )
    url = reverse("desk:ticket_suggestion_used", args=[ticket.reference, row.pk])

    response = agent_client.post(url, **HTMX)

    assert response.status_code == 409 and "no draft" in response.text
    row.refresh_from_db()
    assert row.used_at is None
    assert agent_client.get(url).status_code == 405
