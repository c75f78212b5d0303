"""The public help centre: home, search, categories, articles, feedback and as-you-type suggestions.

Every page works without JavaScript; htmx only swaps the suggestion list and the feedback form.
"""

from __future__ import annotations

import secrets

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from helpdesk.models import User
from kb import search, selectors, services
from kb.content import normalize_query
from kb.models import Article, Category

VISITOR_SESSION_KEY = "kb_visitor"


class FeedbackForm(forms.Form):
    helpful = forms.TypedChoiceField(
        choices=[("yes", "Yes"), ("no", "No")], coerce=lambda value: value == "yes"
    )
    comment = forms.CharField(required=False, max_length=2000)


def _session_key(request: HttpRequest) -> str:
    """Return the visitor's session key, starting a session for anonymous visitors when needed."""
    if not request.session.session_key:
        request.session.save()
    return request.session.session_key or ""


def _visitor(request: HttpRequest) -> str:
    """Return the visitor's help-centre id: kept in the session, so it survives signing in.

    Search logs and portal suggestion attempts carry it, which lets the deflection report follow
    an anonymous search to the ticket its visitor files after signing in (kb.reports).
    """
    visitor = request.session.get(VISITOR_SESSION_KEY)
    if not visitor:
        visitor = secrets.token_hex(16)
        request.session[VISITOR_SESSION_KEY] = visitor
    return str(visitor)


def _user(request: HttpRequest) -> User | None:
    return request.user if request.user.is_authenticated else None


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "kb/home.html",
        {
            "categories": selectors.category_list_top_level(),
            "popular": selectors.article_list_popular(user=request.user),
        },
    )


@require_GET
def search_results(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("q", "").strip()
    results = search.article_search(raw, user=request.user) if raw else None
    log = None
    if results is not None and results.query:
        log = services.search_log_record(
            query=results.query,
            result_count=len(results.hits),
            corrected_query=results.did_you_mean,
            user=_user(request),
            session_key=_visitor(request),
        )
    return render(request, "kb/search.html", {"q": raw, "results": results, "search_log": log})


@require_GET
def category(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        found = selectors.category_get(slug=slug)
    except Category.DoesNotExist as error:
        raise Http404 from error
    return render(
        request,
        "kb/category.html",
        {"category": found, "articles": selectors.category_articles(category=found, user=request.user)},
    )


@require_GET
def article(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        found = selectors.article_get_for_reader(slug=slug, user=request.user)
    except Article.DoesNotExist as error:
        raise Http404 from error
    search_log_id = request.GET.get("sl", "")
    attempt = request.GET.get("da", "")
    if search_log_id.isdigit() or attempt:
        if search_log_id.isdigit():
            services.search_log_record_click(
                search_log_id=int(search_log_id),
                article_id=found.pk,
                user=_user(request),
                session_key=request.session.get(VISITOR_SESSION_KEY, ""),
            )
        if attempt and request.user.is_authenticated:
            services.deflection_attempt_record_open(token=attempt, article_id=found.pk, user=request.user)
        # Drop ?sl= / ?da= so a shared or reloaded link does not carry the search or attempt.
        return redirect(found)
    services.article_record_view(article_id=found.pk)
    return render(
        request,
        "kb/article.html",
        {
            "article": found,
            "toc": selectors.article_table_of_contents(found),
            "related": selectors.article_list_related(article=found, user=request.user),
            "voted": request.GET.get("voted") == "1",
        },
    )


@require_POST
def feedback(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        found = selectors.article_get_for_reader(slug=slug, user=request.user)
    except Article.DoesNotExist as error:
        raise Http404 from error
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        return render(request, "kb/_feedback.html", {"article": found, "form": form}, status=400)
    services.feedback_record(
        article_id=found.pk,
        is_helpful=form.cleaned_data["helpful"],
        comment=form.cleaned_data["comment"],
        user=_user(request),
        session_key=_session_key(request),
    )
    if request.htmx:
        return render(request, "kb/_feedback.html", {"article": found, "voted": True})
    return redirect(f"{reverse('kb:article', kwargs={'slug': found.slug})}?voted=1#feedback")


@require_GET
def suggest(request: HttpRequest) -> HttpResponse:
    """As-you-type suggestions; from the portal's new-ticket form (`attempt` = the form's token)
    they are also recorded as a deflection attempt, and their links open the article in a new tab
    so the half-written ticket stays."""
    raw = request.GET.get("q", "")
    suggestions = search.article_suggest(raw, user=request.user, limit=5)
    attempt = request.GET.get("attempt", "")
    recorded = False
    if attempt and request.user.is_authenticated and raw.strip():
        recorded = services.deflection_attempt_record_suggestions(
            token=attempt,
            user=request.user,
            visitor=_visitor(request),
            query=normalize_query(raw),
            result_count=len(suggestions),
        )
    return render(
        request,
        "kb/_suggestions.html",
        {"suggestions": suggestions, "attempt": attempt if recorded else "", "from_portal": bool(attempt)},
    )
