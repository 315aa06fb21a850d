from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from helpdesk import health, views

admin.site.site_header = "Helpdesk administration"
admin.site.site_title = "Helpdesk admin"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="registration/login.html"),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("portal/", include("tickets.urls.portal")),
    path("kb/", include("knowledge.urls")),
    path("desk/notifications/", include("agents.urls")),
    path("desk/sla/", include("sla.urls")),
    path("desk/", include("tickets.urls.desk")),
    path("admin/", admin.site.urls),
]
# Uploaded files are never served from MEDIA_URL: attachments go through views that check
# who is asking (tickets.views).
