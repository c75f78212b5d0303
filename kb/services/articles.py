"""Authoring and the editorial workflow: categories, articles, revisions, review dates, drafts from tickets."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from helpdesk.exceptions import Conflict, DomainError, PermissionDeniedError
from helpdesk.models import User
from kb import transitions
from kb.content import ARTICLE_TEMPLATE, add_heading_anchors, plain_text
from kb.models import (
    MAX_CATEGORY_DEPTH,
    REVIEW_INTERVAL,
    Article,
    ArticleRevision,
    ArticleState,
    Category,
    Visibility,
)
from tickets import selectors as ticket_selectors
from tickets.models import AuthorKind, MessageVisibility, Tag, TicketStatus
from tickets.models import Category as TicketCategory
from tickets.rendering import render_markdown

TEXT_FIELDS = ("title", "summary", "keywords", "body")
EDITABLE_FIELDS = (*TEXT_FIELDS, "slug", "category", "visibility", "is_featured")


class ArticleTransitionError(DomainError):
    code = "invalid_transition"

    def __init__(self, current: str, target: str) -> None:
        allowed = ", ".join(transitions.allowed_from(current)) or "none"
        super().__init__(
            f"An article cannot move from '{current}' to '{target}'. Allowed: {allowed}.",
            field_errors={"state": [f"'{current}' → '{target}' is not allowed."]},
        )


def _require_agent(actor: User) -> None:
    if not actor.is_agent:
        raise PermissionDeniedError("Only support staff may edit the knowledge base.")


def _lock_article(article_id: int) -> Article:
    return Article.objects.select_for_update(of=("self",)).get(pk=article_id)


def _render(article: Article) -> None:
    article.body_html = add_heading_anchors(render_markdown(article.body))
    article.body_text = plain_text(article.body_html)


def _unique_slug(title: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(title)[:180] or "article"
    taken = set(
        Article.objects.filter(slug__startswith=base).exclude(pk=exclude_pk).values_list("slug", flat=True)
    )
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


def _snapshot(article: Article, *, author: User) -> ArticleRevision:
    last = article.revisions.order_by("-number").values_list("number", flat=True).first() or 0
    return ArticleRevision.objects.create(
        article=article,
        number=last + 1,
        title=article.title,
        summary=article.summary,
        keywords=article.keywords,
        body=article.body,
        author=author,
    )


def _search_terms_add(article_id: int) -> None:
    # The typo corrector suggests only words that occur in published articles; words are never
    # removed (a stale suggestion is re-checked by the search that uses it).
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO kb_searchterm (word)
            SELECT DISTINCT word FROM kb_article,
                regexp_split_to_table(
                    lower(kb_unaccent(title || ' ' || summary || ' ' || keywords || ' ' || body_text)),
                    '[^a-z0-9]+'
                ) AS word
            WHERE kb_article.id = %s AND length(word) BETWEEN 3 AND 40
            ON CONFLICT (word) DO NOTHING
            """,
            [article_id],
        )


def _validate_category(category: Category | None) -> None:
    depth, node = 0, category
    while node is not None:
        depth += 1
        node = node.parent
    if depth > MAX_CATEGORY_DEPTH:
        raise DomainError(
            f"Categories nest at most {MAX_CATEGORY_DEPTH} levels deep.",
            field_errors={"parent": ["Too deep."]},
        )


@transaction.atomic
def category_create(
    *, name: str, slug: str = "", parent: Category | None = None, description: str = "", position: int = 0
) -> Category:
    """Create a help-centre category; raises DomainError beyond three levels."""
    category = Category(
        name=name, slug=slug or slugify(name), parent=parent, description=description, position=position
    )
    _validate_category(category)
    category.save()
    return category


@transaction.atomic
def category_update(*, category_id: int, **changes: Any) -> Category:
    """Rename or move a category; raises DomainError beyond three levels or on a cycle."""
    category = Category.objects.select_for_update().get(pk=category_id)
    for field, value in changes.items():
        setattr(category, field, value)
    node = category.parent
    while node is not None:
        if node.pk == category.pk:
            raise DomainError("A category cannot sit inside itself.", field_errors={"parent": ["Cycle."]})
        node = node.parent
    _validate_category(category)
    depth, node = 0, category
    while node is not None:
        depth += 1
        node = node.parent
    levels_below, frontier = 0, [category.pk]
    while frontier:
        frontier = list(Category.objects.filter(parent__in=frontier).values_list("pk", flat=True))
        levels_below += bool(frontier)
    if depth + levels_below > MAX_CATEGORY_DEPTH:
        raise DomainError(
            f"Categories nest at most {MAX_CATEGORY_DEPTH} levels deep, and this one has "
            f"{levels_below} level{'s' if levels_below != 1 else ''} of sub-categories.",
            field_errors={"parent": ["Too deep with its sub-categories."]},
        )
    category.save()
    return category


@transaction.atomic
def article_create(
    *,
    actor: User,
    title: str,
    summary: str = "",
    body: str | None = None,
    keywords: str = "",
    slug: str = "",
    category: Category | None = None,
    visibility: str = Visibility.PUBLIC,
    is_featured: bool = False,
    tags: Iterable[Tag] = (),
    ticket_categories: Iterable[TicketCategory] = (),
) -> Article:
    """Create a draft owned by `actor` and its first revision.

    Without a body the draft starts from the help-centre article template (Quick Answer, Before You
    Start, steps, troubleshooting, related articles, still need help).
    """
    _require_agent(actor)
    if not title.strip():
        raise DomainError("An article needs a title.", field_errors={"title": ["Required."]})
    article = Article(
        title=title.strip(),
        slug=slug or _unique_slug(title),
        summary=summary,
        keywords=keywords,
        body=body if body is not None else ARTICLE_TEMPLATE.format(summary=summary or "What this covers."),
        owner=actor,
        category=category,
        visibility=visibility,
        is_featured=is_featured,
    )
    if Article.objects.filter(slug=article.slug).exists():
        raise DomainError("That address is taken.", field_errors={"slug": ["Already used."]})
    _render(article)
    article.save()
    article.tags.set(tags)
    article.ticket_categories.set(ticket_categories)
    _snapshot(article, author=actor)
    return article


@transaction.atomic
def article_update(
    *,
    article_id: int,
    actor: User,
    tags: Iterable[Tag] | None = None,
    ticket_categories: Iterable[TicketCategory] | None = None,
    **changes: Any,
) -> Article:
    """Apply `changes` (any of EDITABLE_FIELDS) and record a new revision.

    A published article stays published; its search vocabulary grows with the new text.
    """
    _require_agent(actor)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise DomainError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    article = _lock_article(article_id)
    new_slug = changes.get("slug", article.slug)
    if new_slug != article.slug and Article.objects.filter(slug=new_slug).exclude(pk=article.pk).exists():
        raise DomainError("That address is taken.", field_errors={"slug": ["Already used."]})
    for field, value in changes.items():
        setattr(article, field, value)
    _render(article)
    article.save()
    if tags is not None:
        article.tags.set(tags)
    if ticket_categories is not None:
        article.ticket_categories.set(ticket_categories)
    _snapshot(article, author=actor)
    if article.state == ArticleState.PUBLISHED:
        _search_terms_add(article.pk)
    return article


def _move(*, article_id: int, actor: User, to: str, now: datetime | None = None) -> Article:
    _require_agent(actor)
    article = _lock_article(article_id)
    if not transitions.is_allowed(article.state, to):
        raise ArticleTransitionError(article.state, to)
    article.state = to
    update = ["state", "updated_at"]
    if to == ArticleState.PUBLISHED:
        now = now or timezone.now()
        article.published_at = now
        article.review_due_at = now + REVIEW_INTERVAL
        update += ["published_at", "review_due_at"]
    article.save(update_fields=update)
    if to == ArticleState.PUBLISHED:
        _search_terms_add(article.pk)
    return article


@transaction.atomic
def article_submit_for_review(*, article_id: int, actor: User) -> Article:
    """Move a draft to review; raises ArticleTransitionError from any other state."""
    return _move(article_id=article_id, actor=actor, to=ArticleState.IN_REVIEW)


@transaction.atomic
def article_publish(*, article_id: int, actor: User, now: datetime | None = None) -> Article:
    """Publish an article and set its next review six months out."""
    return _move(article_id=article_id, actor=actor, to=ArticleState.PUBLISHED, now=now)


@transaction.atomic
def article_return_to_draft(*, article_id: int, actor: User) -> Article:
    """Send an article back to draft (out of the help centre) for rework."""
    return _move(article_id=article_id, actor=actor, to=ArticleState.DRAFT)


@transaction.atomic
def article_archive(*, article_id: int, actor: User) -> Article:
    """Take an article out of the help centre and search."""
    return _move(article_id=article_id, actor=actor, to=ArticleState.ARCHIVED)


@transaction.atomic
def article_restore(*, revision_id: int, actor: User) -> Article:
    """Put a revision's text back on its article, recorded as a new revision (history is kept)."""
    revision = ArticleRevision.objects.get(pk=revision_id)
    return article_update(
        article_id=revision.article_id,
        actor=actor,
        **{field: getattr(revision, field) for field in TEXT_FIELDS},
    )


# --- Authoring pages: stale-form check, review dates and reminders, drafts from tickets ----------

REVIEW_REMINDER_LEAD = timedelta(days=7)  # owners hear a week ahead, then once more when it passes
_TICKET_DONE_STATUSES = (TicketStatus.RESOLVED, TicketStatus.CLOSED)
_QUICK_ANSWER_HEADING = "## Quick Answer\n"
_logger = logging.getLogger(__name__)


class ArticleEditConflict(Conflict):
    """The editor's form is older than the article's latest revision: saving would overwrite it."""

    code = "edit_conflict"


def article_template_body(*, summary: str = "") -> str:
    """Return the body a new article starts from: the help-centre article template."""
    return ARTICLE_TEMPLATE.format(summary=summary or "What this covers.")


def article_preview_html(*, body: str) -> str:
    """Return `body` rendered and sanitized exactly as saving would store it; writes nothing."""
    preview = Article(body=body)
    _render(preview)
    return preview.body_html


def _latest_revision_number(article_id: int) -> int:
    revisions = ArticleRevision.objects.filter(article_id=article_id).order_by("-number")
    return revisions.values_list("number", flat=True).first() or 0


@transaction.atomic
def article_edit(
    *,
    article_id: int,
    actor: User,
    expected_revision: int,
    owner: User | None = None,
    tags: Iterable[Tag] | None = None,
    ticket_categories: Iterable[TicketCategory] | None = None,
    **changes: Any,
) -> Article:
    """Save an editor's form: `article_update` plus a new owner, refused when the form is stale.

    Raises ArticleEditConflict (409) when a revision newer than `expected_revision` exists, i.e.
    someone saved in between, and DomainError for an owner who is not active staff. A form that
    changes nothing writes no revision.
    """
    _require_agent(actor)
    article = _lock_article(article_id)
    latest = _latest_revision_number(article.pk)
    if latest != expected_revision:
        raise ArticleEditConflict(
            f"Someone else saved this article (revision {latest}) after you opened revision "
            f"{expected_revision}. Your text is still in the form: copy what you need, reload the "
            "article and apply your changes again.",
        )
    owner_changed = owner is not None and owner.pk != article.owner_id
    if owner is not None and owner_changed and not (owner.is_agent and owner.is_active):
        raise DomainError("Articles are owned by staff.", field_errors={"owner": ["Choose a staff member."]})
    tag_list = None if tags is None else list(tags)
    tags_changed = tag_list is not None and {tag.pk for tag in tag_list} != set(
        article.tags.values_list("pk", flat=True)
    )
    category_list = None if ticket_categories is None else list(ticket_categories)
    categories_changed = category_list is not None and {c.pk for c in category_list} != set(
        article.ticket_categories.values_list("pk", flat=True)
    )
    fields_changed = any(getattr(article, field, None) != value for field, value in changes.items())
    if not (owner_changed or tags_changed or categories_changed or fields_changed):
        return article
    if owner_changed:
        Article.objects.filter(pk=article.pk).update(owner=owner)
    return article_update(
        article_id=article.pk, actor=actor, tags=tag_list, ticket_categories=category_list, **changes
    )


@transaction.atomic
def article_mark_reviewed(*, article_id: int, actor: User, now: datetime | None = None) -> Article:
    """Record that a published article was checked: its next review is REVIEW_INTERVAL from now.

    The text is unchanged, so no revision is written and `updated_at` stays. Raises DomainError for
    an article that is not published (publishing sets the review date).
    """
    _require_agent(actor)
    article = _lock_article(article_id)
    if article.state != ArticleState.PUBLISHED:
        raise DomainError(
            "Only published articles are reviewed; publishing sets the next review date.",
            field_errors={"state": [f"This article is {article.get_state_display().lower()}."]},
        )
    article.review_due_at = (now or timezone.now()) + REVIEW_INTERVAL
    article.save(update_fields=["review_due_at"])
    return article


def _body_from_ticket(*, question: str, replies: Iterable[str]) -> str:
    """Fill the article template: the customer's question on top, the replies as the quick answer."""
    quoted = "\n".join(f"> {line}".rstrip() for line in question.strip().splitlines()) or "> (no description)"
    body = article_template_body(summary=f"**The customer asked:**\n\n{quoted}")
    answer = "\n\n".join(reply.strip() for reply in replies if reply.strip())
    if not answer:
        return body
    head, marker, rest = body.partition(_QUICK_ANSWER_HEADING)
    if not marker:
        return f"{body}\n## Answer from the ticket\n{answer}\n"
    _placeholder, next_heading, tail = rest.partition("\n## ")
    return f"{head}{marker}{answer}\n{next_heading}{tail}"


@transaction.atomic
def article_create_from_ticket(*, ticket_id: int, actor: User) -> Article:
    """Start a draft owned by `actor` from a resolved or closed ticket they may see.

    Title: the subject. Body: the article template with the customer's question (the description)
    on top and the agents' public replies as the quick answer; internal notes and automatic
    messages are never copied. Tags: the ticket's active tags. No category. Raises
    Ticket.DoesNotExist for a ticket `actor` may not see, DomainError while it is still open.

    Idempotent: while an article drafted from this ticket exists (not archived), that one is
    returned instead of a second draft, so a double click or a retry makes one article.
    """
    _require_agent(actor)
    ticket = ticket_selectors.ticket_get_visible(actor, ticket_id)
    with connection.cursor() as cursor:  # one drafting per ticket at a time, until commit
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"kb-from-ticket:{ticket.pk}"]
        )
    existing = (
        Article.objects.filter(source_ticket=ticket)
        .exclude(state=ArticleState.ARCHIVED)
        .order_by("pk")
        .first()
    )
    if existing is not None:
        return existing
    if ticket.status not in _TICKET_DONE_STATUSES:
        raise DomainError(
            "Only a resolved or closed ticket can become an article.",
            field_errors={"ticket": [f"Ticket #{ticket.pk} is {ticket.get_status_display().lower()}."]},
        )
    replies = (
        ticket_selectors.message_list_visible_to(actor, ticket)
        .filter(visibility=MessageVisibility.PUBLIC, author_kind=AuthorKind.AGENT, is_automatic=False)
        .values_list("body", flat=True)
    )
    article = article_create(
        actor=actor,
        title=ticket.subject[:200],
        body=_body_from_ticket(question=ticket.description, replies=list(replies)),
        tags=[tag for tag in ticket.tags.all() if tag.is_active],
    )
    Article.objects.filter(pk=article.pk).update(source_ticket=ticket)
    article.source_ticket = ticket
    return article
