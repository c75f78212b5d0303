"""Knowledge base: categories, articles with revisions, reader feedback, synonyms and search logs.

An article's `search_vector` is a stored generated column (title A > summary and keywords B > body
C, english stemming over unaccented text), so every write path, bulk loads included, keeps it in
step. `SearchTerm` is the vocabulary the spell-corrector suggests from ("did you mean").
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import Func, Q
from django.urls import reverse
from django.utils import timezone

REVIEW_INTERVAL = timedelta(days=182)  # "Content freshness: reviewed in 6 months" (KB strategy)
MAX_CATEGORY_DEPTH = 3


class ArticleState(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"
    ARCHIVED = "archived", "Archived"


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public"
    INTERNAL = "internal", "Internal (agents only)"


class Unaccent(Func):
    """kb_unaccent(text): an IMMUTABLE wrapper of unaccent(), usable in generated columns."""

    function = "kb_unaccent"
    output_field = models.TextField()


def _weighted(field: str, weight: str) -> SearchVector:
    return SearchVector(Unaccent(field), config="english", weight=weight)


class Category(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.CharField(max_length=300, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("kb:category", kwargs={"slug": self.slug})


class Article(models.Model):
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    summary = models.CharField(max_length=400, blank=True)
    # Extra search words the body does not contain: customer phrasings, common misspellings.
    keywords = models.CharField(max_length=400, blank=True)
    body = models.TextField(blank=True)  # Markdown, as written
    body_html = models.TextField(blank=True, editable=False)  # sanitized render with heading anchors
    body_text = models.TextField(blank=True, editable=False)  # plain text, for search and snippets
    state = models.CharField(max_length=16, choices=ArticleState.choices, default=ArticleState.DRAFT)
    visibility = models.CharField(max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC)
    is_featured = models.BooleanField(default=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="kb_articles")
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    tags = models.ManyToManyField("tickets.Tag", blank=True, related_name="kb_articles")
    # The ticket categories this article answers: what the coverage report counts as covered.
    ticket_categories = models.ManyToManyField(
        "tickets.Category",
        blank=True,
        related_name="kb_articles",
        help_text="Ticket categories this article answers (the coverage report's link).",
    )
    # The resolved ticket this article was drafted from ("Turn into a help article"), if any.
    source_ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    review_due_at = models.DateTimeField(null=True, blank=True)
    # When the owner was last emailed about the review (kb.services.article_review_reminders_send).
    review_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    view_count = models.PositiveIntegerField(default=0)
    helpful_yes = models.PositiveIntegerField(default=0)
    helpful_no = models.PositiveIntegerField(default=0)
    search_vector = models.GeneratedField(
        expression=_weighted("title", "A")
        + _weighted("summary", "B")
        + _weighted("keywords", "B")
        + _weighted("body_text", "C"),
        output_field=SearchVectorField(),
        db_persist=True,
    )
    # The short fields only (title A, summary and keywords B): a small vector whose GIN index picks
    # the search candidates first, and whose A lexemes answer the as-you-type suggestions.
    title_vector = models.GeneratedField(
        expression=_weighted("title", "A") + _weighted("summary", "B") + _weighted("keywords", "B"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["title"]
        indexes = [
            GinIndex(fields=["search_vector"], name="kb_article_search_idx"),
            GinIndex(fields=["title_vector"], name="kb_article_title_vector_idx"),
            GinIndex(fields=["title"], opclasses=["gin_trgm_ops"], name="kb_article_title_trgm_idx"),
            models.Index(
                fields=["review_due_at"],
                condition=Q(state=ArticleState.PUBLISHED),
                name="kb_article_review_due_idx",
            ),
            models.Index(fields=["state", "visibility", "-view_count"], name="kb_article_popular_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("kb:article", kwargs={"slug": self.slug})

    @property
    def helpful_ratio(self) -> float | None:
        votes = self.helpful_yes + self.helpful_no
        return self.helpful_yes / votes if votes else None


class ArticleRevision(models.Model):
    """A full snapshot of an article's text as saved; restoring one writes a new revision."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=400, blank=True)
    keywords = models.CharField(max_length=400, blank=True)
    body = models.TextField(blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="kb_revision_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} r{self.number}"


class ArticleFeedback(models.Model):
    """One "Was this helpful?" vote per signed-in user, or per anonymous session, per article."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    is_helpful = models.BooleanField()
    comment = models.TextField(blank=True, max_length=2000)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    session_key = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "user"], condition=Q(user__isnull=False), name="kb_feedback_one_per_user"
            ),
            models.UniqueConstraint(
                fields=["article", "session_key"],
                condition=Q(user__isnull=True),
                name="kb_feedback_one_per_session",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(session_key=""), name="kb_feedback_has_voter"
            ),
        ]

    def __str__(self) -> str:
        return f"{'yes' if self.is_helpful else 'no'} on {self.article_id}"


class Synonym(models.Model):
    """Searching for `term` also finds articles that use any of `synonyms` (and vice versa)."""

    term = models.CharField(max_length=100, unique=True)
    synonyms = ArrayField(models.CharField(max_length=100), default=list)

    class Meta:
        ordering = ["term"]

    def __str__(self) -> str:
        return f"{self.term} → {', '.join(self.synonyms)}"


class SearchLog(models.Model):
    query = models.CharField(max_length=200)  # normalized
    result_count = models.PositiveIntegerField()
    corrected_query = models.CharField(max_length=200, blank=True)  # the "did you mean" we used
    clicked_article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    clicked_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    session_key = models.CharField(max_length=40, blank=True)
    source = models.CharField(max_length=16, default="help")  # help, portal, api
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["created_at"], name="kb_searchlog_created_idx"),
            models.Index(fields=["session_key", "created_at"], name="kb_searchlog_session_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.query!r} ({self.result_count})"


class DeflectionAttempt(models.Model):
    """A customer starting a ticket in the portal: the suggestions they saw, the one they opened.

    Keyed by the new-ticket form's one-time token, which also becomes the filed ticket's
    `external_id` (source "portal-form"), so whether the customer then filed anyway or left is read
    from the tickets table (kb.reports), never written back by the ticket path.
    """

    token = models.CharField(max_length=120, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    visitor = models.CharField(max_length=40, blank=True)  # the help centre's visitor id (session)
    query = models.CharField(max_length=200, blank=True)  # the subject as last typed, normalized
    result_count = models.PositiveIntegerField(default=0)  # suggestions shown for it
    suggested = models.BooleanField(default=False)  # at least one suggestion was ever shown
    opened_article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["started_at"], name="kb_deflection_started_idx")]

    def __str__(self) -> str:
        return f"{self.token[:8]}… {self.query!r}"


class ArticleInsertion(models.Model):
    """An agent inserted a link to this article into a reply on a ticket (knowledge-assisted).

    A reply counts as knowledge-assisted once a public agent message on the ticket carries the
    link after this moment (kb.reports.knowledge_assisted).
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="insertions")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    inserted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["inserted_at"], name="kb_insertion_at_idx")]

    def __str__(self) -> str:
        return f"{self.article_id} into #{self.ticket_id}"


class SearchTerm(models.Model):
    """A word seen in published articles: the vocabulary typo correction suggests from."""

    word = models.CharField(max_length=60, unique=True)

    class Meta:
        indexes = [GinIndex(fields=["word"], opclasses=["gin_trgm_ops"], name="kb_searchterm_trgm_idx")]

    def __str__(self) -> str:
        return self.word
