import pytest
from django.core.exceptions import ValidationError

from common.exceptions import ApplicationError
from knowledge.models import Article, ArticleVote
from knowledge.services import (
    article_create,
    article_publish,
    article_record_view,
    article_unpublish,
    article_update,
    article_vote,
)
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


def test_create_renders_markdown_and_slugifies_title():
    article = article_create(title="Reset your password", body="Click **Forgot password**.")
    assert article.slug == "reset-your-password"
    assert "<strong>Forgot password</strong>" in article.body_html
    assert article.published is False
    assert article.published_at is None


def test_body_html_never_contains_script():
    article = article_create(
        title="Hostile",
        body="<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)>",
    )
    assert "<script" not in article.body_html
    assert 'href="javascript' not in article.body_html
    assert "<img" not in article.body_html


def test_update_re_renders_body_and_normalises_tags():
    article = article_create(title="Invoices", body="old")
    article_update(article=article, body="# New", tags=["Billing", "billing", "VAT rules"])
    article.refresh_from_db()
    assert article.body_html.strip() == "<h1>New</h1>"
    assert article.tags == ["billing", "vat-rules"]


def test_update_refuses_counters():
    article = article_create(title="Invoices", body="x")
    with pytest.raises(ApplicationError):
        article_update(article=article, view_count=1000)


def test_duplicate_slug_is_a_validation_error():
    article_create(title="Same", body="x")
    with pytest.raises(ValidationError):
        article_create(title="Same", body="y")


def test_publish_sets_date_once_and_unpublish_keeps_it():
    article = article_create(title="A", body="x", category=CategoryFactory())
    article_publish(article=article)
    first = article.published_at
    assert article.published and first is not None
    article_unpublish(article=article)
    article_publish(article=article)
    article.refresh_from_db()
    assert article.published and article.published_at == first


def test_record_view_increments():
    article = article_create(title="A", body="x", published=True)
    article_record_view(article=article)
    article_record_view(article=article)
    article.refresh_from_db()
    assert article.view_count == 2


def test_one_vote_per_session():
    article = article_create(title="A", body="x", published=True)
    assert article_vote(article=article, helpful=True, session_key="s1") is True
    assert article_vote(article=article, helpful=False, session_key="s1") is False
    assert article_vote(article=article, helpful=False, session_key="s2") is True
    article.refresh_from_db()
    assert (article.helpful_count, article.not_helpful_count) == (1, 1)
    assert ArticleVote.objects.count() == 2
    assert article.helpful_percent == 50


def test_vote_needs_a_session():
    article = article_create(title="A", body="x", published=True)
    with pytest.raises(ApplicationError):
        article_vote(article=article, helpful=True, session_key="")
    assert not Article.objects.get(pk=article.pk).helpful_count


def test_seed_demo_adds_published_articles_once():
    from io import StringIO

    from django.core.management import call_command

    call_command("seed_demo", "--tickets", "0", stdout=StringIO())
    call_command("seed_demo", "--tickets", "0", stdout=StringIO())
    articles = Article.objects.filter(published=True)
    assert articles.count() == Article.objects.count() >= 12
    assert set(articles.values_list("category__slug", flat=True)) == {
        "billing",
        "bug",
        "onboarding",
        "feature_help",
        "security",
        "data_loss",
    }
    assert all(article.body_html for article in articles)
