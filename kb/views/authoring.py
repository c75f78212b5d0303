"""Knowledge-base authoring for staff under /help/manage/ (URL names `kb:manage_…`).

The article list, the editor with a Markdown preview and the workflow buttons, revision history
with diffs and restore, categories, and drafts from resolved tickets. Every write is one
kb.services call; a refusal shows on the page (400, or 409 for a form older than the article)
with the typed text kept. Staff only (kb.views.access): others get the login page or a 404.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpdesk.exceptions import DomainError
from helpdesk.models import STAFF_ROLES, User
from helpdesk.selectors import user_list_visible_to
from kb import content, selectors, services, transitions
from kb.forms import (
    ArticleFilterForm,
    ArticleForm,
    ArticleTransitionForm,
    CategoryForm,
    CategoryNode,
    category_tree,
)
from kb.models import Article, ArticleRevision, ArticleState, Category, Visibility
from kb.views.access import agent_required
from tickets.models import Ticket
from tickets.selectors import category_list_visible_to, tag_list_visible_to

if TYPE_CHECKING:

    class AuthenticatedHttpRequest(HttpRequest):
        user: User

else:
    AuthenticatedHttpRequest = HttpRequest

PAGE_SIZE = 50
TRANSITIONS: dict[str, tuple[str, Callable[..., Article]]] = {
    ArticleState.IN_REVIEW: ("Submit for review", services.article_submit_for_review),
    ArticleState.PUBLISHED: ("Publish", services.article_publish),
    ArticleState.DRAFT: ("Back to draft", services.article_return_to_draft),
    ArticleState.ARCHIVED: ("Archive", services.article_archive),
}
STATE_LABELS = dict(ArticleState.choices)
# What the editor form passes to the services besides slug, tags and owner.
SETTINGS = (*services.TEXT_FIELDS, "category", "visibility", "is_featured")
TEXT_LABELS = {"title": "Title", "summary": "Summary", "keywords": "Keywords", "body": "Body"}


# --- reads the pages share ------------------------------------------------------------------------


def _article_or_404(request: AuthenticatedHttpRequest, article_id: int) -> Article:
    articles = selectors.article_list_visible_to(request.user).select_related("owner", "category")
    return get_object_or_404(articles, pk=article_id)


def _revision_or_404(article: Article, number: int) -> ArticleRevision:
    return get_object_or_404(article.revisions.select_related("author"), number=number)


def _latest_revision(article: Article) -> ArticleRevision | None:
    return article.revisions.select_related("author").order_by("-number").first()


def _category_nodes() -> list[CategoryNode]:
    return category_tree(Category.objects.order_by("position", "name"))


def _owners(request: AuthenticatedHttpRequest, article: Article) -> QuerySet[User]:
    """Active staff, plus the current owner even if they have left (so an unchanged form saves)."""
    staff = Q(role__in=STAFF_ROLES, is_active=True) | Q(pk=article.owner_id)
    users = user_list_visible_to(request.user).select_related(None).prefetch_related(None)
    return users.filter(staff).order_by("full_name", "email")


def _review_status(article: Article, now: datetime) -> str:
    """Return "stale" (review date passed), "soon" (within the reminder lead time) or ""."""
    due = article.review_due_at
    if article.state != ArticleState.PUBLISHED or due is None:
        return ""
    if due <= now:
        return "stale"
    return "soon" if due <= now + services.REVIEW_REMINDER_LEAD else ""


def _add_domain_errors(form: forms.Form, error: DomainError) -> None:
    """Show a service's refusal on the form: its sentence above, short reasons under the fields."""
    form.add_error(None, error.message)
    for name, field_messages in error.field_errors.items():
        for message in field_messages:
            form.add_error(name if name in form.fields else None, message)


# --- the article list ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleRow:
    article: Article
    state_label: str
    visibility_label: str
    helpful_percent: int | None
    review: str


@agent_required
@require_GET
def article_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every article in any state, newest edit first, with filters and the review status."""
    now = timezone.now()
    params = request.GET.copy()
    params.pop("page", None)
    form = ArticleFilterForm(params or None, categories=_category_nodes())
    valid = not form.is_bound or form.is_valid()
    articles = selectors.article_list_visible_to(request.user).select_related("owner", "category")
    if form.is_bound and valid:
        articles = form.filter_queryset(articles, user=request.user, now=now)
    articles = articles.order_by("-updated_at", "-pk")
    page = Paginator(articles, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        ArticleRow(
            article=article,
            state_label=STATE_LABELS.get(article.state, article.state),
            visibility_label="Internal" if article.visibility == Visibility.INTERNAL else "Public",
            helpful_percent=None if article.helpful_ratio is None else round(article.helpful_ratio * 100),
            review=_review_status(article, now),
        )
        for article in page.object_list
    ]
    context = {"form": form, "page": page, "rows": rows, "filtered": bool(params)}
    return render(request, "kb/manage/article_list.html", context, status=200 if valid else 400)


# --- the editor --------------------------------------------------------------------------------------


def _article_form(
    request: AuthenticatedHttpRequest, article: Article | None, *, data: Any = None, initial: Any = None
) -> ArticleForm:
    return ArticleForm(
        data,
        initial=initial,
        categories=_category_nodes(),
        tags=tag_list_visible_to(request.user),
        ticket_categories=category_list_visible_to(request.user),
        owners=None if article is None else _owners(request, article),
    )


def _initial_from_article(article: Article, revision: ArticleRevision | None) -> dict[str, Any]:
    return {
        **{name: getattr(article, name) for name in (*SETTINGS, "slug")},
        "category": str(article.category_id or ""),
        "tags": ", ".join(tag.name for tag in article.tags.all()),
        "ticket_categories": [category.pk for category in article.ticket_categories.all()],
        "owner": article.owner_id,
        "revision": revision.number if revision else 0,
    }


def _preview(request: AuthenticatedHttpRequest, article: Article | None) -> HttpResponse:
    """Render the editor unsaved, with the typed values kept and the body's preview below."""
    typed = {name: request.POST.get(name, "") for name in ArticleForm.base_fields}
    typed["is_featured"] = bool(request.POST.get("is_featured"))
    typed["ticket_categories"] = request.POST.getlist("ticket_categories")
    form = _article_form(request, article, initial=typed)
    body = typed["body"].replace("\r\n", "\n")
    return _render_editor(request, article, form, preview_html=services.article_preview_html(body=body))


def _render_editor(
    request: AuthenticatedHttpRequest,
    article: Article | None,
    form: ArticleForm,
    *,
    status: int = 200,
    preview_html: str | None = None,
    errors: Sequence[str] = (),
) -> HttpResponse:
    context: dict[str, Any] = {
        "article": article,
        "form": form,
        "preview_html": preview_html,
        "errors": errors,
    }
    if article is not None:
        now = timezone.now()
        context.update(
            latest=_latest_revision(article),
            transitions=[
                (state, label)
                for state, (label, _service) in TRANSITIONS.items()
                if state in transitions.allowed_from(article.state)
            ],
            state_label=STATE_LABELS.get(article.state, article.state),
            review=_review_status(article, now),
        )
    return render(request, "kb/manage/article_form.html", context, status=status)


@agent_required
@require_http_methods(["GET", "POST"])
def article_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A new draft, its body pre-filled with the article template."""
    if request.method == "GET":
        initial = {"body": services.article_template_body(), "visibility": Visibility.PUBLIC}
        return _render_editor(request, None, _article_form(request, None, initial=initial))
    if request.POST.get("action") == "preview":
        return _preview(request, None)
    form = _article_form(request, None, data=request.POST)
    if not form.is_valid():
        return _render_editor(request, None, form, status=400)
    data = form.cleaned_data
    try:
        article = services.article_create(
            actor=request.user,
            tags=data["tags"],
            ticket_categories=data["ticket_categories"],
            slug=data["slug"],
            **{name: data[name] for name in SETTINGS},
        )
    except DomainError as error:
        _add_domain_errors(form, error)
        return _render_editor(request, None, form, status=error.status_code)
    except IntegrityError:  # the address was taken between the service's check and the insert
        form.add_error("slug", "That address was just taken; choose another.")
        return _render_editor(request, None, form, status=400)
    messages.success(request, f"Draft “{article.title}” created.")
    return redirect("kb:manage_article_edit", article_id=article.pk)


@agent_required
@require_http_methods(["GET", "POST"])
def article_edit(request: AuthenticatedHttpRequest, article_id: int) -> HttpResponse:
    """Edit the text and settings; a save from a form older than the latest revision is refused (409)."""
    article = _article_or_404(request, article_id)
    if request.method == "GET":
        initial = _initial_from_article(article, _latest_revision(article))
        return _render_editor(request, article, _article_form(request, article, initial=initial))
    if request.POST.get("action") == "preview":
        return _preview(request, article)
    form = _article_form(request, article, data=request.POST)
    if not form.is_valid():
        return _render_editor(request, article, form, status=400)
    data = form.cleaned_data
    changes = {name: data[name] for name in SETTINGS}
    if data["slug"]:
        changes["slug"] = data["slug"]
    try:
        services.article_edit(
            article_id=article.pk,
            actor=request.user,
            expected_revision=data["revision"],
            owner=data["owner"],
            tags=data["tags"],
            ticket_categories=data["ticket_categories"],
            **changes,
        )
    except DomainError as error:
        _add_domain_errors(form, error)
        return _render_editor(request, article, form, status=error.status_code)
    except IntegrityError:  # the address was taken between the service's check and the update
        form.add_error("slug", "That address was just taken; choose another.")
        return _render_editor(request, article, form, status=400)
    latest = _latest_revision(article)
    if latest is not None and latest.number != data["revision"]:
        messages.success(request, f"Saved as revision {latest.number}.")
    else:
        messages.info(request, "Nothing changed, so nothing was saved.")
    return redirect("kb:manage_article_edit", article_id=article.pk)


def _refused(request: AuthenticatedHttpRequest, article: Article, error: DomainError) -> HttpResponse:
    """Show the editor (fresh from the database) with why a button's action was refused."""
    initial = _initial_from_article(article, _latest_revision(article))
    form = _article_form(request, article, initial=initial)
    reasons = [message for values in error.field_errors.values() for message in values]
    return _render_editor(request, article, form, status=error.status_code, errors=[error.message, *reasons])


@agent_required
@require_POST
def article_transition(request: AuthenticatedHttpRequest, article_id: int) -> HttpResponse:
    """Move the article through the workflow (kb.transitions decides which moves exist)."""
    article = _article_or_404(request, article_id)
    form = ArticleTransitionForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError("Choose a state to move the article to.")
        target = form.cleaned_data["to"]
        article = TRANSITIONS[target][1](article_id=article.pk, actor=request.user)
    except DomainError as error:
        return _refused(request, article, error)
    messages.success(request, f"“{article.title}” is now {STATE_LABELS[article.state].lower()}.")
    return redirect("kb:manage_article_edit", article_id=article.pk)


@agent_required
@require_POST
def article_reviewed(request: AuthenticatedHttpRequest, article_id: int) -> HttpResponse:
    """Record that the article was checked: its next review moves six months out."""
    article = _article_or_404(request, article_id)
    try:
        article = services.article_mark_reviewed(article_id=article.pk, actor=request.user)
    except DomainError as error:
        return _refused(request, article, error)
    due = timezone.localtime(article.review_due_at).strftime("%d %b %Y") if article.review_due_at else ""
    messages.success(request, f"Marked as reviewed. Next review due {due}.")
    return redirect("kb:manage_article_edit", article_id=article.pk)


@agent_required
@require_POST
def article_preview(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The htmx preview pane: the body rendered and sanitized as the help centre will show it."""
    body = request.POST.get("body", "")[: ArticleForm.base_fields["body"].max_length]  # type: ignore[attr-defined]
    html = services.article_preview_html(body=body.replace("\r\n", "\n"))
    return render(request, "kb/manage/_preview.html", {"preview_html": html})


# --- history, diffs, restore --------------------------------------------------------------------------


def _texts(source: Article | ArticleRevision | None) -> dict[str, str]:
    return {name: "" if source is None else getattr(source, name) for name in services.TEXT_FIELDS}


def _field_diffs(old: Mapping[str, str], new: Mapping[str, str]) -> list[content.FieldDiff]:
    diffs = []
    for name, label in TEXT_LABELS.items():
        if old[name] == new[name]:
            continue
        lines = content.diff_lines(old[name], new[name])
        added = sum(line.kind == "added" for line in lines)
        removed = sum(line.kind == "removed" for line in lines)
        diffs.append(content.FieldDiff(label, lines, added, removed))
    return diffs


@agent_required
@require_GET
def article_history(request: AuthenticatedHttpRequest, article_id: int) -> HttpResponse:
    """Every saved revision, newest first, with links to its changes and to restore it."""
    article = _article_or_404(request, article_id)
    revisions = list(article.revisions.select_related("author").order_by("-number"))
    return render(request, "kb/manage/history.html", {"article": article, "revisions": revisions})


@agent_required
@require_GET
def article_diff(request: AuthenticatedHttpRequest, article_id: int, number: int) -> HttpResponse:
    """Revision `number` against its predecessor (default), `?against=current`, or `?against=<n>`."""
    article = _article_or_404(request, article_id)
    revision = _revision_or_404(article, number)
    against = request.GET.get("against", "previous")
    if against == "current":
        old, new = _texts(revision), _texts(article)
        old_label, new_label = f"Revision {revision.number}", "Current text"
    elif against.isdigit() and int(against) != number:
        other = _revision_or_404(article, int(against))
        first, second = sorted((other, revision), key=lambda item: item.number)
        old, new = _texts(first), _texts(second)
        old_label, new_label = f"Revision {first.number}", f"Revision {second.number}"
    else:
        previous = article.revisions.filter(number__lt=number).order_by("-number").first()
        old, new = _texts(previous), _texts(revision)
        old_label = f"Revision {previous.number}" if previous else "Empty (new article)"
        new_label = f"Revision {revision.number}"
    context = {
        "article": article,
        "revision": revision,
        "against": against,
        "old_label": old_label,
        "new_label": new_label,
        "diffs": _field_diffs(old, new),
        "revision_numbers": list(article.revisions.order_by("-number").values_list("number", flat=True)),
    }
    return render(request, "kb/manage/diff.html", context)


@agent_required
@require_http_methods(["GET", "POST"])
def article_restore(request: AuthenticatedHttpRequest, article_id: int, number: int) -> HttpResponse:
    """GET: what restoring would change, and a button to confirm. POST: restore as a new revision."""
    article = _article_or_404(request, article_id)
    revision = _revision_or_404(article, number)
    if request.method == "GET":
        context = {
            "article": article,
            "revision": revision,
            "diffs": _field_diffs(_texts(article), _texts(revision)),
        }
        return render(request, "kb/manage/restore_confirm.html", context)
    try:
        services.article_restore(revision_id=revision.pk, actor=request.user)
    except DomainError as error:
        return _refused(request, article, error)
    latest = _latest_revision(article)
    messages.success(
        request, f"Revision {revision.number} restored as revision {latest.number if latest else '?'}."
    )
    return redirect("kb:manage_article_history", article_id=article.pk)


# --- drafts from tickets -----------------------------------------------------------------------------


@agent_required
@require_POST
def article_from_ticket(request: AuthenticatedHttpRequest, ticket_id: int) -> HttpResponse:
    """Turn a resolved or closed ticket into a draft owned by the agent, then open it in the editor."""
    try:
        article = services.article_create_from_ticket(ticket_id=ticket_id, actor=request.user)
    except Ticket.DoesNotExist as error:
        raise Http404("No such ticket.") from error
    except DomainError as error:
        context = {"error": error, "ticket_id": ticket_id}
        return render(request, "kb/manage/from_ticket_refused.html", context, status=error.status_code)
    messages.success(
        request,
        f"This article is drafted from ticket #{ticket_id}. Remove the customer's personal details "
        "before publishing.",
    )
    return redirect("kb:manage_article_edit", article_id=article.pk)


# --- categories ---------------------------------------------------------------------------------------


def _save_category(form: CategoryForm, save: Callable[..., Category]) -> Category | None:
    """Run the service with the form's values; on refusal put the reasons on the form."""
    data = form.cleaned_data
    try:
        return save(**{name: data[name] for name in ("name", "slug", "parent", "description", "position")})
    except DomainError as error:
        _add_domain_errors(form, error)
    except IntegrityError:
        # Someone took the address between the form's check and the insert.
        form.add_error("slug", f"The address “{data['slug']}” is taken.")
    return None


@agent_required
@require_http_methods(["GET", "POST"])
def category_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The category tree with article counts, and a form to add a category."""
    nodes = _category_nodes()
    form = CategoryForm(request.POST or None, parents=nodes)
    status = 200
    if request.method == "POST":
        if form.is_valid() and (category := _save_category(form, services.category_create)):
            messages.success(request, f"Category “{category.name}” created.")
            return redirect("kb:manage_category_list")
        status = 400
    counts = dict(
        Article.objects.filter(category__isnull=False)
        .order_by()
        .values_list("category_id")
        .annotate(total=Count("id"))
    )
    rows = [(node, counts.get(node.category.pk, 0)) for node in nodes]
    return render(request, "kb/manage/category_list.html", {"rows": rows, "form": form}, status=status)


@agent_required
@require_http_methods(["GET", "POST"])
def category_edit(request: AuthenticatedHttpRequest, category_id: int) -> HttpResponse:
    """Rename, re-describe or move a category (at most three levels; never inside itself)."""
    nodes = _category_nodes()
    category = next((node.category for node in nodes if node.category.pk == category_id), None)
    if category is None:
        raise Http404("No such category.")
    initial = {name: getattr(category, name) for name in ("name", "slug", "description", "position")}
    initial["parent"] = str(category.parent_id or "")
    form = CategoryForm(request.POST or None, initial=initial, parents=nodes, category_id=category.pk)
    status = 200
    if request.method == "POST":

        def update(**values: Any) -> Category:
            return services.category_update(category_id=category.pk, **values)

        if form.is_valid() and (saved := _save_category(form, update)):
            messages.success(request, f"Category “{saved.name}” saved.")
            return redirect("kb:manage_category_list")
        status = 400
    return render(
        request, "kb/manage/category_form.html", {"category": category, "form": form}, status=status
    )
