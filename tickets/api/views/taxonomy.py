"""The ticket taxonomy: categories, tags and product areas. Anyone signed in reads; admins write."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from helpdesk.api.idempotency import idempotent
from helpdesk.api.permissions import IsAdminOrReadOnly
from tickets import selectors, services
from tickets.api import serializers as s
from tickets.api.filters import CategoryFilter, ProductAreaFilter, TagFilter
from tickets.api.views.common import ERRORS, ID_LOOKUP, IDEMPOTENCY_HEADER
from tickets.models import Category, ProductArea, Tag


@extend_schema_view(
    list=extend_schema(summary="List categories", description="Customers see only active ones."),
    retrieve=extend_schema(summary="Get a category"),
)
class CategoryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.CategoryOutputSerializer
    permission_classes = [IsAuthenticated, IsAdminOrReadOnly]
    filterset_class = CategoryFilter
    lookup_value_regex = ID_LOOKUP
    ordering_fields = ("id", "name")
    default_ordering = "id"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Category]:
        if getattr(self, "swagger_fake_view", False):
            return Category.objects.none()
        return selectors.category_list_visible_to(self.request.user)

    @extend_schema(
        summary="Create a category (admins)",
        request=s.CategoryCreateInputSerializer,
        responses={201: s.CategoryOutputSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = s.CategoryCreateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        category = services.category_create(**payload.validated_data)
        return Response(s.CategoryOutputSerializer(category).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Rename, move or retire a category (admins)",
        request=s.CategoryUpdateInputSerializer,
        responses={200: s.CategoryOutputSerializer, **ERRORS},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        category = self.get_object()
        payload = s.CategoryUpdateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        category = services.category_update(category_id=category.pk, **payload.validated_data)
        return Response(s.CategoryOutputSerializer(category).data)


@extend_schema_view(
    list=extend_schema(summary="List tags", description="Customers see only active ones."),
    retrieve=extend_schema(summary="Get a tag"),
)
class TagViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.TagOutputSerializer
    permission_classes = [IsAuthenticated, IsAdminOrReadOnly]
    filterset_class = TagFilter
    lookup_value_regex = ID_LOOKUP
    ordering_fields = ("id", "name")
    default_ordering = "name"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Tag]:
        if getattr(self, "swagger_fake_view", False):
            return Tag.objects.none()
        return selectors.tag_list_visible_to(self.request.user)

    @extend_schema(
        summary="Add a tag to the vocabulary (admins)",
        request=s.TagCreateInputSerializer,
        responses={201: s.TagOutputSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = s.TagCreateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        tag = services.tag_create(**payload.validated_data)
        return Response(s.TagOutputSerializer(tag).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Describe or retire a tag (admins)",
        request=s.TagUpdateInputSerializer,
        responses={200: s.TagOutputSerializer, **ERRORS},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        tag = self.get_object()
        payload = s.TagUpdateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        tag = services.tag_update(tag_id=tag.pk, **payload.validated_data)
        return Response(s.TagOutputSerializer(tag).data)


@extend_schema_view(
    list=extend_schema(summary="List product areas", description="Customers see only active ones."),
    retrieve=extend_schema(summary="Get a product area"),
)
class ProductAreaViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.ProductAreaOutputSerializer
    permission_classes = [IsAuthenticated, IsAdminOrReadOnly]
    filterset_class = ProductAreaFilter
    lookup_value_regex = ID_LOOKUP
    ordering_fields = ("id", "name")
    default_ordering = "name"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[ProductArea]:
        if getattr(self, "swagger_fake_view", False):
            return ProductArea.objects.none()
        return selectors.product_area_list_visible_to(self.request.user)

    @extend_schema(
        summary="Add a product area (admins)",
        request=s.ProductAreaCreateInputSerializer,
        responses={201: s.ProductAreaOutputSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = s.ProductAreaCreateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        area = services.product_area_create(**payload.validated_data)
        return Response(s.ProductAreaOutputSerializer(area).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Rename or retire a product area (admins)",
        request=s.ProductAreaUpdateInputSerializer,
        responses={200: s.ProductAreaOutputSerializer, **ERRORS},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        area = self.get_object()
        payload = s.ProductAreaUpdateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        area = services.product_area_update(product_area_id=area.pk, **payload.validated_data)
        return Response(s.ProductAreaOutputSerializer(area).data)
