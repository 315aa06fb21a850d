from django.urls import path

from api import views as api_views
from tickets.views import portal, portal_survey, portal_ticket

app_name = "portal"

urlpatterns = [
    path("", portal.home, name="home"),
    path("submitted/<str:public_id>/", portal.submitted, name="submitted"),
    path(
        "submitted/check-email/<str:reference>/",
        portal.submitted_check_email,
        name="submitted_check_email",
    ),
    path("suggestions/", portal.suggestions, name="suggestions"),
    path(
        "suggestions/<int:article_id>/helpful/",
        portal.suggestion_helpful,
        name="suggestion_helpful",
    ),
    path("tickets/", portal_ticket.my_tickets, name="my_tickets"),
    path("api-tokens/", api_views.portal_api_tokens, name="api_tokens"),
    path(
        "api-tokens/<int:pk>/revoke/",
        api_views.portal_api_token_revoke,
        name="api_token_revoke",
    ),
    path("survey/<str:token>/", portal_survey.survey, name="survey"),
    path("t/<str:public_id>/", portal_ticket.ticket_detail, name="ticket"),
    path("t/<str:public_id>/reply/", portal_ticket.reply, name="reply"),
    path(
        "t/<str:public_id>/auto-answer/<int:message_id>/not-helpful/",
        portal_ticket.auto_answer_not_helpful,
        name="auto_answer_not_helpful",
    ),
    path(
        "t/<str:public_id>/attachments/<int:attachment_id>/",
        portal_ticket.attachment_download,
        name="attachment",
    ),
]
