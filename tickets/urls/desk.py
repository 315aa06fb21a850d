from django.urls import path

from tickets.views import desk

app_name = "desk"

urlpatterns = [
    path("", desk.queue, name="queue"),
    path("tickets/<str:reference>/", desk.ticket_detail, name="ticket"),
    path("tickets/<str:reference>/reply/", desk.ticket_reply, name="ticket_reply"),
    path("tickets/<str:reference>/note/", desk.ticket_note, name="ticket_note"),
    path("tickets/<str:reference>/claim/", desk.ticket_claim, name="ticket_claim"),
    path("tickets/<str:reference>/assign/", desk.ticket_assign, name="ticket_assign"),
    path("tickets/<str:reference>/team/", desk.ticket_team, name="ticket_team"),
    path("tickets/<str:reference>/status/", desk.ticket_status, name="ticket_status"),
    path("tickets/<str:reference>/priority/", desk.ticket_priority, name="ticket_priority"),
    path("tickets/<str:reference>/category/", desk.ticket_category, name="ticket_category"),
    path("tickets/<str:reference>/tags/", desk.ticket_tags, name="ticket_tags"),
    path("tickets/<str:reference>/escalate/", desk.ticket_escalate, name="ticket_escalate"),
    path("tickets/<str:reference>/resolve/", desk.ticket_resolve, name="ticket_resolve"),
    path(
        "tickets/<str:reference>/acknowledge/",
        desk.ticket_acknowledge,
        name="ticket_acknowledge",
    ),
    path("attachments/<int:attachment_id>/", desk.attachment_download, name="attachment"),
]
