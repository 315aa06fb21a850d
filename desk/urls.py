from django.urls import path

from analytics import views as analytics
from api import views as api_views
from desk.views import (
    actions,
    approvals,
    attachments,
    live,
    organizations,
    queue,
    ticket,
)
from desk.views.canned import (
    canned_insert,
    canned_search,
    ticket_suggest,
    ticket_suggestion,
    ticket_suggestion_used,
)

app_name = "desk"

urlpatterns = [
    path("", queue.queue, name="queue"),
    path("changes/", live.queue_changes, name="queue_changes"),
    path("tickets/<str:reference>/presence/", live.ticket_presence, name="ticket_presence"),
    path("tickets/<str:reference>/", ticket.ticket_detail, name="ticket"),
    path(
        "tickets/<str:reference>/conversation/",
        ticket.ticket_conversation,
        name="ticket_conversation",
    ),
    path("tickets/<str:reference>/activity/", ticket.ticket_activity, name="ticket_activity"),
    path("tickets/<str:reference>/reply/", actions.ticket_reply, name="ticket_reply"),
    path("tickets/<str:reference>/note/", actions.ticket_note, name="ticket_note"),
    path("tickets/<str:reference>/claim/", actions.ticket_claim, name="ticket_claim"),
    path("tickets/<str:reference>/assign/", actions.ticket_assign, name="ticket_assign"),
    path("tickets/<str:reference>/team/", actions.ticket_team, name="ticket_team"),
    path("tickets/<str:reference>/status/", actions.ticket_status, name="ticket_status"),
    path("tickets/<str:reference>/priority/", actions.ticket_priority, name="ticket_priority"),
    path("tickets/<str:reference>/category/", actions.ticket_category, name="ticket_category"),
    path("tickets/<str:reference>/tags/", actions.ticket_tags, name="ticket_tags"),
    path("tickets/<str:reference>/escalate/", actions.ticket_escalate, name="ticket_escalate"),
    path("tickets/<str:reference>/resolve/", actions.ticket_resolve, name="ticket_resolve"),
    path("tickets/<str:reference>/merge/", actions.ticket_merge, name="ticket_merge"),
    path(
        "tickets/<str:reference>/acknowledge/",
        actions.ticket_acknowledge,
        name="ticket_acknowledge",
    ),
    path("tickets/<str:reference>/canned/", canned_search, name="canned_search"),
    path("tickets/<str:reference>/canned/<int:pk>/", canned_insert, name="canned_insert"),
    path("tickets/<str:reference>/suggest/", ticket_suggest, name="ticket_suggest"),
    path("tickets/<str:reference>/suggest/<int:pk>/", ticket_suggestion, name="ticket_suggestion"),
    path(
        "tickets/<str:reference>/suggest/<int:pk>/used/",
        ticket_suggestion_used,
        name="ticket_suggestion_used",
    ),
    path(
        "organizations/<int:organization_id>/",
        organizations.organization_detail,
        name="organization",
    ),
    path("approvals/", approvals.approval_queue, name="approvals"),
    path("api-tokens/", api_views.desk_api_tokens, name="api_tokens"),
    path("api-tokens/<int:pk>/revoke/", api_views.desk_api_token_revoke, name="api_token_revoke"),
    path("approvals/<int:pk>/approve/", approvals.approval_approve, name="approval_approve"),
    path("approvals/<int:pk>/edit/", approvals.approval_edit, name="approval_edit"),
    path("approvals/<int:pk>/reject/", approvals.approval_reject, name="approval_reject"),
    path("attachments/<int:attachment_id>/", attachments.attachment_download, name="attachment"),
    path("analytics/", analytics.dashboard, name="analytics"),
    path("analytics/daily/", analytics.daily_report, name="analytics_daily"),
    path(
        "analytics/daily.csv", analytics.daily_report, {"as_csv": True}, name="analytics_daily_csv"
    ),
]
