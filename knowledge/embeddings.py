"""Optional semantic search (seed "knowledge-embedding-sync"): article vectors from the same
OpenAI-compatible client, stored without pgvector, and blended into `article_search`.

On only when the AI is on and `AI_EMBEDDING_MODEL` is set. A background job
(`knowledge.tasks.article_embeddings_sync`, every 15 minutes and queued on commit after an
article is saved) embeds published articles whose text or model changed since their stored
vector (SHA-256 of the embedded text), in batches of `BATCH_SIZE`; each request is one
`AIInteraction` (purpose `embedding`), priced and refused over budget like every model call.

Vectors are L2-normalised float32 values, little-endian, in a BinaryField, so a cosine
similarity is a dot product computed in Python. That is fine for a help center of a few
thousand articles (each search reads every vector of the model); beyond that, pgvector.

Embedding a search query has a `QUERY_DEADLINE_SECONDS` deadline and no retry; any fault is
logged and the search is full-text alone.
"""

import hashlib
import json
import logging
import math
import sys
import time
from array import array

from django.conf import settings
from django.db import transaction

from knowledge.ai import breaker
from knowledge.ai.client import ai_enabled, call_within_deadline
from knowledge.ai.service import (
    MAX_ERROR_LENGTH,
    call_permit,
    check_budget_alerts,
    cost_for,
    log_interrupted_call,
)
from knowledge.models import AIInteraction, Article, ArticleEmbedding

logger = logging.getLogger(__name__)

Outcome = AIInteraction.Outcome
PURPOSE = AIInteraction.Purpose.EMBEDDING

BATCH_SIZE = 16
MAX_TEXT_CHARS = 8000  # well under every embedding model's input limit
QUERY_DEADLINE_SECONDS = 2.0
PROMPT_LOG_CHARS = 300  # per text: enough to see what was embedded


def embedding_model() -> str:
    return (getattr(settings, "AI_EMBEDDING_MODEL", "") or "").strip()


def embeddings_enabled() -> bool:
    return ai_enabled() and bool(embedding_model())


def article_text(article: Article) -> str:
    """What is embedded for an article: title, summary and body (trimmed)."""
    parts = [article.title, article.summary, article.body]
    return "\n\n".join(p.strip() for p in parts if p and p.strip())[:MAX_TEXT_CHARS]


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def pack(vector: list[float]) -> bytes:
    """L2-normalise and store as little-endian float32."""
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    values = array("f", (v / norm for v in vector))
    if sys.byteorder != "little":
        values.byteswap()
    return values.tobytes()


def unpack(data: bytes) -> array:
    values = array("f")
    values.frombytes(bytes(data))
    if sys.byteorder != "little":
        values.byteswap()
    return values


def cosine(a, b) -> float:
    """Both vectors are normalised: the dot product is the cosine similarity."""
    if len(a) != len(b):
        return 0.0
    return math.fsum(x * y for x, y in zip(a, b, strict=True))


def embed_texts(
    texts: list[str], *, deadline: float | None = None, retries: int | None = None
) -> tuple[list[list[float]] | None, AIInteraction]:
    """One embeddings request for `texts` within `deadline` seconds (`AI_DEADLINE_SECONDS`
    when None), logged as one `AIInteraction` (purpose `embedding`): the vectors in order, or
    None on any fault or over budget. Never raises, except what interrupts the call from
    outside, which goes on after the call is logged."""
    model = embedding_model()
    prompt = json.dumps([t[:PROMPT_LOG_CHARS] for t in texts], ensure_ascii=False)
    log = {"purpose": PURPOSE, "model": model, "prompt": prompt}
    skipped, permit = call_permit(log)
    if skipped is not None:
        return None, skipped

    started = time.monotonic()
    input_tokens = 0
    vectors = None
    error = ""
    fault = None
    try:
        result = call_within_deadline(
            lambda client: client.embeddings.create(model=model, input=texts),
            seconds=deadline,
            retries=retries,
        )
        usage = getattr(result, "usage", None)
        if usage is not None:
            input_tokens = int(usage.prompt_tokens or 0)
        ordered = sorted(result.data, key=lambda item: item.index)
        vectors = [list(item.embedding) for item in ordered]
        if len(vectors) != len(texts) or not all(vectors):
            raise ValueError(f"{len(vectors)} vectors for {len(texts)} texts.")
    except Exception as exc:  # noqa: BLE001 - the model is optional; every fault is logged
        vectors = None
        error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]
        logger.warning("Embedding request failed: %s", error)
        fault = exc
    except BaseException as exc:
        log_interrupted_call(log, started=started, exc=exc)
        raise
    breaker.record(fault, permit)
    interaction = AIInteraction.objects.create(
        **log,
        response=f"{len(vectors)} vectors of {len(vectors[0])}" if vectors else "",
        latency_ms=round((time.monotonic() - started) * 1000),
        input_tokens=input_tokens,
        cost_usd=cost_for(model, input_tokens, 0),
        outcome=Outcome.SENT if vectors else Outcome.FAILED,
        error=error,
    )
    check_budget_alerts()
    return vectors, interaction


def query_vector(query: str):
    """The search query's vector, or None on any fault (logged by `embed_texts`)."""
    vectors, _ = embed_texts([query], deadline=QUERY_DEADLINE_SECONDS, retries=0)
    if not vectors:
        return None
    return unpack(pack(vectors[0]))


def stored_vectors(*, published_only: bool = True) -> dict[int, array]:
    """Article id → vector for the configured model. One query."""
    qs = ArticleEmbedding.objects.filter(model=embedding_model())
    if published_only:
        qs = qs.filter(article__published=True)
    return {pk: unpack(data) for pk, data in qs.values_list("article_id", "vector")}


def article_embeddings_sync(*, article_ids: list[int] | None = None) -> dict[str, int]:
    """Embed the published articles (all, or `article_ids`) whose text or model changed;
    drop the vectors of articles no longer published. Returns counts: embedded, skipped
    (unchanged), failed, removed. Safe to run twice: the second run skips everything."""
    counts = {"embedded": 0, "skipped": 0, "failed": 0, "removed": 0}
    if not embeddings_enabled():
        return counts
    model = embedding_model()
    stale = ArticleEmbedding.objects.filter(article__published=False)
    if article_ids is not None:
        stale = stale.filter(article_id__in=article_ids)
    counts["removed"], _ = stale.delete()

    articles = Article.objects.filter(published=True).order_by("pk")
    if article_ids is not None:
        articles = articles.filter(pk__in=article_ids)
    existing = {
        e.article_id: (e.model, e.text_hash)
        for e in ArticleEmbedding.objects.filter(article__in=articles).only(
            "article_id", "model", "text_hash"
        )
    }
    todo: list[tuple[Article, str, str]] = []
    for article in articles:
        text = article_text(article)
        digest = text_hash(text)
        if existing.get(article.pk) == (model, digest):
            counts["skipped"] += 1
        else:
            todo.append((article, text, digest))

    for start in range(0, len(todo), BATCH_SIZE):
        batch = todo[start : start + BATCH_SIZE]
        vectors, _ = embed_texts([text for _, text, _ in batch])
        if vectors is None:
            counts["failed"] += len(batch)
            continue
        with transaction.atomic():
            for (article, _, digest), vector in zip(batch, vectors, strict=True):
                ArticleEmbedding.objects.update_or_create(
                    article=article,
                    defaults={
                        "model": model,
                        "text_hash": digest,
                        "dimensions": len(vector),
                        "vector": pack(vector),
                    },
                )
        counts["embedded"] += len(batch)
    return counts


def queue_article_embedding(article: Article) -> None:
    """After an article is saved published (on commit): embed it now rather than at the next
    15-minute sync. Nothing when semantic search is off."""
    if not (article.published and embeddings_enabled()):
        return
    article_id = article.pk

    def queue() -> None:
        from django_q.tasks import async_task

        async_task("knowledge.tasks.article_embeddings_sync", article_id)

    transaction.on_commit(queue)
