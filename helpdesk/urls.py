from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from helpdesk import views
from helpdesk.forms import EmailAuthenticationForm

app_name = "helpdesk"

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "account/login/",
        auth_views.LoginView.as_view(
            template_name="helpdesk/login.html",
            authentication_form=EmailAuthenticationForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("account/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/tokens/", views.api_token_list, name="api-tokens"),
    path("account/tokens/<int:token_id>/revoke/", views.api_token_revoke, name="api-token-revoke"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/badge/", views.notification_badge, name="notification-badge"),
    path("notifications/read/", views.notification_mark_read, name="notification-mark-read"),
]
