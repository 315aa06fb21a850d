"""Reads for the knowledge base: canned responses scoped to what an agent may use on a
ticket, and help-center articles with their full-text search.

Article search is one selector over two engines. PostgreSQL ranks a weighted tsvector (title A,
summary B, body C) against `websearch_to_tsquery`, backed by the GIN expression index of
migration 0003. SQLite queries the FTS5 table of the same migration, ordered by bm25 with the
title weighted highest. On SQLite every user term is quoted, so no FTS syntax gets through;
`websearch_to_tsquery` never raises on any input. The raw SQL lives here and is parameterised.
"""

import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.http import Http404

from agents.permissions import is_agent
from knowledge.models import Article, AutoAnswer, CannedResponse, Deflection, PortalFiling
from tickets.models import Category, Ticket

SEARCH_LIMIT = 10


def ticket_for_composer(*, agent, reference: str) -> Ticket:
    """The ticket with what placeholders read (customer, organization, category), or 404.
    Lighter than the ticket page's selector: no conversation or audit trail."""
    if not is_agent(agent):
        raise Http404
    try:
        return Ticket.objects.select_related("customer__organization", "category").get(
            reference=reference
        )
    except Ticket.DoesNotExist:
        raise Http404 from None


def _for_ticket(ticket: Ticket) -> QuerySet[CannedResponse]:
    """Active responses for the ticket's category and those for any category."""
    scope = Q(category__isnull=True)
    if ticket.category_id:
        scope |= Q(category_id=ticket.category_id)
    return CannedResponse.objects.filter(scope, active=True).select_related("category")


def canned_responses_for_ticket(
    *, agent, ticket: Ticket, query: str = "", limit: int = SEARCH_LIMIT
) -> list[CannedResponse]:
    """Active responses an agent may use on `ticket` matching `query` (name, slug or text),
    the ticket's own category first, then the general ones, each by name. One query."""
    if not is_agent(agent):
        return []
    qs = _for_ticket(ticket)
    for word in (query or "").split()[:5]:
        qs = qs.filter(
            Q(name__icontains=word) | Q(slug__icontains=word) | Q(content__icontains=word)
        )
    qs = qs.annotate(
        general=Case(
            When(category__isnull=True, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    ).order_by("general", "name", "id")
    return list(qs[:limit])


def canned_response_for_ticket(*, agent, ticket: Ticket, pk: int) -> CannedResponse:
    """One active response usable on `ticket`, or 404."""
    if not is_agent(agent):
        raise Http404
    try:
        return _for_ticket(ticket).get(pk=pk)
    except CannedResponse.DoesNotExist:
        raise Http404 from None


# Search input beyond these is ignored: a query is a few words, not a document.
MAX_QUERY_CHARS = 200
MAX_QUERY_TERMS = 12
# Control characters (NUL among them, which PostgreSQL refuses in text) are dropped.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# bm25 weights for the FTS5 columns (title, summary, body): a title hit counts most.
_FTS_SEARCH = """
    SELECT a.id, bm25(knowledge_article_fts, 10.0, 4.0, 1.0) AS score
    FROM knowledge_article_fts
    JOIN knowledge_article AS a ON a.id = knowledge_article_fts.rowid
    WHERE knowledge_article_fts MATCH %s AND (a.published OR %s)
    ORDER BY score, a.id
    LIMIT %s
"""


def _clean_query(query: str) -> str:
    return _CONTROL.sub(" ", query or "")[:MAX_QUERY_CHARS].strip()


def fts5_match_expression(query: str) -> str:
    """The FTS5 MATCH string for `query`: each whitespace-separated term stripped of double
    quotes and wrapped in them, so operators (OR, NOT, NEAR, *, ^, column:) are plain words.
    Terms without a letter or digit are dropped. "" when nothing is left."""
    terms = []
    for raw in _clean_query(query).split():
        term = raw.replace('"', "")
        if any(ch.isalnum() for ch in term):
            terms.append(f'"{term}"')
        if len(terms) == MAX_QUERY_TERMS:
            break
    return " ".join(terms)


def _search_postgresql(query: str, limit: int, published_only: bool) -> list[Article]:
    vector = (
        SearchVector("title", weight="A", config="english")
        + SearchVector("summary", weight="B", config="english")
        + SearchVector("body", weight="C", config="english")
    )
    search_query = SearchQuery(query, search_type="websearch", config="english")
    qs = Article.objects.select_related("category").alias(document=vector)
    if published_only:
        qs = qs.filter(published=True)
    qs = (
        qs.filter(document=search_query)
        .annotate(rank=SearchRank(vector, search_query))
        .order_by("-rank", "id")
    )
    return list(qs[:limit])


def _search_sqlite(query: str, limit: int, published_only: bool) -> list[Article]:
    expression = fts5_match_expression(query)
    if not expression:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_FTS_SEARCH, [expression, not published_only, limit])
        scores = dict(cursor.fetchall())
    if not scores:
        return []
    articles = Article.objects.select_related("category").in_bulk(list(scores))
    results = []
    for pk, score in scores.items():  # the dict keeps the bm25 order
        article = articles.get(pk)
        if article is None:  # deleted between the two reads
            continue
        article.rank = -score  # bm25 is lower-is-better; rank is higher-is-better
        results.append(article)
    return results


def _full_text_search(query: str, limit: int, published_only: bool) -> list[Article]:
    if connection.vendor == "postgresql":
        return _search_postgresql(query, limit, published_only)
    return _search_sqlite(query, limit, published_only)


# Semantic blending (knowledge.embeddings): score = TEXT_WEIGHT × rank / best rank among the
# full-text hits (0 for an article found by its vector alone) + VECTOR_WEIGHT × cosine
# similarity (negative counts as 0). An article the full text did not find joins only when its
# similarity is at least SEMANTIC_MIN_SIMILARITY. Full-text hits considered: SEMANTIC_POOL.
TEXT_WEIGHT = 0.5
VECTOR_WEIGHT = 0.5
SEMANTIC_MIN_SIMILARITY = 0.4
SEMANTIC_POOL = 50


def _blend(
    query: str, limit: int, published_only: bool, vectors: dict, query_vector
) -> list[Article]:
    from knowledge.embeddings import cosine

    text_hits = _full_text_search(query, max(limit, SEMANTIC_POOL), published_only)
    best = max((a.rank for a in text_hits if a.rank > 0), default=0)
    text_score = {a.pk: (a.rank / best if best else 0.0) for a in text_hits}
    similarity = {pk: cosine(query_vector, vector) for pk, vector in vectors.items()}
    candidates = set(text_score) | {
        pk for pk, value in similarity.items() if value >= SEMANTIC_MIN_SIMILARITY
    }
    scores = {
        pk: TEXT_WEIGHT * text_score.get(pk, 0.0)
        + VECTOR_WEIGHT * max(similarity.get(pk, 0.0), 0.0)
        for pk in candidates
    }
    top = sorted(candidates, key=lambda pk: (-scores[pk], pk))[:limit]
    known = {a.pk: a for a in text_hits}
    missing = [pk for pk in top if pk not in known]
    if missing:
        qs = Article.objects.select_related("category")
        if published_only:
            qs = qs.filter(published=True)
        known.update(qs.in_bulk(missing))
    results = []
    for pk in top:
        article = known.get(pk)
        if article is None:  # unpublished or deleted since it was embedded
            continue
        article.text_rank = getattr(article, "rank", 0.0)
        article.similarity = similarity.get(pk)
        article.rank = scores[pk]
        results.append(article)
    return results


def _semantic_search(query: str, limit: int, published_only: bool) -> list[Article] | None:
    """The blended results, or None when semantic search is off, nothing is embedded yet or
    the query could not be embedded (the fault is logged): full-text alone then."""
    from knowledge import embeddings

    if not embeddings.embeddings_enabled():
        return None
    vectors = embeddings.stored_vectors(published_only=published_only)
    if not vectors:
        return None
    query_vector = embeddings.query_vector(query)
    if query_vector is None:
        return None
    return _blend(query, limit, published_only, vectors, query_vector)


def article_search(
    *, query: str, limit: int = 10, published_only: bool = True, semantic: bool = True
) -> list[Article]:
    """Articles matching `query`, best first, each with a `rank` (higher is better) and its
    category joined. Any input is safe: empty or punctuation-only queries give [], never an
    error. Two queries at most with full text alone.

    With semantic search on and articles embedded (knowledge.embeddings), the query is
    embedded too (one logged model call, short timeout) and the vector similarity is blended
    with the full-text rank (see TEXT_WEIGHT): an article may then match without sharing a
    word with the query. Any fault there gives the full-text results, exactly as when off.
    `semantic=False` keeps full text alone, for callers that need every word to match."""
    query = _clean_query(query)
    if not query or limit <= 0 or not fts5_match_expression(query):
        return []
    if semantic:
        blended = _semantic_search(query, limit, published_only)
        if blended is not None:
            return blended
    return _full_text_search(query, limit, published_only)


def published_articles() -> QuerySet[Article]:
    return Article.objects.filter(published=True).select_related("category")


def article_for_public(*, slug: str) -> Article:
    """A published article by slug, or 404 (drafts are previewed in the admin)."""
    try:
        return published_articles().get(slug=slug)
    except Article.DoesNotExist:
        raise Http404 from None


def kb_categories() -> list[Category]:
    """Categories with at least one published article, each with `article_count`."""
    return list(
        Category.objects.annotate(
            article_count=Count("articles", filter=Q(articles__published=True))
        )
        .filter(article_count__gt=0)
        .order_by("name")
    )


def kb_category(*, slug: str) -> tuple[Category, list[Article]]:
    """A category and its published articles by title, or 404 when it has none."""
    try:
        category = Category.objects.get(slug=slug)
    except Category.DoesNotExist:
        raise Http404 from None
    articles = list(published_articles().filter(category=category).order_by("title"))
    if not articles:
        raise Http404
    return category, articles


def popular_articles(*, limit: int = 6) -> list[Article]:
    return list(published_articles().order_by("-view_count", "title")[:limit])


# Self-service deflection on the portal form -------------------------------------------------

SUGGESTION_MIN_TERM = 4  # shorter words ("my", "the", "can") say little about the problem
SUGGESTION_MAX_TERMS = 4


def portal_article_suggestions(*, query: str, limit: int = 5) -> list[Article]:
    """Published articles for the subject a customer is typing, best first.

    `article_search` wants every word to match, which a whole subject ("Cannot download my
    invoice") rarely does; so when it finds fewer than `limit`, the longer words are searched
    one by one and their hits follow, those matching more words first. Drafts never appear,
    whatever the search returns. At most 2 + 2 × SUGGESTION_MAX_TERMS queries."""
    found: dict[int, Article] = {}
    for article in article_search(query=query, limit=limit):
        found.setdefault(article.pk, article)
    if len(found) < limit:
        terms = [word for word in _clean_query(query).split() if len(word) >= SUGGESTION_MIN_TERM]
        hits: dict[int, int] = {}
        extra: dict[int, Article] = {}
        for term in list(dict.fromkeys(terms))[:SUGGESTION_MAX_TERMS]:
            for article in article_search(query=term, limit=limit, semantic=False):
                if article.pk in found:
                    continue
                hits[article.pk] = hits.get(article.pk, 0) + 1
                extra.setdefault(article.pk, article)
        ranked = sorted(extra.values(), key=lambda a: (-hits[a.pk], -a.rank, a.pk))
        for article in ranked:
            found.setdefault(article.pk, article)
    return [article for article in found.values() if article.published][:limit]


def portal_article_for_deflection(*, pk: int) -> Article:
    """A published article a portal customer may say answered them, or 404."""
    try:
        return Article.objects.get(pk=pk, published=True)
    except Article.DoesNotExist:
        raise Http404 from None


def deflection_rate(*, since, until) -> dict:
    """Self-service on the portal form in [since, until): questions answered by an article
    (`deflections`), tickets filed from the form (`filed`), and `rate` = deflections /
    (deflections + filed), a fraction between 0 and 1, or None when both are 0. Two queries."""
    deflections = Deflection.objects.filter(created_at__gte=since, created_at__lt=until).count()
    filed = PortalFiling.objects.filter(created_at__gte=since, created_at__lt=until).count()
    total = deflections + filed
    return {
        "deflections": deflections,
        "filed": filed,
        "rate": deflections / total if total else None,
    }


@dataclass(frozen=True)
class AutoAnswerMarks:
    """How the portal marks a ticket's automatic answers, by message id: `open_ids` were sent
    automatically and the customer may still say they did not help; `checked_ids` were
    drafted automatically and sent by an agent who approved or edited them."""

    open_ids: frozenset[int]
    checked_ids: frozenset[int]


def auto_answer_marks(*, ticket: Ticket) -> AutoAnswerMarks:
    """The ticket's automatic answers the customer received, by message id. One query."""
    Status = AutoAnswer.Status
    rows = AutoAnswer.objects.filter(
        ticket=ticket,
        status__in=[Status.SENT, Status.APPROVED, Status.EDITED],
        message__isnull=False,
    ).values_list("message_id", "status")
    rows = list(rows)
    return AutoAnswerMarks(
        open_ids=frozenset(pk for pk, status in rows if status == Status.SENT),
        checked_ids=frozenset(pk for pk, status in rows if status != Status.SENT),
    )


def auto_answer_message_ids(*, ticket: Ticket) -> set[int]:
    """The ticket's automatic answers the customer may still say did not help (sent, not yet
    flagged), by message id. One query."""
    return set(auto_answer_marks(ticket=ticket).open_ids)
