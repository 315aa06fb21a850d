"""Admin for help-center articles and canned responses.

Articles are saved through `knowledge.services` (which renders and sanitises the body) and
published or unpublished through its verbs; the preview shows the rendered body.

Canned responses: write them, see them filled in with sample values.

The AI log (`AIInteraction`) and the budget alerts are read-only: they are written by
`knowledge.ai.service`. Model prices are edited here; a model without a price costs 0. The
provider's circuit breaker is shown read-only, with an action to resume paused calls at once.

Saving runs the model's validation, so unknown placeholders and lone braces are refused
with the list of allowed placeholders. The usage count is read-only: it is counted by
`knowledge.services`.
"""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from common.markdown import render_markdown
from knowledge.ai import breaker
from knowledge.ai.service import month_spend, monthly_budget
from knowledge.models import (
    AIBudgetAlert,
    AIInteraction,
    AIModelPrice,
    AIProviderState,
    AIUsageDay,
    Article,
    AutoAnswer,
    AutoAnswerPolicy,
    CannedResponse,
)
from knowledge.placeholders import fill, validate_template
from knowledge.services import article_publish, article_save, article_unpublish

# What the preview fills the placeholders with.
SAMPLE_VALUES = {
    "customer_name": "Ada Lovelace",
    "ticket_id": "BIL-1042",
    "category": "Billing",
    "created_date": "23 Nov 2026",
    "agent_name": "Riley Agent",
    "company": "Example Co",
}


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "category", "follow_up_status", "usage_count", "active"]
    list_filter = ["active", "category", "follow_up_status"]
    search_fields = ["name", "slug", "content"]
    list_select_related = ["category"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["preview", "usage_count", "created_at", "updated_at"]
    fields = [
        "name",
        "slug",
        "category",
        "content",
        "preview",
        "follow_up_status",
        "active",
        "usage_count",
        "created_at",
        "updated_at",
    ]

    @admin.display(description="Preview with sample values")
    def preview(self, obj: CannedResponse) -> str:
        if obj is None or not obj.content:
            return "Save to see a preview."
        try:
            validate_template(obj.content)
        except ValidationError as exc:
            return format_html("<em>{}</em>", " ".join(exc.messages))
        # render_markdown escapes raw HTML and sanitises its output.
        return mark_safe(render_markdown(fill(obj.content, SAMPLE_VALUES)))  # noqa: S308


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "category", "published", "view_count", "helpful"]
    list_filter = ["published", "category"]
    search_fields = ["title", "slug", "summary", "body"]
    list_select_related = ["category"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = [
        "preview",
        "published",
        "published_at",
        "view_count",
        "helpful_count",
        "not_helpful_count",
        "created_at",
        "updated_at",
    ]
    fields = [
        "title",
        "slug",
        "category",
        "summary",
        "tags",
        "body",
        "preview",
        "published",
        "published_at",
        "view_count",
        "helpful_count",
        "not_helpful_count",
        "created_at",
        "updated_at",
    ]
    actions = ["publish", "unpublish"]

    @admin.display(description="Helpful")
    def helpful(self, obj: Article) -> str:
        percent = obj.helpful_percent
        return "–" if percent is None else f"{percent}%"

    @admin.display(description="Preview")
    def preview(self, obj: Article) -> str:
        if obj is None or not obj.pk:
            return "Save to see a preview."
        # body_html is rendered by render_markdown, which escapes raw HTML and sanitises.
        return mark_safe(obj.body_html)  # noqa: S308

    def save_model(self, request, obj: Article, form, change) -> None:
        article_save(article=obj)

    @admin.action(description="Publish selected articles")
    def publish(self, request, queryset) -> None:
        for article in queryset:
            article_publish(article=article)
        self.message_user(request, f"Published {queryset.count()} article(s).")

    @admin.action(description="Unpublish selected articles")
    def unpublish(self, request, queryset) -> None:
        for article in queryset:
            article_unpublish(article=article)
        self.message_user(request, f"Unpublished {queryset.count()} article(s).")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AIInteraction)
class AIInteractionAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "purpose",
        "model",
        "outcome",
        "input_tokens",
        "output_tokens",
        "cost_usd",
        "latency_ms",
        "ticket",
    ]
    list_filter = ["purpose", "outcome", "model", "created_at"]
    list_select_related = ["ticket"]
    search_fields = ["ticket__reference", "error"]
    date_hierarchy = "created_at"

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "subtitle": f"Spent this month: ${month_spend():.2f} "
            f"of the ${monthly_budget():.2f} budget{_pause_notice()}",
        }
        return super().changelist_view(request, extra_context=extra_context)


def _pause_notice() -> str:
    """The breaker's pause, when calls are paused now, for the AI log's subtitle."""
    until = breaker.current_pause()
    return ". " + breaker.paused_message(until) if until else ""


@admin.register(AIProviderState)
class AIProviderStateAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "paused_until", "consecutive_faults", "trips", "last_fault"]
    actions = ["resume_calls"]

    @admin.action(description="Resume AI calls now")
    def resume_calls(self, request, queryset) -> None:
        breaker.resume()
        self.message_user(request, "AI calls resume with the next call.")


@admin.register(AIModelPrice)
class AIModelPriceAdmin(admin.ModelAdmin):
    list_display = ["model", "input_per_million_usd", "output_per_million_usd"]
    search_fields = ["model"]


@admin.register(AIBudgetAlert)
class AIBudgetAlertAdmin(ReadOnlyAdmin):
    list_display = ["month", "threshold", "created_at"]


@admin.register(AutoAnswerPolicy)
class AutoAnswerPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "category", "mode", "threshold", "active"]
    list_filter = ["mode", "active"]


@admin.register(AutoAnswer)
class AutoAnswerAdmin(admin.ModelAdmin):
    """The cascade's answers and what became of them: read-only, decided in the desk."""

    list_display = ["ticket", "tier", "confidence", "status", "decided_by", "created_at"]
    list_filter = ["status", "tier"]
    list_select_related = ["ticket", "decided_by"]
    search_fields = ["ticket__reference"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AIUsageDay)
class AIUsageDayAdmin(admin.ModelAdmin):
    """Written by the daily usage job; read-only."""

    list_display = [
        "date",
        "calls",
        "failed",
        "input_tokens",
        "output_tokens",
        "cost_usd",
        "anomaly",
        "anomaly_reason",
    ]
    list_filter = ["anomaly"]
    date_hierarchy = "date"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
