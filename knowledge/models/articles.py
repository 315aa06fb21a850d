"""Help-center articles, their votes and embeddings, and the portal deflections and filings
they are measured by.
"""

from django.db import models


class Article(models.Model):
    """A help-center article. `body_html` is rendered from `body` by `knowledge.services`
    (never in `save()`), so what the public sees is always the sanitised rendering."""

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    summary = models.CharField(max_length=300, blank=True)
    body = models.TextField(help_text="Markdown. Raw HTML is escaped.")
    body_html = models.TextField(blank=True, editable=False)
    category = models.ForeignKey(
        "tickets.Category",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
    )
    tags = models.JSONField(default=list, blank=True, help_text="A list of short keywords.")
    published = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    view_count = models.PositiveIntegerField(default=0, editable=False)
    helpful_count = models.PositiveIntegerField(default=0, editable=False)
    not_helpful_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        indexes = [
            models.Index(fields=["published", "category"], name="article_published_category")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def helpful_percent(self) -> int | None:
        votes = self.helpful_count + self.not_helpful_count
        if not votes:
            return None
        return round(100 * self.helpful_count / votes)


class ArticleVote(models.Model):
    """One "was this helpful?" answer per browser session and article."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    session_key = models.CharField(max_length=64)
    helpful = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "session_key"], name="article_vote_once_per_session"
            )
        ]

    def __str__(self) -> str:
        return f"{self.article_id}: {'yes' if self.helpful else 'no'}"


class Deflection(models.Model):
    """A customer on the portal form said a suggested article answered their question, so no
    ticket was filed. One per browser session and article: a double click counts once."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="deflections")
    query = models.CharField(max_length=200, help_text="The subject the customer had typed.")
    session_key = models.CharField(max_length=64)
    email = models.EmailField(max_length=254, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["session_key", "article"], name="deflection_once_per_session"
            )
        ]

    def __str__(self) -> str:
        return f"{self.article_id}: {self.query}"


class PortalFiling(models.Model):
    """A ticket filed through the portal form: the other side of the deflection rate."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="portal_filing"
    )
    session_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return str(self.ticket_id)


class ArticleEmbedding(models.Model):
    """A published article's vector for semantic search (knowledge.embeddings), without
    pgvector: L2-normalised float32 values, little-endian, as bytes. `text_hash` (SHA-256 of
    the embedded text) and `model` let the sync job skip articles that have not changed."""

    article = models.OneToOneField(Article, on_delete=models.CASCADE, related_name="embedding")
    model = models.CharField(max_length=100)
    text_hash = models.CharField(max_length=64)
    dimensions = models.PositiveIntegerField()
    vector = models.BinaryField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["model"], name="article_embedding_model")]

    def __str__(self) -> str:
        return f"{self.article_id}: {self.model} ({self.dimensions})"
