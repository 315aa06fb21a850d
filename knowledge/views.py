"""The public help center at /kb/: search, categories, articles and "was this helpful?".

Anyone may read published articles; drafts 404 here and are previewed in the admin. Views
read through `knowledge.selectors`, write through `knowledge.services` and render.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from knowledge import selectors, services

SEARCH_RESULTS = 20


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@require_GET
def home(request: HtmxHttpRequest) -> HttpResponse:
    return render(
        request,
        "kb/home.html",
        {
            "categories": selectors.kb_categories(),
            "popular": selectors.popular_articles(),
        },
    )


@require_GET
def search(request: HtmxHttpRequest) -> HttpResponse:
    """Results for ?q=. A live-search HTMX request gets only the results region."""
    query = request.GET.get("q", "").strip()[: selectors.MAX_QUERY_CHARS]
    results = selectors.article_search(query=query, limit=SEARCH_RESULTS) if query else []
    template = "kb/search.html"
    if request.htmx:
        template += "#results"
    return render(request, template, {"query": query, "results": results})


@require_GET
def category(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    category, articles = selectors.kb_category(slug=slug)
    return render(request, "kb/category.html", {"category": category, "articles": articles})


@require_GET
def article(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    article = selectors.article_for_public(slug=slug)
    services.article_record_view(article=article)
    voted = _voted_articles(request)
    return render(
        request,
        "kb/article.html",
        {"article": article, "voted": article.pk in voted},
    )


@require_POST
def vote(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Record a helpful / not helpful answer, once per session, and show thanks."""
    article = selectors.article_for_public(slug=slug)
    helpful = request.POST.get("helpful") == "yes"
    if not request.session.session_key:
        request.session.save()
    services.article_vote(article=article, helpful=helpful, session_key=request.session.session_key)
    voted = _voted_articles(request)
    voted.add(article.pk)
    request.session["kb_voted"] = sorted(voted)
    template = "kb/article.html"
    if request.htmx:
        template += "#feedback"
    return render(request, template, {"article": article, "voted": True})


def _voted_articles(request: HttpRequest) -> set[int]:
    return set(request.session.get("kb_voted", []))
