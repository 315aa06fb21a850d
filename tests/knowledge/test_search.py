"""Article search. Runs on SQLite (FTS5) by default and on PostgreSQL in CI."""

import pytest
from django.db import connection

from knowledge.selectors import article_search, fts5_match_expression
from knowledge.services import article_create, article_update

pytestmark = pytest.mark.django_db

HOSTILE = [
    '"',
    '""',
    "*",
    "refund*",
    "NEAR(",
    "NEAR(refund annual, 2)",
    "OR",
    "refund OR",
    "AND NOT",
    "-",
    "--",
    "title:",
    "title:refund",
    "{title summary}: refund",
    "^refund",
    "'); DROP TABLE knowledge_article; --",
    "refund\x00annual",
    "remboursement annulé ünïcödé 日本語 ☃ 🙂",
    "(",
    ")",
    "\\",
    "%_",
    "a" * 500,
    "refund " * 100,
    " ",
    "!!! ??? ...",
]


@pytest.fixture
def articles():
    refund = article_create(
        title="How refunds work",
        summary="Money back on cancelled plans.",
        body="We return the unused part of a monthly plan within five days.",
        published=True,
    )
    annual = article_create(
        title="Annual plans",
        summary="Paying once a year.",
        body="An annual plan can get a refund in the first thirty days.",
        published=True,
    )
    draft = article_create(
        title="Refund secrets draft",
        summary="Not ready.",
        body="Refund refund refund.",
        published=False,
    )
    return refund, annual, draft


def test_title_match_ranks_above_body_match(articles):
    refund, annual, _ = articles
    results = article_search(query="refund")
    assert [a.pk for a in results] == [refund.pk, annual.pk]
    assert results[0].rank > results[1].rank


def test_never_returns_unpublished_by_default(articles):
    *_, draft = articles
    assert draft.pk not in [a.pk for a in article_search(query="secrets")]
    assert [a.pk for a in article_search(query="secrets", published_only=False)] == [draft.pk]


def test_stemming_matches_plural(articles):
    refund, *_ = articles
    assert refund.pk in [a.pk for a in article_search(query="refunds")]


def test_all_terms_must_match(articles):
    _, annual, _ = articles
    assert [a.pk for a in article_search(query="refund thirty")] == [annual.pk]


def test_limit(articles):
    assert len(article_search(query="refund", limit=1)) == 1
    assert article_search(query="refund", limit=0) == []


def test_index_follows_edits(articles):
    refund, *_ = articles
    article_update(article=refund, title="Getting money back", body="Chargebacks explained.")
    assert refund.pk not in [a.pk for a in article_search(query="monthly")]
    assert [a.pk for a in article_search(query="chargebacks")] == [refund.pk]
    refund.delete()
    assert article_search(query="chargebacks") == []


@pytest.mark.parametrize("query", ["", "   ", '"', "-", "*", "!!! ??? ..."])
def test_empty_or_punctuation_query_gives_nothing(articles, query):
    assert article_search(query=query) == []


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_input_never_errors_or_leaks_drafts(articles, query):
    *_, draft = articles
    results = article_search(query=query)
    assert draft.pk not in [a.pk for a in results]


def test_fts5_expression_quotes_every_term():
    assert fts5_match_expression('refund "annual" OR NEAR(x') == '"refund" "annual" "OR" "NEAR(x"'
    assert fts5_match_expression("title:refund -x") == '"title:refund" "-x"'
    assert fts5_match_expression('"" * -') == ""


@pytest.mark.postgres
def test_websearch_syntax_on_postgresql(articles):
    if connection.vendor != "postgresql":
        pytest.skip("websearch syntax is PostgreSQL's")
    refund, annual, _ = articles
    assert [a.pk for a in article_search(query="refund -annual")] == [refund.pk]
    assert [a.pk for a in article_search(query='"annual plan"')] == [annual.pk]
    assert [a.pk for a in article_search(query="chargeback or thirty")] == [annual.pk]
