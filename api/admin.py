"""Admin for personal API tokens: a read-only list (only the key's hash and prefix are stored,
never the key) with a revoke action that goes through the same service as the token pages.

Tokens are created by their owners on /desk/api-tokens/ and /portal/api-tokens/, where the key
is shown once; the admin cannot create one (it could not show the key) or edit one.
"""

from django.contrib import admin, messages

from api.models import ApiToken
from api.tokens import api_token_revoke


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "user", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "user__username", "user__email"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    fields = ["name", "user", "prefix", "key_hash", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Revoke instead: the row stays as the record of who had access and when.
        return False

    @admin.action(description="Revoke the selected tokens", permissions=["change"])
    def revoke(self, request, queryset):
        active = list(queryset.filter(revoked_at__isnull=True))
        for token in active:
            api_token_revoke(token=token, actor=request.user)
        self.message_user(
            request,
            f"Revoked {len(active)} token(s); they are refused from the next request on.",
            messages.SUCCESS,
        )
