"""Articles (public reads and search, admin writes) and the AI proxy (agents, logged and
budgeted, 503 when unavailable)."""

import pytest

from knowledge import services as knowledge_services
from knowledge.models import AIInteraction, Article
from tests.api.conftest import assert_error
from tests.knowledge.conftest import STUB_MODEL

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles(db):
    published = knowledge_services.article_create(
        title="Reset your password",
        body="Click *Forgot password* on the login page.",
        summary="Locked out?",
        tags=["Login"],
        published=True,
    )
    draft = knowledge_services.article_create(title="Upcoming billing", body="Draft text")
    return published, draft


def test_anyone_lists_published_articles_only(anon, articles):
    response = anon.get("/api/v1/articles")

    assert response.status_code == 200
    assert [a["slug"] for a in response.json()["results"]] == ["reset-your-password"]


def test_search_ranks_matches(anon, articles):
    response = anon.get("/api/v1/articles?q=password")

    assert [a["slug"] for a in response.json()["results"]] == ["reset-your-password"]
    assert anon.get("/api/v1/articles?q=%22%22%20OR").json()["results"] == []


def test_article_detail_and_draft_404(anon, admin_client, articles):
    detail = anon.get("/api/v1/articles/reset-your-password").json()

    assert "<em>Forgot password</em>" in detail["body_html"]
    assert_error(anon.get("/api/v1/articles/upcoming-billing"), 404)
    assert admin_client.get("/api/v1/articles/upcoming-billing").status_code == 200


def test_admin_creates_and_edits_articles(admin_client):
    created = admin_client.post(
        "/api/v1/articles",
        {"title": "Export data", "body": "Use **Export**.", "tags": ["data"], "published": True},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["published"] is True

    edited = admin_client.patch(
        "/api/v1/articles/export-data",
        {"title": "Export your data", "published": False},
        format="json",
    )
    assert edited.status_code == 200
    article = Article.objects.get(slug="export-data")
    assert article.title == "Export your data" and article.published is False


def test_article_write_errors_are_400(admin_client, articles):
    missing = admin_client.post("/api/v1/articles", {"title": ""}, format="json")
    taken = admin_client.post(
        "/api/v1/articles",
        {"title": "Other", "slug": "reset-your-password", "body": "x"},
        format="json",
    )

    assert set(assert_error(missing, 400)["fields"]) == {"title", "body"}
    assert "slug" in assert_error(taken, 400)["fields"]
    assert Article.objects.count() == 2


def test_only_admins_write_articles(agent_client, alice, anon, articles):
    payload = {"title": "x", "body": "y"}
    assert_error(agent_client.post("/api/v1/articles", payload, format="json"), 403)
    assert_error(alice.patch("/api/v1/articles/reset-your-password", payload), 403)
    assert_error(anon.post("/api/v1/articles", payload, format="json"), 401)


def test_article_list_query_count_does_not_grow(anon, throttles_off, django_assert_max_num_queries):
    for n in range(12):
        knowledge_services.article_create(title=f"Article {n}", body="b", published=True)
    with django_assert_max_num_queries(1):
        response = anon.get("/api/v1/articles?page_size=12")
    assert len(response.json()["results"]) == 12


# AI proxy ------------------------------------------------------------------------------------


def test_ai_query_answers_and_is_logged(agent_client, ticket_a, ai_settings, stub):
    stub.answer = {"answer": "Offer a refund.", "confidence": 0.7}

    response = agent_client.post(
        "/api/v1/ai/query",
        {"ticket": ticket_a.reference, "question": "What should I do?"},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["answer"] == "Offer a refund."
    interaction = AIInteraction.objects.get(pk=response.json()["interaction_id"])
    assert interaction.purpose == AIInteraction.Purpose.QUERY
    assert interaction.ticket_id == ticket_a.pk
    assert "What should I do?" in stub.requests[0]["body"]["messages"][-1]["content"]


def test_ai_query_needs_a_ticket(agent_client, ai_settings):
    response = agent_client.post("/api/v1/ai/query", {"question": "hi"}, format="json")
    unknown = agent_client.post(
        "/api/v1/ai/query", {"ticket": "TKT-0", "question": "hi"}, format="json"
    )

    assert "ticket" in assert_error(response, 400)["fields"]
    assert "ticket" in assert_error(unknown, 400)["fields"]


def test_ai_off_is_503(agent_client, ticket_a, settings):
    settings.AI_BASE_URL = ""
    response = agent_client.post(
        "/api/v1/ai/query", {"ticket": ticket_a.reference, "question": "?"}, format="json"
    )
    assert_error(response, 503, "ai_unavailable")
    assert AIInteraction.objects.count() == 0


def test_ai_budget_spent_is_503_and_logged(agent_client, ticket_a, ai_settings, stub):
    ai_settings.AI_MONTHLY_BUDGET_USD = "1"
    AIInteraction.objects.create(
        purpose="classify", model=STUB_MODEL, outcome="sent", cost_usd="1.00"
    )

    response = agent_client.post(
        "/api/v1/ai/query", {"ticket": ticket_a.reference, "question": "?"}, format="json"
    )

    assert_error(response, 503, "ai_budget_exhausted")
    assert stub.requests == []
    assert AIInteraction.objects.filter(outcome="skipped_budget").count() == 1


def test_ai_failure_is_503(agent_client, ticket_a, ai_settings, stub):
    stub.mode = "500"
    response = agent_client.post(
        "/api/v1/ai/query", {"ticket": ticket_a.reference, "question": "?"}, format="json"
    )
    assert_error(response, 503, "ai_unavailable")
    assert AIInteraction.objects.filter(outcome="failed").count() == 1


def test_ai_paused_is_503_with_retry_after(agent_client, ticket_a, ai_settings, stub):
    stub.mode = "429"
    stub.retry_after = "90"
    first = agent_client.post(
        "/api/v1/ai/query", {"ticket": ticket_a.reference, "question": "?"}, format="json"
    )
    paused = agent_client.post(
        "/api/v1/ai/query", {"ticket": ticket_a.reference, "question": "?"}, format="json"
    )

    assert "paused until" in assert_error(first, 503, "ai_paused")["message"]
    assert 85 <= int(first["Retry-After"]) <= 90
    assert "paused until" in assert_error(paused, 503, "ai_paused")["message"]
    assert 85 <= int(paused["Retry-After"]) <= 90
    assert len(stub.requests) == 1
    assert AIInteraction.objects.filter(outcome="skipped_paused").count() == 1


def test_customers_cannot_use_the_ai_proxy(alice, ticket_a, ai_settings, stub):
    response = alice.post(
        "/api/v1/ai/query", {"ticket": ticket_a.reference, "question": "?"}, format="json"
    )
    assert_error(response, 403)
    assert stub.requests == []
