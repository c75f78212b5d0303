from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from helpdesk import views, views_accounts
from helpdesk.forms import EmailAuthenticationForm
from helpdesk.webhooks import urls as webhook_urls

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
    path("account/password-reset/", views_accounts.PasswordResetView.as_view(), name="password-reset"),
    path(
        "account/password-reset/sent/",
        views_accounts.PasswordResetDoneView.as_view(),
        name="password-reset-done",
    ),
    path(
        "account/password-reset/<uidb64>/<token>/",
        views_accounts.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "account/password-reset/complete/",
        views_accounts.PasswordResetCompleteView.as_view(),
        name="password-reset-complete",
    ),
    path("account/signup/", views_accounts.signup, name="signup"),
    path("account/signup/sent/", views_accounts.signup_done, name="signup-done"),
    path("account/verify/<str:token>/", views_accounts.verify, name="verify"),
    path("account/magic-link/", views_accounts.sign_in_link_request, name="sign-in-link"),
    path("account/magic-link/sent/", views_accounts.sign_in_link_sent, name="sign-in-link-sent"),
    path(
        "account/magic-link/<str:token>/",
        views_accounts.sign_in_link_redeem,
        name="sign-in-link-redeem",
    ),
    path("account/tokens/", views.api_token_list, name="api-tokens"),
    path("account/tokens/<int:token_id>/revoke/", views.api_token_revoke, name="api-token-revoke"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/badge/", views.notification_badge, name="notification-badge"),
    path("notifications/read/", views.notification_mark_read, name="notification-mark-read"),
]
urlpatterns += webhook_urls.urlpatterns
