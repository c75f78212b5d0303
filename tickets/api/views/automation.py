"""Macros in the API: list the macros an agent may apply, apply one to a ticket (Idempotency-Key)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.api.idempotency import idempotent
from helpdesk.api.permissions import IsAgent
from tickets import selectors
from tickets.api.serializers import TicketOutputSerializer
from tickets.api.serializers.automation import MacroApplyInputSerializer, MacroOutputSerializer
from tickets.api.views.common import ERRORS, IDEMPOTENCY_HEADER
from tickets.automation.models import Macro
from tickets.automation.selectors import macro_list_visible_to
from tickets.models import Ticket
from tickets.services.macros import macro_apply


@extend_schema_view(
    list=extend_schema(
        summary="List the macros you may apply (staff)",
        description="Your personal macros and the shared ones for everyone or your teams.",
    )
)
class MacroViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = MacroOutputSerializer
    permission_classes = [IsAuthenticated, IsAgent]
    ordering_fields = ("name", "id")
    default_ordering = "name"

    def get_queryset(self) -> QuerySet[Macro]:
        if getattr(self, "swagger_fake_view", False):
            return Macro.objects.none()
        return macro_list_visible_to(self.request.user)


class TicketApplyMacroView(APIView):
    """POST /api/v1/tickets/{id}/apply-macro/: post the macro's reply and perform its actions."""

    permission_classes = [IsAuthenticated, IsAgent]

    @extend_schema(
        summary="Apply a macro to a ticket (staff)",
        description=(
            "Posts the macro's text with its placeholders filled (or `body`) and performs its actions "
            "as you, all or nothing. A refused action answers 400 and nothing is written."
        ),
        request=MacroApplyInputSerializer,
        responses={200: TicketOutputSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @idempotent
    def post(self, request: Request, ticket_pk: int, *args: Any, **kwargs: Any) -> Response:
        try:
            ticket = selectors.ticket_get_visible(request.user, int(ticket_pk))
        except (Ticket.DoesNotExist, ValueError) as error:
            raise Http404("No such ticket.") from error
        payload = MacroApplyInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            macro_apply(
                macro_id=payload.validated_data["macro"],
                ticket_id=ticket.pk,
                actor=request.user,
                body=payload.validated_data.get("body"),
            )
        except Macro.DoesNotExist as error:
            raise serializers.ValidationError(
                {"macro": ["No such macro, or not one you may use."]}
            ) from error
        ticket = selectors.ticket_get_visible(request.user, ticket.pk)
        return Response(
            TicketOutputSerializer(ticket, context={"request": request}).data, status=status.HTTP_200_OK
        )
