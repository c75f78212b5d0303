"""API v1 for the knowledge base: public reads of published articles, staff authoring, search."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kb import search, selectors, services
from kb.api import serializers as s
from kb.api.permissions import IsAgentOrReadOnly
from kb.models import Article, ArticleState

_TRANSITIONS = {
    ArticleState.DRAFT: services.article_return_to_draft,
    ArticleState.IN_REVIEW: services.article_submit_for_review,
    ArticleState.PUBLISHED: services.article_publish,
    ArticleState.ARCHIVED: services.article_archive,
}


@extend_schema_view(
    list=extend_schema(summary="List articles", description="Published public articles; staff see all."),
    retrieve=extend_schema(summary="Get an article by slug"),
)
class ArticleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.ArticleOutputSerializer
    permission_classes = [IsAgentOrReadOnly]
    lookup_field = "slug"
    ordering_fields = ("created_at", "updated_at", "id")
    default_ordering = "-created_at"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Article]:
        if getattr(self, "swagger_fake_view", False):
            return Article.objects.none()
        return (
            selectors.article_list_visible_to(self.request.user)
            .select_related("category")
            .prefetch_related("tags")
        )

    @extend_schema(summary="Create a draft (staff)", request=s.ArticleCreateInputSerializer)
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = s.ArticleCreateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        article = services.article_create(actor=request.user, **payload.validated_data)
        return Response(s.ArticleOutputSerializer(article).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit an article; records a revision (staff)", request=s.ArticleUpdateInputSerializer
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        article = self.get_object()
        payload = s.ArticleUpdateInputSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        tags = data.pop("tags", None)
        article = services.article_update(article_id=article.pk, actor=request.user, tags=tags, **data)
        return Response(s.ArticleOutputSerializer(article).data)

    @extend_schema(
        summary="Move an article through the workflow (staff)",
        request=s.ArticleTransitionInputSerializer,
        responses={200: s.ArticleOutputSerializer},
    )
    def transition(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        article = self.get_object()
        payload = s.ArticleTransitionInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        target = payload.validated_data["state"]
        article = _TRANSITIONS[target](article_id=article.pk, actor=request.user)
        return Response(s.ArticleOutputSerializer(article).data)


class ArticleSearchView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Search the help centre",
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, required=True),
            OpenApiParameter("limit", OpenApiTypes.INT, description="1 to 25, default 10"),
        ],
        responses={200: s.SearchOutputSerializer},
    )
    def get(self, request: Request) -> Response:
        raw = request.query_params.get("q", "")
        try:
            limit = max(1, min(25, int(request.query_params.get("limit", 10))))
        except ValueError:
            limit = 10
        results = search.article_search(raw, user=request.user, limit=limit)
        log = None
        if results.query:
            log = services.search_log_record(
                query=results.query,
                result_count=len(results.hits),
                corrected_query=results.did_you_mean,
                user=request.user if request.user.is_authenticated else None,
                session_key=request.session.session_key or "" if hasattr(request, "session") else "",
                source="api",
            )
        data = {"query": results.query, "did_you_mean": results.did_you_mean, "search_id": log.pk if log else None,
                "hits": results.hits}  # fmt: skip
        return Response(s.SearchOutputSerializer(data).data)
