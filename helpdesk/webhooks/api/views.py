"""API v1 for webhook subscriptions and the delivery log (STYLE.md C8).

Reads go through helpdesk.webhooks.selectors; writes validate an input serializer, call one
service and answer with an output serializer. A subscription's secret is in the answers to
create and rotate-secret only.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from helpdesk.api.idempotency import idempotent
from helpdesk.webhooks import selectors, services
from helpdesk.webhooks.api import serializers as s
from helpdesk.webhooks.api.filters import WebhookDeliveryFilter, WebhookSubscriptionFilter
from helpdesk.webhooks.api.permissions import CanManageWebhooks
from helpdesk.webhooks.models import WebhookDelivery, WebhookSubscription

ID_LOOKUP = r"[0-9]+"


def _with_secret(subscription: WebhookSubscription, secret: str) -> dict[str, Any]:
    body = dict(s.WebhookSubscriptionOutputSerializer(subscription).data)
    body["secret"] = secret
    return body


@extend_schema_view(
    list=extend_schema(summary="List webhook subscriptions (admins and managers)"),
    retrieve=extend_schema(summary="Get a webhook subscription (admins and managers)"),
    destroy=extend_schema(
        summary="Delete a webhook subscription with its delivery log (admins)", responses={204: None}
    ),
)
class WebhookSubscriptionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """Endpoints that receive signed events. Secrets are never listed."""

    serializer_class = s.WebhookSubscriptionOutputSerializer
    permission_classes = [IsAuthenticated, CanManageWebhooks]
    filterset_class = WebhookSubscriptionFilter
    lookup_value_regex = ID_LOOKUP
    ordering_fields = ("id", "created_at", "updated_at")
    default_ordering = "id"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[WebhookSubscription]:
        if getattr(self, "swagger_fake_view", False):
            return WebhookSubscription.objects.none()
        return selectors.subscription_list_visible_to(self.request.user)

    @extend_schema(
        summary="Create a webhook subscription (admins)",
        description=(
            "The answer carries the signing `secret` once; it is never shown again (rotate it to get "
            "a new one). URLs must be http(s); private and loopback addresses are refused unless the "
            "server allows them (WEBHOOKS_ALLOW_PRIVATE_TARGETS)."
        ),
        request=s.WebhookSubscriptionCreateInputSerializer,
        responses={201: s.WebhookSubscriptionSecretOutputSerializer},
    )
    # Deliberately not @idempotent: replaying the answer would store the secret in the idempotency
    # table. A retried create makes a second subscription; delete the unused one.
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = s.WebhookSubscriptionCreateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        subscription, secret = services.webhook_subscription_create(
            created_by=request.user, **payload.validated_data
        )
        return Response(_with_secret(subscription, secret), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a webhook subscription (admins)",
        description="`is_active: true` re-enables a disabled subscription and resumes its waiting deliveries.",
        request=s.WebhookSubscriptionUpdateInputSerializer,
        responses={200: s.WebhookSubscriptionOutputSerializer},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        subscription = self.get_object()
        payload = s.WebhookSubscriptionUpdateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.webhook_subscription_update(subscription_id=subscription.pk, **payload.validated_data)
        return Response(
            s.WebhookSubscriptionOutputSerializer(self.get_queryset().get(pk=subscription.pk)).data
        )

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        subscription = self.get_object()
        services.webhook_subscription_delete(subscription_id=subscription.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Rotate a subscription's signing secret (admins)",
        description=(
            "Answers with the new `secret` (shown once). With `keep_previous_hours`, deliveries carry "
            "a second signature made with the old secret until then, so receivers can switch over."
        ),
        request=s.WebhookRotateSecretInputSerializer,
        responses={200: s.WebhookSubscriptionSecretOutputSerializer},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        subscription = self.get_object()
        payload = s.WebhookRotateSecretInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        subscription, secret = services.webhook_subscription_rotate_secret(
            subscription_id=subscription.pk,
            keep_previous_for=timedelta(hours=payload.validated_data["keep_previous_hours"]),
        )
        return Response(_with_secret(subscription, secret))


@extend_schema_view(
    list=extend_schema(
        summary="List webhook deliveries, newest first (admins and managers)",
        description="Filter by subscription, ticket, status, event type and creation time.",
    ),
    retrieve=extend_schema(
        summary="Get a delivery with its payload and every attempt's status code",
        responses={200: s.WebhookDeliveryDetailOutputSerializer},
    ),
)
class WebhookDeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The delivery log: one row per event and subscription, with its attempts."""

    serializer_class = s.WebhookDeliveryOutputSerializer
    permission_classes = [IsAuthenticated, CanManageWebhooks]
    filterset_class = WebhookDeliveryFilter
    lookup_value_regex = ID_LOOKUP
    ordering_fields = ("created_at", "id")
    default_ordering = "-created_at"

    def get_queryset(self) -> QuerySet[WebhookDelivery]:
        if getattr(self, "swagger_fake_view", False):
            return WebhookDelivery.objects.none()
        return selectors.delivery_list_visible_to(self.request.user).defer("payload")

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        delivery = self.get_object()
        detail = selectors.delivery_get_visible(request.user, delivery.pk)
        return Response(s.WebhookDeliveryDetailOutputSerializer(detail).data)

    @extend_schema(
        summary="Redeliver (admins)",
        description=(
            "Queues one more attempt now: the same delivery id (X-Helpdesk-Delivery) and payload, "
            "signed afresh. 409 while the subscription is disabled or an attempt is being sent."
        ),
        request=None,
        responses={202: s.WebhookDeliveryOutputSerializer},
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def redeliver(self, request: Request, pk: str | None = None) -> Response:
        delivery = self.get_object()
        delivery = services.webhook_delivery_redeliver(delivery_id=delivery.pk, actor=request.user)
        return Response(s.WebhookDeliveryOutputSerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
