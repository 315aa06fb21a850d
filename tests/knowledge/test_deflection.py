"""Self-service deflection on the portal form: suggested articles while the subject is typed,
"This answered my question", the filing count and the deflection rate."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from knowledge.models import Deflection, PortalFiling
from knowledge.selectors import deflection_rate, portal_article_suggestions
from knowledge.services import article_create, deflection_record, portal_filing_record
from tests.factories import TicketFactory
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
SUGGESTIONS = "/portal/suggestions/"


def helpful_url(article) -> str:
    return f"/portal/suggestions/{article.pk}/helpful/"


@pytest.fixture
def invoice_article():
    return article_create(
        title="Download an invoice",
        slug="download-invoice",
        summary="Where to find your invoices as PDF.",
        body="Open Billing, then Invoices, and choose Download PDF.",
        published=True,
    )


@pytest.fixture
def draft_article():
    return article_create(
        title="Invoice download outage (internal draft)",
        slug="invoice-outage-draft",
        body="Draft notes about the invoice download outage.",
    )


# Suggestions --------------------------------------------------------------------------------


def test_suggestions_list_matching_published_articles_only(client, invoice_article, draft_article):
    response = client.get(SUGGESTIONS, {"q": "invoice download"}, **HTMX)

    assert response.status_code == 200
    content = response.content.decode()
    assert "Download an invoice" in content
    assert "Where to find your invoices as PDF." in content
    assert 'href="/kb/download-invoice/" target="_blank" rel="noopener"' in content
    assert f'hx-post="{helpful_url(invoice_article)}"' in content
    assert "This answered my question" in content
    assert "internal draft" not in content
    assert "<html" not in content  # the partial, not the page


def test_suggestions_read_the_forms_subject_field_too(client, invoice_article):
    response = client.get(SUGGESTIONS, {"subject": "Cannot download my invoice"}, **HTMX)

    assert "Download an invoice" in response.content.decode()


def test_a_whole_subject_finds_articles_matching_some_of_its_words():
    article_create(title="Reset your password", body="Use the reset link.", published=True)
    article_create(title="Change your email", body="Open your profile.", published=True)

    found = portal_article_suggestions(query="I forgot my password yesterday", limit=5)

    assert [article.title for article in found] == ["Reset your password"]


def test_suggestions_are_capped_at_five(client):
    for n in range(7):
        article_create(title=f"Refund question {n}", body="About refunds.", published=True)

    response = client.get(SUGGESTIONS, {"q": "refund"}, **HTMX)

    assert response.content.decode().count("This answered my question") == 5


@pytest.mark.parametrize("query", ["", "in", "  in  ", "ab"])
def test_a_short_query_gives_an_empty_box(client, invoice_article, query):
    response = client.get(SUGGESTIONS, {"q": query}, **HTMX)

    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="portal-suggestions"' in content
    assert "hidden" in content
    assert "This answered my question" not in content


def test_a_huge_query_is_cut_to_200_characters(client, invoice_article):
    response = client.get(SUGGESTIONS, {"q": "invoice " + "x" * 5000}, **HTMX)

    assert response.status_code == 200


def test_no_match_gives_an_empty_box(client, invoice_article):
    response = client.get(SUGGESTIONS, {"q": "kangaroo"}, **HTMX)

    assert "This answered my question" not in response.content.decode()


# "This answered my question" ----------------------------------------------------------------


def test_helpful_records_one_deflection_per_session_and_article(client, invoice_article):
    data = {"subject": "Cannot download my invoice", "email": "ada@example.com"}

    first = client.post(helpful_url(invoice_article), data, **HTMX)
    second = client.post(helpful_url(invoice_article), data, **HTMX)

    assert first.status_code == second.status_code == 200
    assert "Glad that helped — no ticket needed." in first.content.decode()
    assert "Still stuck? Send the form anyway." in first.content.decode()
    deflection = Deflection.objects.get()
    assert deflection.article == invoice_article
    assert deflection.query == "Cannot download my invoice"
    assert deflection.email == "ada@example.com"
    assert deflection.session_key == client.session.session_key
    assert Ticket.objects.count() == 0
    assert PortalFiling.objects.count() == 0


def test_another_session_counts_again(client, invoice_article):
    client.post(helpful_url(invoice_article), {"subject": "invoice"}, **HTMX)
    Client().post(helpful_url(invoice_article), {"subject": "invoice"}, **HTMX)

    assert Deflection.objects.count() == 2


def test_helpful_keeps_no_invalid_email(client, invoice_article):
    client.post(helpful_url(invoice_article), {"subject": "invoice", "email": "nope"}, **HTMX)

    assert Deflection.objects.get().email == ""


def test_helpful_refuses_a_draft_article(client, draft_article):
    response = client.post(helpful_url(draft_article), {"subject": "invoice"}, **HTMX)

    assert response.status_code == 404
    assert Deflection.objects.count() == 0


def test_helpful_needs_post_and_a_csrf_token(invoice_article):
    strict = Client(enforce_csrf_checks=True)
    assert strict.get(helpful_url(invoice_article)).status_code == 405
    assert strict.post(helpful_url(invoice_article), {"subject": "x"}).status_code == 403
    assert Deflection.objects.count() == 0


def test_helpful_without_javascript_redirects_to_the_form_with_a_message(client, invoice_article):
    response = client.post(helpful_url(invoice_article), {"subject": "invoice"}, follow=True)

    assert response.redirect_chain[-1][0] == "/portal/"
    assert "Glad that helped" in response.content.decode()
    assert Deflection.objects.count() == 1


# Services -----------------------------------------------------------------------------------


def test_deflection_record_is_idempotent_and_caps_the_query(invoice_article):
    first = deflection_record(article=invoice_article, query="q" * 500, session_key="s1")
    again = deflection_record(article=invoice_article, query="other", session_key="s1")

    assert first.pk == again.pk
    assert len(first.query) == 200
    assert Deflection.objects.count() == 1


def test_deflection_record_refuses_drafts(draft_article):
    with pytest.raises(ValidationError):
        deflection_record(article=draft_article, query="invoice", session_key="s1")


def test_portal_filing_record_is_idempotent_per_ticket(ticket):
    first = portal_filing_record(ticket=ticket, session_key="s1")
    again = portal_filing_record(ticket=ticket, session_key="s2")

    assert first.pk == again.pk
    assert PortalFiling.objects.get().session_key == "s1"


# The rate -----------------------------------------------------------------------------------


def test_deflection_rate_is_none_without_any_activity():
    now = timezone.now()

    assert deflection_rate(since=now - timedelta(days=7), until=now) == {
        "deflections": 0,
        "filed": 0,
        "rate": None,
    }


def test_deflection_rate_counts_deflections_against_filings_in_the_window(
    invoice_article, customer
):
    for n in range(3):
        deflection_record(article=invoice_article, query="invoice", session_key=f"s{n}")
    tickets = [TicketFactory(customer=customer) for _ in range(2)]
    for n, ticket in enumerate(tickets):
        portal_filing_record(ticket=ticket, session_key=f"f{n}")
    # One of each outside the window.
    old = timezone.now() - timedelta(days=30)
    Deflection.objects.filter(session_key="s0").update(created_at=old)
    PortalFiling.objects.filter(ticket=tickets[0]).update(created_at=old)
    now = timezone.now()

    assert deflection_rate(since=now - timedelta(days=7), until=now + timedelta(seconds=1)) == {
        "deflections": 2,
        "filed": 1,
        "rate": pytest.approx(2 / 3),
    }
    everything = deflection_rate(since=old - timedelta(days=1), until=now + timedelta(seconds=1))
    assert everything["rate"] == pytest.approx(3 / 5)


def test_only_deflections_give_a_rate_of_one(invoice_article):
    deflection_record(article=invoice_article, query="invoice", session_key="s1")
    now = timezone.now()

    result = deflection_rate(since=now - timedelta(days=1), until=now + timedelta(seconds=1))

    assert result == {"deflections": 1, "filed": 0, "rate": 1.0}
