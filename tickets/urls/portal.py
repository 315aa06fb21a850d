from django.urls import path

from api import views as api_views
from tickets.views import portal, portal_survey

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
    path("tickets/", portal.my_tickets, name="my_tickets"),
    path("api-tokens/", api_views.portal_api_tokens, name="api_tokens"),
    path(
        "api-tokens/<int:pk>/revoke/",
        api_views.portal_api_token_revoke,
        name="api_token_revoke",
    ),
    path("survey/<str:token>/", portal_survey.survey, name="survey"),
    path("t/<str:public_id>/", portal.ticket_detail, name="ticket"),
    path("t/<str:public_id>/reply/", portal.reply, name="reply"),
    path(
        "t/<str:public_id>/auto-answer/<int:message_id>/not-helpful/",
        portal.auto_answer_not_helpful,
        name="auto_answer_not_helpful",
    ),
    path(
        "t/<str:public_id>/attachments/<int:attachment_id>/",
        portal.attachment_download,
        name="attachment",
    ),
]
