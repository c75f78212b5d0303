"""Authoring in the Django admin for this round: article saves go through kb.services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from helpdesk.admin_base import EstimatedCountPaginator, ReadOnlyInline, ReadOnlyModelAdmin, ServiceModelAdmin
from helpdesk.exceptions import DomainError
from kb import services
from kb.models import (
    Article,
    ArticleFeedback,
    ArticleRevision,
    Category,
    DeflectionAttempt,
    SearchLog,
    Synonym,
)


@admin.register(Category)
class CategoryAdmin(ServiceModelAdmin):
    list_display = ("name", "slug", "parent", "position")
    prepopulated_fields = {"slug": ("name",)}

    def service_create(self, request: HttpRequest, data: dict[str, Any]) -> Category:
        return services.category_create(
            name=data["name"],
            slug=data["slug"],
            parent=data.get("parent"),
            description=data.get("description", ""),
            position=data.get("position", 0),
        )

    def service_update(self, request: HttpRequest, obj: Category, data: dict[str, Any]) -> Category:
        return services.category_update(category_id=obj.pk, **data)


class RevisionInline(ReadOnlyInline):
    model = ArticleRevision
    fields = ("number", "title", "author", "created_at")
    readonly_fields = fields


@admin.register(Article)
class ArticleAdmin(ServiceModelAdmin):
    list_display = (
        "title",
        "state",
        "visibility",
        "category",
        "review_due_at",
        "view_count",
        "helpful_yes",
        "helpful_no",
    )
    list_filter = ("state", "visibility", "category")
    search_fields = ("title", "slug")
    fields = ("title", "slug", "summary", "keywords", "body", "category", "tags", "visibility", "is_featured")
    inlines = [RevisionInline]
    actions = ["submit_for_review", "publish", "archive"]

    def service_create(self, request: HttpRequest, data: dict[str, Any]) -> Article:
        return services.article_create(actor=request.user, **data)

    def service_update(self, request: HttpRequest, obj: Article, data: dict[str, Any]) -> Article:
        tags = data.pop("tags", None)
        return services.article_update(article_id=obj.pk, actor=request.user, tags=tags, **data)

    def _apply(self, request: HttpRequest, queryset: QuerySet[Article], service: Any) -> None:
        for article in queryset.order_by("pk"):
            try:
                service(article_id=article.pk, actor=request.user)
            except DomainError as error:
                self.message_user(request, f"{article}: {error.message}", messages.ERROR)

    @admin.action(description="Submit for review")
    def submit_for_review(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        self._apply(request, queryset, services.article_submit_for_review)

    @admin.action(description="Publish")
    def publish(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        self._apply(request, queryset, services.article_publish)

    @admin.action(description="Archive")
    def archive(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        self._apply(request, queryset, services.article_archive)


@admin.register(Synonym)
class SynonymAdmin(admin.ModelAdmin):
    list_display = ("term", "synonyms")
    search_fields = ("term",)


@admin.register(ArticleFeedback)
class ArticleFeedbackAdmin(ReadOnlyModelAdmin):
    list_display = ("article", "is_helpful", "comment", "created_at")
    list_filter = ("is_helpful",)


@admin.register(SearchLog)
class SearchLogAdmin(ReadOnlyModelAdmin):
    list_display = (
        "query",
        "result_count",
        "corrected_query",
        "clicked_article",
        "source",
        "created_at",
    )
    list_filter = ("source",)
    search_fields = ("query",)
    paginator = EstimatedCountPaginator


@admin.register(DeflectionAttempt)
class DeflectionAttemptAdmin(ReadOnlyModelAdmin):
    list_display = ("started_at", "user", "query", "result_count", "suggested", "opened_article", "opened_at")
    list_filter = ("suggested",)
    search_fields = ("query",)
    paginator = EstimatedCountPaginator
