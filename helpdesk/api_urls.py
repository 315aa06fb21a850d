"""Every endpoint of /api/v1/. The schema test walks this table: an endpoint missing from the
OpenAPI document fails it."""

from django.urls import path, re_path

from analytics import api as analytics_api
from api import schema
from common import api_errors as errors
from knowledge import api as knowledge_api
from tickets import api as tickets_api
from webhooks import api as webhooks_api

app_name = "api"

urlpatterns = [
    # Customers: their own tickets.
    path("tickets", tickets_api.CustomerTicketListCreate.as_view(), name="tickets"),
    path("tickets/<str:public_id>", tickets_api.CustomerTicketDetail.as_view(), name="ticket"),
    path(
        "tickets/<str:public_id>/messages",
        tickets_api.CustomerTicketMessages.as_view(),
        name="ticket_messages",
    ),
    # Agents.
    path("agent/tickets", tickets_api.AgentQueue.as_view(), name="agent_tickets"),
    path(
        "agent/tickets/<str:reference>",
        tickets_api.AgentTicketDetail.as_view(),
        name="agent_ticket",
    ),
    path(
        "agent/tickets/<str:reference>/messages",
        tickets_api.AgentTicketMessages.as_view(),
        name="agent_ticket_messages",
    ),
    path(
        "agent/tickets/<str:reference>/escalate",
        tickets_api.AgentTicketEscalate.as_view(),
        name="agent_ticket_escalate",
    ),
    path("agent/dashboard", analytics_api.AgentDashboard.as_view(), name="agent_dashboard"),
    # Knowledge and AI.
    path("articles", knowledge_api.ArticleListCreate.as_view(), name="articles"),
    path("articles/<slug:slug>", knowledge_api.ArticleDetail.as_view(), name="article"),
    path("ai/query", knowledge_api.AiQuery.as_view(), name="ai_query"),
    # Administrators.
    path("webhooks", webhooks_api.WebhookList.as_view(), name="webhooks"),
    path("webhooks/<int:subscription_id>", webhooks_api.WebhookDetail.as_view(), name="webhook"),
    # The OpenAPI document and its docs.
    path("schema/", schema.ApiSchemaView.as_view(), name="schema"),
    path("schema/docs/", schema.ApiDocsView.as_view(url_name="api:schema"), name="docs"),
    re_path(r"^.*$", errors.not_found),
]
