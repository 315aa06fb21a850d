"""The knowledge API: published articles for everyone (search included), drafts and writes
for administrators, and the AI proxy for agents.

The AI proxy calls `knowledge.ai.service` like every other model call, so the call is logged
as an `AIInteraction` and counts against the monthly budget; when the AI is off, over budget,
failing or paused, the answer is a 503 in the one error format (with `Retry-After` when calls
are paused). It is the one model call made inside a web request, so its deadline is the
shorter `AI_REQUEST_DEADLINE_SECONDS`, well inside the web server's worker timeout: a model
that does not answer in time gets the agent a 504 `ai_timeout`, never a killed worker.
"""

import math

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from api.pagination import paginated
from api.permissions import IsAgent, ReadAnyoneWriteStaff
from api.throttles import DEFAULT_THROTTLES, AiThrottle
from common.api_errors import service_errors
from knowledge import selectors, services
from knowledge.ai import breaker
from knowledge.ai.client import ai_enabled, call_deadline_seconds
from knowledge.ai.service import ai_call_json
from knowledge.models import AIInteraction, Article
from knowledge.serializers import (
    ArticleDetailSerializer,
    ArticleSearchSerializer,
    ArticleSerializer,
    ArticleWriteSerializer,
)
from tickets import selectors as ticket_selectors
from tickets.serializers import AiAnswerSerializer, AiQuerySerializer

SEARCH_LIMIT_MAX = 50
# How much of the conversation goes to the model with the question.
AI_CONTEXT_MESSAGES = 10
AI_CONTEXT_CHARS = 2000


class AiUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "ai_unavailable"
    default_detail = "The AI assistant is not available."


class AiPaused(AiUnavailable):
    """The provider's circuit breaker has calls paused (`knowledge.ai.breaker`)."""

    default_code = "ai_paused"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.wait = max(1, math.ceil(breaker.seconds_paused()))


class AiTimeout(exceptions.APIException):
    """The model did not answer within the request's deadline."""

    status_code = status.HTTP_504_GATEWAY_TIMEOUT
    default_code = "ai_timeout"
    default_detail = "The AI assistant did not answer in time. Try again later."


def request_deadline_seconds() -> float:
    """A model call inside a web request: `AI_REQUEST_DEADLINE_SECONDS`, never more than a
    call's own deadline."""
    return min(float(settings.AI_REQUEST_DEADLINE_SECONDS), call_deadline_seconds())


def _is_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


def _articles_for(user):
    if _is_staff(user):
        return Article.objects.select_related("category")
    return selectors.published_articles()


class ArticleListCreate(generics.GenericAPIView):
    permission_classes = [ReadAnyoneWriteStaff]
    pagination_class = paginated(("-created_at", "-id"))
    serializer_class = ArticleSerializer

    @extend_schema(
        operation_id="articles_list",
        summary="Published articles (drafts too for administrators); `q` searches",
        description=(
            "Without `q`, every article newest first, cursor-paginated. With `q`, the best "
            "matches first (full-text search), at most `page_size` of them, in one page."
        ),
        parameters=[OpenApiParameter("q", str, description="Search words")],
        responses=ArticleSerializer(many=True),
    )
    def get(self, request):
        search = ArticleSearchSerializer(data=request.query_params)
        search.is_valid(raise_exception=True)
        query = (search.validated_data.get("q") or "").strip()
        if not query:
            page = self.paginate_queryset(_articles_for(request.user))
            return self.get_paginated_response(ArticleSerializer(page, many=True).data)
        limit = min(self.paginator.get_page_size(request) or 20, SEARCH_LIMIT_MAX)
        results = selectors.article_search(
            query=query, limit=limit, published_only=not _is_staff(request.user)
        )
        data = ArticleSerializer(results, many=True).data
        return Response({"next": None, "previous": None, "results": data})

    @extend_schema(
        operation_id="articles_create",
        summary="Create an article (administrators)",
        request=ArticleWriteSerializer,
        responses={201: ArticleDetailSerializer},
    )
    def post(self, request):
        serializer = ArticleWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            article = services.article_create(
                title=data["title"],
                body=data["body"],
                slug=data.get("slug", ""),
                summary=data.get("summary", ""),
                category=data.get("category"),
                tags=data.get("tags", []),
                published=data.get("published", False),
            )
        except DjangoValidationError as exc:
            raise ValidationError(service_errors(exc)) from None
        return Response(ArticleDetailSerializer(article).data, status=status.HTTP_201_CREATED)


class ArticleDetail(APIView):
    permission_classes = [ReadAnyoneWriteStaff]

    def _article(self, request, slug: str) -> Article:
        try:
            return _articles_for(request.user).get(slug=slug)
        except Article.DoesNotExist:
            raise Http404 from None

    @extend_schema(
        operation_id="articles_retrieve",
        summary="One article",
        responses=ArticleDetailSerializer,
    )
    def get(self, request, slug: str):
        return Response(ArticleDetailSerializer(self._article(request, slug)).data)

    @extend_schema(
        operation_id="articles_partial_update",
        summary="Edit, publish or unpublish an article (administrators)",
        request=ArticleWriteSerializer,
        responses=ArticleDetailSerializer,
    )
    def patch(self, request, slug: str):
        article = self._article(request, slug)
        serializer = ArticleWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        published = changes.pop("published", None)
        try:
            with transaction.atomic():
                if changes:
                    article = services.article_update(article=article, **changes)
                if published is True:
                    article = services.article_publish(article=article)
                elif published is False:
                    article = services.article_unpublish(article=article)
        except DjangoValidationError as exc:
            raise ValidationError(service_errors(exc)) from None
        return Response(ArticleDetailSerializer(article).data)


# AI proxy ------------------------------------------------------------------------------------

AI_SCHEMA_HINT = (
    '{"answer": string, the answer for the agent, plain text; "confidence": number from 0 to 1}'
)


def _ai_messages(ticket, question: str) -> list[dict[str, str]]:
    recent = list(ticket.messages.all())[-AI_CONTEXT_MESSAGES:]
    lines = [f"Ticket {ticket.reference}: {ticket.subject}", f"Status: {ticket.status}"]
    for message in recent:
        kind = "internal note" if message.is_internal else message.author_kind
        lines.append(f"[{kind}] {message.body[:AI_CONTEXT_CHARS]}")
    return [
        {
            "role": "system",
            "content": "You help a support agent with one ticket. Be brief and factual.",
        },
        {"role": "user", "content": "\n".join(lines) + "\n\nQuestion: " + question},
    ]


class AiQuery(APIView):
    permission_classes = [IsAgent]

    def get_throttles(self):
        return [throttle() for throttle in DEFAULT_THROTTLES] + [AiThrottle()]

    @extend_schema(
        operation_id="ai_query",
        summary="Ask the AI about a ticket (agents)",
        description=(
            "Logged and budgeted like every model call. 503 when the AI is off, the monthly "
            "budget is spent, the model fails or calls are paused (with `Retry-After`); 504 "
            "when the model does not answer within `AI_REQUEST_DEADLINE_SECONDS`."
        ),
        request=AiQuerySerializer,
        responses={200: AiAnswerSerializer},
    )
    def post(self, request):
        serializer = AiQuerySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            ticket = ticket_selectors.ticket_for_agent(
                agent=request.user, reference=serializer.validated_data["ticket"]
            )
        except Http404:
            raise ValidationError({"ticket": ["No ticket with this reference."]}) from None
        if not ai_enabled():
            raise AiUnavailable("The AI assistant is off on this helpdesk.")
        deadline = request_deadline_seconds()
        result = ai_call_json(
            purpose=AIInteraction.Purpose.QUERY,
            messages=_ai_messages(ticket, serializer.validated_data["question"]),
            schema_hint=AI_SCHEMA_HINT,
            ticket=ticket,
            deadline=deadline,
        )
        outcome = result.interaction.outcome
        if outcome == AIInteraction.Outcome.SKIPPED_BUDGET:
            raise AiUnavailable("This month's AI budget is spent.", code="ai_budget_exhausted")
        if outcome == AIInteraction.Outcome.SKIPPED_PAUSED:
            raise AiPaused(result.interaction.error)
        if result.data is None and (pause := breaker.current_pause()) is not None:
            # This call's fault (a 429, or one fault too many) paused calls: say until when.
            raise AiPaused(breaker.paused_message(pause))
        if result.timed_out:
            raise AiTimeout(
                f"The AI assistant did not answer in time (at most {deadline:g} s). "
                "Try again later."
            )
        answer = (result.data or {}).get("answer")
        if not isinstance(answer, str) or not answer.strip():
            raise AiUnavailable("The AI assistant did not answer. Try again later.")
        confidence = result.interaction.confidence
        return Response(
            {
                "answer": answer.strip(),
                "confidence": float(confidence) if confidence is not None else None,
                "interaction_id": result.interaction.pk,
            }
        )
