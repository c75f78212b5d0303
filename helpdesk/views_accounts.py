"""Customer self-service accounts: password reset, sign-up with email verification, sign-in links.

Views only validate input and call `helpdesk.services`; responses never reveal whether an email
address has an account.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods

from helpdesk import ratelimit, services
from helpdesk.forms import SignInLinkRequestForm, SignupForm

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _mail_refused(request: HttpRequest, form: forms.Form, email: str) -> bool:
    """Count one account e-mail for this address and client; on too many, say so on the form.

    Checked before the address is looked up, so the refusal reveals nothing about accounts.
    """
    address_wait = ratelimit.hit(
        scope="account-mail-address",
        identity=hashlib.sha256(email.strip().lower().encode()).hexdigest(),
        limit=settings.ACCOUNT_MAIL_PER_ADDRESS_PER_HOUR,
        window_seconds=3600,
    )
    ip_wait = ratelimit.hit(
        scope="account-mail-ip",
        identity=request.META.get("REMOTE_ADDR", "unknown"),
        limit=settings.ACCOUNT_MAIL_PER_IP_PER_HOUR,
        window_seconds=3600,
    )
    wait = max(address_wait or 0, ip_wait or 0)
    if not wait:
        return False
    minutes = max(1, round(wait / 60))
    form.add_error(
        None, f"Too many e-mails were requested. Please try again in {minutes} minute{pluralize(minutes)}."
    )
    return True


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "helpdesk/accounts/password_reset_form.html"
    email_template_name = "helpdesk/accounts/email/password_reset.txt"
    subject_template_name = "helpdesk/accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("helpdesk:password-reset-done")

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        if _mail_refused(self.request, form, form.cleaned_data["email"]):
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)

    def form_invalid(self, form: PasswordResetForm) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "helpdesk/accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "helpdesk/accounts/password_reset_confirm.html"
    success_url = reverse_lazy("helpdesk:password-reset-complete")

    def render_to_response(self, context: dict[str, Any], **response_kwargs: Any) -> HttpResponse:
        # Django renders a bad or used link with 200; say "refused" in the status code too.
        if not self.validlink:
            response_kwargs["status"] = 400
        return super().render_to_response(context, **response_kwargs)


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "helpdesk/accounts/password_reset_complete.html"


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("helpdesk:home")
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "helpdesk/accounts/signup.html", {"form": form}, status=400)
        if _mail_refused(request, form, form.cleaned_data["email"]):
            return render(request, "helpdesk/accounts/signup.html", {"form": form}, status=429)
        services.account_signup(
            email=form.cleaned_data["email"],
            full_name=form.cleaned_data["full_name"],
            password=form.cleaned_data["password1"],
            base_url=_base_url(request),
        )
        return redirect("helpdesk:signup-done")
    return render(request, "helpdesk/accounts/signup.html", {"form": form})


def signup_done(request: HttpRequest) -> HttpResponse:
    return render(request, "helpdesk/accounts/signup_done.html")


def verify(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user = services.account_verify(token=token)
    except services.AccountTokenError as error:
        return render(request, "helpdesk/accounts/link_invalid.html", {"reason": error.message}, status=400)
    login(request, user, backend=MODEL_BACKEND)
    return redirect("helpdesk:home")


@require_http_methods(["GET", "POST"])
def sign_in_link_request(request: HttpRequest) -> HttpResponse:
    form = SignInLinkRequestForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "helpdesk/accounts/sign_in_link_form.html", {"form": form}, status=400)
        if _mail_refused(request, form, form.cleaned_data["email"]):
            return render(request, "helpdesk/accounts/sign_in_link_form.html", {"form": form}, status=429)
        services.sign_in_link_send(email=form.cleaned_data["email"], base_url=_base_url(request))
        return redirect("helpdesk:sign-in-link-sent")
    return render(request, "helpdesk/accounts/sign_in_link_form.html", {"form": form})


def sign_in_link_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "helpdesk/accounts/sign_in_link_sent.html")


@require_http_methods(["GET", "POST"])
def sign_in_link_redeem(request: HttpRequest, token: str) -> HttpResponse:
    # GET only shows a button: mail scanners that prefetch links must not use up the one sign-in.
    if request.method == "GET":
        return render(request, "helpdesk/accounts/sign_in_link_confirm.html")
    try:
        user = services.sign_in_link_redeem(token=token)
    except services.AccountTokenError as error:
        return render(request, "helpdesk/accounts/link_invalid.html", {"reason": error.message}, status=400)
    login(request, user, backend=MODEL_BACKEND)
    return redirect("helpdesk:home")
