"""Admin for canned responses: write them, see them filled in with sample values.

Saving runs the model's validation, so unknown placeholders and lone braces are refused
with the list of allowed placeholders. The usage count is read-only: it is counted by
`knowledge.services`.
"""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from helpdesk.markdown import render_markdown
from knowledge.models import CannedResponse
from knowledge.placeholders import fill, validate_template

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
