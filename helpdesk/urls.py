from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from accounts import login, views
from common import api_errors, health
from mail import views as mail_views

admin.site.site_header = "Helpdesk administration"
admin.site.login_form = login.AdminLoginForm
admin.site.site_title = "Helpdesk admin"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("inbound/email", mail_views.inbound_email, name="inbound-email"),
    path("login/", login.login, name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("portal/", include("portal.urls")),
    path("kb/", include("knowledge.urls")),
    path("desk/notifications/", include("agents.urls")),
    path("desk/sla/", include("sla.urls")),
    path("desk/", include("desk.urls")),
    path("admin/login/", login.admin_login),
    path("admin/", admin.site.urls),
    path("api/v1/", include("helpdesk.api_urls")),
    # Any other address under /api/ answers in the API's error format, not an HTML page.
    re_path(r"^api/", api_errors.not_found),
]
# Uploaded files are never served from MEDIA_URL: attachments go through views that check
# who is asking (portal.views, desk.views).
