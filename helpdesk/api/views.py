"""API v1 for users, organizations, teams, the caller's API tokens and notifications (STYLE.md C8).

Reads go through helpdesk.selectors (who sees which rows); writes validate an input serializer,
call one service and answer with an output serializer.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from helpdesk import selectors, services
from helpdesk.api import serializers as s
from helpdesk.api.filters import NotificationFilter, OrganizationFilter, UserFilter
from helpdesk.api.idempotency import idempotent
from helpdesk.api.permissions import IsAdminOrReadOnly, IsAgentReadAdminWrite
from helpdesk.models import ApiToken, Notification, Organization, Team, User

ID_LOOKUP = r"[0-9]+"


class ApiTokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """Describe `Authorization: Token hd_…` (or `Bearer hd_…`) in the OpenAPI document."""

    target_class = "helpdesk.api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token hd_…` or `Bearer hd_…`; create tokens at /api/v1/tokens/.",
        }


@extend_schema_view(
    list=extend_schema(
        summary="List users you may see", description="Agents see everyone; customers themself."
    ),
    retrieve=extend_schema(summary="Get a user"),
)
class UserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Users. Admins create and change them; everyone reads the rows their selector allows."""

    serializer_class = s.UserOutputSerializer
    permission_classes = [IsAuthenticated, IsAdminOrReadOnly]
    filterset_class = UserFilter
    lookup_value_regex = ID_LOOKUP
    ordering_fields = ("id", "date_joined")
    default_ordering = "id"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[User]:
        if getattr(self, "swagger_fake_view", False):
            return User.objects.none()
        return selectors.user_list_visible_to(self.request.user)

    @extend_schema(
        summary="Create a user (admins)",
        request=s.UserCreateInputSerializer,
        responses={201: s.UserOutputSerializer},
    )
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = s.UserCreateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        user = services.user_create(**payload.validated_data)
        user = self.get_queryset().get(pk=user.pk)
        return Response(s.UserOutputSerializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a user (admins)",
        request=s.UserUpdateInputSerializer,
        responses={200: s.UserOutputSerializer},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = self.get_object()
        payload = s.UserUpdateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.user_update(user_id=user.pk, **payload.validated_data)
        return Response(s.UserOutputSerializer(self.get_queryset().get(pk=user.pk)).data)

    @extend_schema(summary="The signed-in user", responses={200: s.UserOutputSerializer})
    @action(detail=False, methods=["get"], url_path="me", pagination_class=None, filterset_class=None)
    def me(self, request: Request) -> Response:
        user = self.get_queryset().get(pk=request.user.pk)
        return Response(s.UserOutputSerializer(user).data)


@extend_schema_view(
    list=extend_schema(
        summary="List organizations you may see",
        description="Agents see every organization; a customer only their own, without internal fields.",
    ),
    retrieve=extend_schema(summary="Get an organization"),
)
class OrganizationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.OrganizationOutputSerializer
    permission_classes = [IsAuthenticated, IsAdminOrReadOnly]
    filterset_class = OrganizationFilter
    lookup_value_regex = ID_LOOKUP
    ordering_fields = ("id", "name", "created_at")
    default_ordering = "name"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Organization]:
        if getattr(self, "swagger_fake_view", False):
            return Organization.objects.none()
        return selectors.organization_list_visible_to(self.request.user)

    def get_serializer_class(self) -> type[BaseSerializer]:
        user = self.request.user
        if user.is_authenticated and not user.is_agent:
            return s.OrganizationCustomerOutputSerializer
        return s.OrganizationOutputSerializer

    @extend_schema(
        summary="Create an organization (admins)",
        request=s.OrganizationCreateInputSerializer,
        responses={201: s.OrganizationOutputSerializer},
    )
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = s.OrganizationCreateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        organization = services.organization_create(**payload.validated_data)
        organization = self.get_queryset().get(pk=organization.pk)
        return Response(s.OrganizationOutputSerializer(organization).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change an organization (admins)",
        request=s.OrganizationUpdateInputSerializer,
        responses={200: s.OrganizationOutputSerializer},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        organization = self.get_object()
        payload = s.OrganizationUpdateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.organization_update(organization_id=organization.pk, **payload.validated_data)
        return Response(s.OrganizationOutputSerializer(self.get_queryset().get(pk=organization.pk)).data)


@extend_schema_view(
    list=extend_schema(summary="List teams (staff only)"),
    retrieve=extend_schema(summary="Get a team (staff only)"),
)
class TeamViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.TeamOutputSerializer
    permission_classes = [IsAuthenticated, IsAgentReadAdminWrite]
    lookup_value_regex = ID_LOOKUP
    ordering_fields = ("id", "name", "created_at")
    default_ordering = "name"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Team]:
        if getattr(self, "swagger_fake_view", False):
            return Team.objects.none()
        return selectors.team_list_visible_to(self.request.user)

    @extend_schema(
        summary="Create a team (admins)",
        request=s.TeamCreateInputSerializer,
        responses={201: s.TeamOutputSerializer},
    )
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = s.TeamCreateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        team = services.team_create(**payload.validated_data)
        return Response(
            s.TeamOutputSerializer(self.get_queryset().get(pk=team.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Change a team (admins)",
        request=s.TeamUpdateInputSerializer,
        responses={200: s.TeamOutputSerializer},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        team = self.get_object()
        payload = s.TeamUpdateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.team_update(team_id=team.pk, **payload.validated_data)
        return Response(s.TeamOutputSerializer(self.get_queryset().get(pk=team.pk)).data)


@extend_schema_view(
    list=extend_schema(summary="List your API tokens"),
    retrieve=extend_schema(summary="Get one of your API tokens"),
    destroy=extend_schema(summary="Revoke one of your API tokens", responses={204: None}),
)
class ApiTokenViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """The caller's own API tokens. The secret is returned once, by create; only its hash is kept."""

    serializer_class = s.ApiTokenOutputSerializer
    permission_classes = [IsAuthenticated]
    lookup_value_regex = ID_LOOKUP
    ordering_fields = ("created_at", "id")
    default_ordering = "-created_at"

    def get_queryset(self) -> QuerySet[ApiToken]:
        if getattr(self, "swagger_fake_view", False):
            return ApiToken.objects.none()
        return selectors.api_token_list_for(self.request.user)

    @extend_schema(
        summary="Create an API token",
        description="The response carries the plaintext `token` once; it cannot be shown again.",
        request=s.ApiTokenCreateInputSerializer,
        responses={201: s.ApiTokenCreatedOutputSerializer},
    )
    # Deliberately not @idempotent: replaying the answer would mean storing the plaintext secret
    # in the idempotency table. A retried create makes a second token; revoke the unused one.
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = s.ApiTokenCreateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        token, plaintext = services.api_token_create(user=request.user, **payload.validated_data)
        body = dict(s.ApiTokenOutputSerializer(token).data)
        body["token"] = plaintext
        return Response(body, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        token = self.get_object()
        services.api_token_revoke(token_id=token.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(
        summary="List your notifications, newest first",
        description="Only your own. `unread=true` for the unread ones.",
    ),
)
class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's notification centre: in-app alerts (assignments, mentions, SLA warnings)."""

    serializer_class = s.NotificationOutputSerializer
    permission_classes = [IsAuthenticated]
    filterset_class = NotificationFilter
    ordering_fields = ("created_at", "id")
    default_ordering = "-created_at"

    def get_queryset(self) -> QuerySet[Notification]:
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return selectors.notification_list_for(self.request.user)

    @extend_schema(
        summary="How many of your notifications are unread",
        responses={200: s.NotificationCountOutputSerializer},
    )
    @action(
        detail=False, methods=["get"], url_path="unread-count", pagination_class=None, filterset_class=None
    )
    def unread_count(self, request: Request) -> Response:
        return Response(
            s.NotificationCountOutputSerializer(
                {"unread": selectors.notification_unread_count(request.user)}
            ).data
        )

    @extend_schema(
        summary="Mark notifications read",
        description=(
            "Marks the given ids (yours only; others are ignored), or all of yours when `ids` is left "
            "out. Idempotent: marking read notifications again changes nothing."
        ),
        request=s.NotificationMarkReadInputSerializer,
        responses={200: s.NotificationMarkReadOutputSerializer},
    )
    @action(detail=False, methods=["post"], url_path="mark-read", pagination_class=None, filterset_class=None)
    @idempotent
    def mark_read(self, request: Request) -> Response:
        payload = s.NotificationMarkReadInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        marked = services.notification_mark_read(
            recipient=request.user, notification_ids=payload.validated_data.get("ids")
        )
        body = {"marked": marked, "unread": selectors.notification_unread_count(request.user)}
        return Response(s.NotificationMarkReadOutputSerializer(body).data)
