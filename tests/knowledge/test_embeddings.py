"""Optional semantic search (knowledge.embeddings): the sync job against the stub's
/v1/embeddings, and `article_search` blending vector similarity with the full-text rank.

The stub's vectors are a hashed bag of concepts (tests/knowledge/conftest.py): "reimbursement"
and "refund" share a dimension, so an article about refunds is close to a query about a
reimbursement although full text finds no common word."""

import pytest
from django.db import connection

from helpdesk.schedules import SCHEDULES
from knowledge import embeddings
from knowledge.models import AIInteraction, ArticleEmbedding
from knowledge.selectors import article_search, portal_article_suggestions
from knowledge.services import article_create, article_unpublish, article_update
from knowledge.tasks import article_embeddings_sync

pytestmark = pytest.mark.django_db

EMBEDDING = AIInteraction.Purpose.EMBEDDING


@pytest.fixture
def refund(db):
    return article_create(
        title="Refund rules",
        slug="refund-rules",
        summary="When a refund is possible.",
        body="A refund is paid within thirty days.",
        published=True,
    )


@pytest.fixture
def password(db):
    return article_create(
        title="Reset your password",
        slug="reset-password",
        summary="Use the link on the login page.",
        body="We email a password link that works for one hour.",
        published=True,
    )


def embedding_calls():
    return AIInteraction.objects.filter(purpose=EMBEDDING)


# The sync job ----------------------------------------------------------------------------


def test_sync_embeds_published_articles_once(embedding_settings, stub, refund, password):
    draft = article_create(title="Refund draft", body="Not yet.", published=False)

    counts = article_embeddings_sync()

    assert counts == {"embedded": 2, "skipped": 0, "failed": 0, "removed": 0}
    stored = ArticleEmbedding.objects.get(article=refund)
    assert stored.model == "stub-embedding" and stored.dimensions == 256
    assert len(bytes(stored.vector)) == 256 * 4  # float32
    assert stored.text_hash == embeddings.text_hash(embeddings.article_text(refund))
    assert not ArticleEmbedding.objects.filter(article=draft).exists()
    call = embedding_calls().get()  # one batch, one logged call
    assert call.outcome == AIInteraction.Outcome.SENT and call.input_tokens > 0
    assert call.model == "stub-embedding"

    assert article_embeddings_sync()["skipped"] == 2  # unchanged: no second request
    assert len(stub.embedding_requests) == 1 and embedding_calls().count() == 1


def test_sync_re_embeds_an_edit_and_drops_an_unpublished_article(
    embedding_settings, stub, refund, password
):
    article_embeddings_sync()
    before = bytes(ArticleEmbedding.objects.get(article=refund).vector)

    article_update(article=refund, body="Refunds are paid by bank transfer.")
    article_unpublish(article=password)
    counts = article_embeddings_sync()

    assert counts == {"embedded": 1, "skipped": 0, "failed": 0, "removed": 1}
    assert bytes(ArticleEmbedding.objects.get(article=refund).vector) != before
    assert not ArticleEmbedding.objects.filter(article=password).exists()


def test_a_new_model_re_embeds_everything(embedding_settings, stub, refund):
    article_embeddings_sync()
    embedding_settings.AI_EMBEDDING_MODEL = "stub-embedding-2"
    assert article_embeddings_sync()["embedded"] == 1
    assert ArticleEmbedding.objects.get().model == "stub-embedding-2"


def test_sync_failure_is_logged_and_retried_next_time(embedding_settings, stub, refund):
    stub.embedding_mode = "500"
    assert article_embeddings_sync()["failed"] == 1
    assert embedding_calls().get().outcome == AIInteraction.Outcome.FAILED
    assert not ArticleEmbedding.objects.exists()

    stub.embedding_mode = "json"
    assert article_embeddings_sync()["embedded"] == 1


def test_sync_over_budget_makes_no_request(embedding_settings, stub, refund):
    embedding_settings.AI_MONTHLY_BUDGET_USD = "0"
    assert article_embeddings_sync()["failed"] == 1
    assert embedding_calls().get().outcome == AIInteraction.Outcome.SKIPPED_BUDGET
    assert stub.embedding_requests == []


def test_sync_is_off_without_an_embedding_model(ai_settings, stub, refund):
    assert article_embeddings_sync()["embedded"] == 0
    assert stub.embedding_requests == [] and not ArticleEmbedding.objects.exists()


def test_publishing_or_editing_queues_the_article(
    embedding_settings, stub, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        article = article_create(title="Refund rules", body="A refund.", published=True)
    assert ArticleEmbedding.objects.filter(article=article).exists()

    with django_capture_on_commit_callbacks(execute=True):
        article_update(article=article, body="A refund, paid in days.")
    stored = ArticleEmbedding.objects.get(article=article)
    assert stored.text_hash == embeddings.text_hash(embeddings.article_text(article))


def test_the_sync_is_scheduled_every_15_minutes():
    entry = next(s for s in SCHEDULES if s["name"] == "helpdesk:knowledge-embedding-sync")
    assert entry["func"] == "knowledge.tasks.article_embeddings_sync"
    assert (entry["schedule_type"], entry["minutes"]) == ("I", 15)


# Blended search -------------------------------------------------------------------------


def test_a_semantically_close_article_ranks_in(embedding_settings, stub, refund, password):
    article_embeddings_sync()

    assert article_search(query="reimbursement", semantic=False) == []
    results = article_search(query="reimbursement")

    assert [a.slug for a in results] == ["refund-rules"]
    assert results[0].similarity >= 0.4 and results[0].text_rank == 0.0
    query_call = embedding_calls().order_by("-id").first()
    assert "reimbursement" in query_call.prompt


def test_a_full_text_match_still_comes_first(embedding_settings, stub, refund, password):
    article_embeddings_sync()

    results = article_search(query="password")

    assert results[0].slug == "reset-password"
    assert "refund-rules" not in [a.slug for a in results]  # not close, no shared word
    assert 0 < results[0].rank <= 1


def test_without_vectors_the_search_is_full_text_alone(embedding_settings, stub, refund):
    assert article_search(query="reimbursement") == []
    assert [a.slug for a in article_search(query="refund")] == ["refund-rules"]
    assert stub.embedding_requests == []  # nothing embedded yet: the query is not embedded


@pytest.mark.parametrize("mode", ["500", "sleep"])
def test_a_query_embedding_fault_falls_back_to_full_text(
    embedding_settings, stub, refund, monkeypatch, mode
):
    article_embeddings_sync()
    monkeypatch.setattr(embeddings, "QUERY_DEADLINE_SECONDS", 0.2)
    stub.sleep_seconds = 0.6
    stub.embedding_mode = mode

    plain = [a.slug for a in article_search(query="refund", semantic=False)]
    assert [a.slug for a in article_search(query="refund")] == plain == ["refund-rules"]
    assert article_search(query="reimbursement") == []
    failed = embedding_calls().filter(outcome=AIInteraction.Outcome.FAILED)
    assert failed.count() == 2


def test_semantic_search_is_off_without_the_model(ai_settings, stub, refund):
    ArticleEmbedding.objects.create(
        article=refund, model="", text_hash="x", dimensions=1, vector=b"\0\0\0\0"
    )
    assert article_search(query="reimbursement") == []
    assert stub.embedding_requests == []


@pytest.mark.parametrize(
    "query",
    ["", "   ", "!!!", "\x00refund", 'refund" OR "x', "NEAR(refund)", "refund*", "a" * 5000],
)
def test_hostile_input_is_safe_with_semantic_search(embedding_settings, stub, refund, query):
    article_embeddings_sync()
    results = article_search(query=query)
    assert isinstance(results, list)
    assert all(a.published for a in results)


def test_punctuation_only_makes_no_model_call(embedding_settings, stub, refund):
    article_embeddings_sync()
    before = len(stub.embedding_requests)
    assert article_search(query="?!* ()") == []
    assert len(stub.embedding_requests) == before


def test_drafts_never_appear_even_with_a_stored_vector(embedding_settings, stub, refund):
    article_embeddings_sync()
    article_unpublish(article=refund)  # the vector stays until the next sync
    assert article_search(query="reimbursement") == []
    assert [a.slug for a in article_search(query="reimbursement", published_only=False)] == [
        "refund-rules"
    ]


def test_portal_suggestions_find_the_close_article(embedding_settings, stub, refund, password):
    article_embeddings_sync()
    found = portal_article_suggestions(query="Asking for a reimbursement")
    assert [a.slug for a in found] == ["refund-rules"]


def test_query_count_of_a_blended_search(
    embedding_settings, stub, refund, password, django_assert_max_num_queries
):
    article_embeddings_sync()
    # vectors, the budget check, the provider's breaker, the logged call, the alert check's
    # spend, the full text (two on SQLite), the articles found by vector alone.
    with django_assert_max_num_queries(9 if connection.vendor == "sqlite" else 8):
        article_search(query="reimbursement refund")
