from django.urls import path

from tickets.views import portal

app_name = "portal"

urlpatterns = [
    path("", portal.home, name="home"),
    path("t/<str:public_id>/", portal.ticket_detail, name="ticket"),
]
