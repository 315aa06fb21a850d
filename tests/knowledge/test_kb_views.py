import pytest
from django.urls import reverse

from knowledge.services import article_create
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def billing():
    return CategoryFactory(slug="billing", name="Billing", prefix="BIL")


@pytest.fixture
def published(billing):
    return article_create(
        title="How refunds work",
        summary="Money back on cancelled plans.",
        body="We refund **unused** time.\n\n<script>alert(1)</script>",
        category=billing,
        published=True,
    )


@pytest.fixture
def draft(billing):
    return article_create(title="Refund draft", body="Secret refund plans.", category=billing)


def test_home_lists_categories_with_counts(client, published, draft):
    response = client.get(reverse("kb:home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Billing" in body
    assert "1 article<" in body
    assert 'action="/kb/search/"' in body


def test_article_page_renders_body_and_counts_view(client, published):
    response = client.get(reverse("kb:article", args=[published.slug]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<strong>unused</strong>" in body
    assert "<script>alert(1)</script>" not in body
    assert "Was this helpful?" in body
    published.refresh_from_db()
    assert published.view_count == 1


def test_draft_and_unknown_articles_404(client, draft):
    assert client.get(reverse("kb:article", args=[draft.slug])).status_code == 404
    assert client.get(reverse("kb:article", args=["nope"])).status_code == 404
    assert client.post(reverse("kb:vote", args=[draft.slug]), {"helpful": "yes"}).status_code == 404


def test_category_page(client, published, draft):
    response = client.get(reverse("kb:category", args=["billing"]))
    assert response.status_code == 200
    assert "How refunds work" in response.content.decode()
    assert "Refund draft" not in response.content.decode()
    assert client.get(reverse("kb:category", args=["nope"])).status_code == 404


def test_search_page_without_js(client, published, draft):
    response = client.get(reverse("kb:search"), {"q": "refund"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "How refunds work" in body
    assert "Money back on cancelled plans." in body
    assert "Refund draft" not in body
    assert "<html" in body


def test_search_htmx_gets_results_partial(client, published):
    response = client.get(reverse("kb:search"), {"q": "refund"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "How refunds work" in body
    assert 'id="kb-results"' in body
    assert "<html" not in body


@pytest.mark.parametrize("q", ['"', "NEAR(", "title:", "'); DROP TABLE", "x" * 500, ""])
def test_search_page_survives_hostile_queries(client, published, draft, q):
    response = client.get(reverse("kb:search"), {"q": q})
    assert response.status_code == 200
    assert "Refund draft" not in response.content.decode()


def test_search_page_query_count(client, published, django_assert_max_num_queries):
    for n in range(5):
        article_create(title=f"Refund case {n}", body="refund", published=True)
    with django_assert_max_num_queries(4):
        response = client.get(reverse("kb:search"), {"q": "refund"})
    assert response.status_code == 200


def test_vote_once_per_session_with_htmx(client, published):
    url = reverse("kb:vote", args=[published.slug])
    response = client.post(url, {"helpful": "yes"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Thanks for your feedback" in response.content.decode()
    assert "<html" not in response.content.decode()
    client.post(url, {"helpful": "no"})
    published.refresh_from_db()
    assert (published.helpful_count, published.not_helpful_count) == (1, 0)
    page = client.get(reverse("kb:article", args=[published.slug])).content.decode()
    assert "Thanks for your feedback" in page


def test_vote_needs_csrf(published):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("kb:vote", args=[published.slug]), {"helpful": "yes"})
    assert response.status_code == 403


def test_vote_requires_post(client, published):
    assert client.get(reverse("kb:vote", args=[published.slug])).status_code == 405


def test_base_nav_links_help_center(client):
    assert 'href="/kb/"' in client.get(reverse("login")).content.decode()


def test_admin_lists_previews_and_publishes_through_services(client, draft, published):
    from tests.factories import UserFactory

    admin = UserFactory(username="kbadmin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert client.get(reverse("admin:knowledge_article_changelist")).status_code == 200
    change = client.get(reverse("admin:knowledge_article_change", args=[published.pk]))
    assert "<strong>unused</strong>" in change.content.decode()
    response = client.post(
        reverse("admin:knowledge_article_changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.published and draft.published_at is not None
    assert client.get(reverse("kb:article", args=[draft.slug])).status_code == 200
