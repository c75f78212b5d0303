"""A ticket's conversation and history: messages, event log, links and attachment downloads.

Each route resolves its parent ticket through the visibility selector, so a hidden ticket is a 404.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from helpdesk.api.idempotency import idempotent
from helpdesk.api.permissions import IsAgent
from tickets import selectors, services
from tickets.api import serializers as s
from tickets.api.views.common import ERRORS, IDEMPOTENCY_HEADER
from tickets.downloads import attachment_response
from tickets.models import Channel, Ticket, TicketEvent, TicketLink, TicketMessage


def _clean_filename(name: str) -> str:
    """Drop path parts and control characters (NUL included) from a client-given file name."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    return cleaned[:255] or "attachment"


class _TicketChildMixin:
    """Resolve the parent ticket from the URL through the visibility selector (404 if hidden)."""

    kwargs: dict[str, Any]
    request: Request

    def get_ticket(self) -> Ticket:
        if not hasattr(self, "_ticket"):
            try:
                self._ticket = selectors.ticket_get_visible(self.request.user, int(self.kwargs["ticket_pk"]))
            except (Ticket.DoesNotExist, ValueError) as error:
                raise Http404("No such ticket.") from error
        return self._ticket


@extend_schema_view(
    list=extend_schema(
        summary="List a ticket's messages",
        description="Customers never see internal notes.",
        responses={200: s.MessageOutputSerializer(many=True), 404: ERRORS[404]},
    ),
)
class TicketMessageViewSet(_TicketChildMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.MessageOutputSerializer
    permission_classes = [IsAuthenticated]
    ordering_fields = ("created_at", "id")
    default_ordering = "created_at"

    def get_queryset(self) -> QuerySet[TicketMessage]:
        if getattr(self, "swagger_fake_view", False):
            return TicketMessage.objects.none()
        return selectors.message_list_visible_to(self.request.user, self.get_ticket())

    @extend_schema(
        summary="Reply or add an internal note",
        description=(
            "JSON without files, or multipart/form-data with one or more `attachments` files. "
            "Customers may only write public replies (an internal note answers 403)."
        ),
        request={
            "application/json": s.MessageCreateInputSerializer,
            "multipart/form-data": s.MessageCreateInputSerializer,
        },
        responses={201: s.MessageOutputSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ticket = self.get_ticket()
        payload = s.MessageCreateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        uploads = [
            services.UploadedFile(
                filename=_clean_filename(upload.name or ""),
                content_type=(upload.content_type or "application/octet-stream")[:120],
                content=upload.read(),
            )
            for upload in data.get("attachments", [])
        ]
        message = services.message_create(
            ticket_id=ticket.pk,
            author=request.user,
            body=data["body"],
            visibility=data["visibility"],
            cc=data.get("cc", []),
            attachments=uploads,
            channel=Channel.API,
        )
        message = self.get_queryset().get(pk=message.pk)
        return Response(
            s.MessageOutputSerializer(message, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema_view(
    list=extend_schema(
        summary="List a ticket's event log",
        description="Customers see only customer-facing events, with routing details removed.",
        responses={200: s.EventOutputSerializer(many=True), 404: ERRORS[404]},
    ),
)
class TicketEventViewSet(_TicketChildMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.EventOutputSerializer
    permission_classes = [IsAuthenticated]
    ordering_fields = ("occurred_at", "id")
    default_ordering = "occurred_at"

    def get_queryset(self) -> QuerySet[TicketEvent]:
        if getattr(self, "swagger_fake_view", False):
            return TicketEvent.objects.none()
        return selectors.event_list_visible_to(self.request.user, self.get_ticket())

    def get_serializer_class(self) -> type[BaseSerializer]:
        if getattr(self, "swagger_fake_view", False) or self.request.user.is_agent:
            return s.EventOutputSerializer
        return s.EventCustomerOutputSerializer


@extend_schema_view(
    list=extend_schema(summary="List a ticket's links (staff)"),
    destroy=extend_schema(summary="Remove a link (staff)", responses={204: None, **ERRORS}),
)
class TicketLinkViewSet(
    _TicketChildMixin, mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    serializer_class = s.LinkOutputSerializer
    permission_classes = [IsAuthenticated, IsAgent]
    ordering_fields = ("created_at", "id")
    default_ordering = "created_at"

    def get_queryset(self) -> QuerySet[TicketLink]:
        if getattr(self, "swagger_fake_view", False):
            return TicketLink.objects.none()
        return selectors.link_list_for(self.get_ticket())

    @extend_schema(
        summary="Link this ticket to another (staff)",
        request=s.LinkCreateInputSerializer,
        responses={201: s.LinkOutputSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ticket = self.get_ticket()
        payload = s.LinkCreateInputSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        link = services.ticket_link(
            from_id=ticket.pk,
            to_id=payload.validated_data["to_ticket"],
            kind=payload.validated_data["kind"],
            actor=request.user,
        )
        return Response(s.LinkOutputSerializer(link).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        link = self.get_object()
        services.ticket_unlink(link_id=link.pk, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AnyMediaRenderer(BaseRenderer):
    """Lets clients ask for `application/octet-stream` (or anything) from the download route."""

    media_type = "*/*"
    format = "bin"
    charset = None

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        return JSONRenderer().render(data)


class AttachmentDownloadView(APIView):
    """Stream an attachment whose ticket and message the caller may see (404 otherwise)."""

    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer, AnyMediaRenderer]

    @extend_schema(
        summary="Download an attachment",
        description="Answers 404 for attachments of internal notes unless you are staff.",
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            404: ERRORS[404],
        },
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        return attachment_response(request.user, pk)
