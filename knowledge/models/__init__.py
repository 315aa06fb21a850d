"""Knowledge: canned responses, help-center articles and what customers do with them, and the
AI features (interactions, budgets, automatic answers, reply suggestions, embeddings).

Models hold fields and constraints; rendering and sending live in `knowledge.services`, the
placeholder syntax in `knowledge.placeholders`. One module per area; this package imports
every model, so `from knowledge.models import X` and Django's model discovery see them all.
"""

from knowledge.models.ai import (
    AIBudgetAlert,
    AIInteraction,
    AIModelPrice,
    AIProviderState,
    AIUsageDay,
)
from knowledge.models.articles import (
    Article,
    ArticleEmbedding,
    ArticleVote,
    Deflection,
    PortalFiling,
)
from knowledge.models.autoanswer import AutoAnswer, AutoAnswerPolicy, ReplySuggestion
from knowledge.models.canned import (
    CONTENT_HELP,
    FOLLOW_UP_CHOICES,
    FOLLOW_UP_STATUSES,
    CannedResponse,
)

__all__ = [
    "AIBudgetAlert",
    "AIInteraction",
    "AIModelPrice",
    "AIProviderState",
    "AIUsageDay",
    "Article",
    "ArticleEmbedding",
    "ArticleVote",
    "AutoAnswer",
    "AutoAnswerPolicy",
    "CONTENT_HELP",
    "CannedResponse",
    "Deflection",
    "FOLLOW_UP_CHOICES",
    "FOLLOW_UP_STATUSES",
    "PortalFiling",
    "ReplySuggestion",
]
