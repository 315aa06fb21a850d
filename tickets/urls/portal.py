from django.urls import path

from tickets.views import portal

app_name = "portal"

urlpatterns = [
    path("", portal.home, name="home"),
    path("submitted/<str:public_id>/", portal.submitted, name="submitted"),
    path("suggestions/", portal.suggestions, name="suggestions"),
    path(
        "suggestions/<int:article_id>/helpful/",
        portal.suggestion_helpful,
        name="suggestion_helpful",
    ),
    path("tickets/", portal.my_tickets, name="my_tickets"),
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
