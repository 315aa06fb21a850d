from django.urls import path

from agents import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("bell/", views.bell, name="bell"),
    # The agent's own status (available / away / offline), from the top bar.
    path("status/", views.agent_status, name="agent_status"),
    path("read-all/", views.notifications_read_all, name="read_all"),
    path("<int:notification_id>/read/", views.notification_read, name="read"),
]
