from django.urls import path

from api import views as api_views
from portal.views import filing, survey, ticket

app_name = "portal"

urlpatterns = [
    path("", filing.home, name="home"),
    path("submitted/<str:public_id>/", filing.submitted, name="submitted"),
    path(
        "submitted/check-email/<str:reference>/",
        filing.submitted_check_email,
        name="submitted_check_email",
    ),
    path("suggestions/", filing.suggestions, name="suggestions"),
    path(
        "suggestions/<int:article_id>/helpful/",
        filing.suggestion_helpful,
        name="suggestion_helpful",
    ),
    path("tickets/", ticket.my_tickets, name="my_tickets"),
    path("api-tokens/", api_views.portal_api_tokens, name="api_tokens"),
    path(
        "api-tokens/<int:pk>/revoke/",
        api_views.portal_api_token_revoke,
        name="api_token_revoke",
    ),
    path("survey/<str:token>/", survey.survey, name="survey"),
    path("t/<str:public_id>/", ticket.ticket_detail, name="ticket"),
    path("t/<str:public_id>/reply/", ticket.reply, name="reply"),
    path(
        "t/<str:public_id>/auto-answer/<int:message_id>/not-helpful/",
        ticket.auto_answer_not_helpful,
        name="auto_answer_not_helpful",
    ),
    path(
        "t/<str:public_id>/attachments/<int:attachment_id>/",
        ticket.attachment_download,
        name="attachment",
    ),
]
