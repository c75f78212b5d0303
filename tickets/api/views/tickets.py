"""Ticket endpoints: list, read, open, change, route, merge, bulk-change and import tickets."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from helpdesk import services as helpdesk_services
from helpdesk.api.idempotency import idempotent
from helpdesk.models import User
from tickets import selectors, services, triage
from tickets.api import serializers as s
from tickets.api.filters import TicketFilter
from tickets.api.permissions import CanActOnTickets
from tickets.api.serializers.ticket_rows import LIST_COLUMNS, ticket_rows_representation
from tickets.api.views.common import ERRORS, ID_LOOKUP, IDEMPOTENCY_HEADER
from tickets.models import Channel, Ticket


def _ticket_output_class(user: User) -> type[s.TicketOutputSerializer]:
    return s.TicketOutputSerializer if user.is_agent else s.TicketCustomerOutputSerializer


@extend_schema_view(
    list=extend_schema(
        summary="List tickets you may see",
        description=(
            "Customers see their own tickets (and their organization's when it shares); staff see all. "
            "Cursor-paginated. For an incremental change feed, pass `updated_since=<last seen "
            "updated_at>&ordering=updated_at` and follow `next` links: the keyset cursor never skips "
            "or repeats a row, however many tickets change meanwhile."
        ),
    ),
    retrieve=extend_schema(
        summary="Get a ticket", responses={200: s.TicketOutputSerializer, 404: ERRORS[404]}
    ),
)
class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Tickets. Customers see fewer fields (no team, no support tier)."""

    serializer_class = s.TicketOutputSerializer
    permission_classes = [IsAuthenticated, CanActOnTickets]
    filterset_class = TicketFilter
    lookup_value_regex = ID_LOOKUP
    ordering_fields = ("created_at", "updated_at", "priority", "id")
    default_ordering = "-created_at"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Ticket]:
        if getattr(self, "swagger_fake_view", False):
            return Ticket.objects.none()
        queryset = selectors.ticket_list_visible_to(self.request.user)
        if self.action == "list":
            # Plain ticket rows, no joins: see tickets/api/serializers/ticket_rows.py. Joining
            # eight tables makes Postgres spend ~15 ms planning each page at a million tickets,
            # 50x the execution time. The page comes from one partial index; people, tags and
            # lookup rows load by id in one more query.
            return queryset.select_related(None).prefetch_related(None).values(*LIST_COLUMNS)  # type: ignore[return-value]
        return queryset

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = ticket_rows_representation(
            list(queryset) if page is None else page,
            request=request,
            shows_routing=_ticket_output_class(request.user).shows_routing,
        )
        return Response(rows) if page is None else self.get_paginated_response(rows)

    def get_serializer_class(self) -> type[BaseSerializer]:
        if getattr(self, "swagger_fake_view", False):
            return s.TicketOutputSerializer
        return _ticket_output_class(self.request.user)

    def _visible_ticket(self) -> Ticket:
        """Return the URL's ticket if visible (404 otherwise), without applying list filters."""
        try:
            return selectors.ticket_get_visible(self.request.user, int(self.kwargs["pk"]))
        except (Ticket.DoesNotExist, ValueError) as error:
            raise Http404("No such ticket.") from error

    def _render(self, ticket_id: int, *, status_code: int = status.HTTP_200_OK) -> Response:
        ticket = selectors.ticket_get_visible(self.request.user, ticket_id)
        serializer = _ticket_output_class(self.request.user)(ticket, context=self.get_serializer_context())
        return Response(serializer.data, status=status_code)

    @extend_schema(
        summary="Open a ticket",
        description=(
            "Customers open tickets for themselves (channel `api`); they may not set team, assignee, "
            "support tier, channel or requester. Staff may give `requester` (a user id) or "
            "`requester_email` (found or created as a customer); without either, the ticket is theirs. "
            "`impact` with `users_affected` sets the severity from the severity matrix."
        ),
        request=s.TicketCreateInputSerializer,
        responses={201: s.TicketOutputSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = s.TicketCreateInputSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        user = request.user
        impact, users_affected = data.pop("impact", None), data.pop("users_affected", None)
        if impact is not None:
            data["severity"] = triage.severity_from_matrix(impact=impact, users_affected=users_affected)
        requester: User = data.pop("requester", None) or user
        email, name = data.pop("requester_email", None), data.pop("requester_name", "")
        data.setdefault("channel", Channel.API)
        tags = data.get("tags", ())
        if email is None:
            ticket = services.ticket_create(requester=requester, actor=user, **data)
        else:
            # Two services: keep the new customer and their ticket in one transaction.
            with transaction.atomic():
                requester = helpdesk_services.customer_get_or_create(email=email, full_name=name)
                ticket = services.ticket_create(requester=requester, actor=user, **data)
        context = self.get_serializer_context()
        if len(tags) <= 1 and ticket.updated_at == ticket.created_at:
            # A new ticket carries exactly the tags it was given; with at most one, their order is
            # known too, so the answer needs no query to read them back. (Unless an automation
            # rule or routing changed it on creation: then updated_at moved and tags are read.)
            context["tag_names"] = {ticket.pk: [tag.name for tag in tags]}
        serializer = _ticket_output_class(user)(ticket, context=context)
        return Response(serializer.data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change ticket fields (staff)",
        description="Only the given fields change, each recorded as an event. Tags by name.",
        request=s.TicketUpdateInputSerializer,
        responses={200: s.TicketOutputSerializer, **ERRORS},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ticket = self._visible_ticket()
        payload = s.TicketUpdateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.ticket_update(ticket_id=ticket.pk, actor=request.user, changes=payload.validated_data)
        return self._render(ticket.pk)

    @extend_schema(
        summary="Change a ticket's status",
        description=(
            "Follows the workflow; a forbidden move answers 400 naming the allowed targets. "
            "Customers may only close or reopen their tickets."
        ),
        request=s.TicketStatusInputSerializer,
        responses={200: s.TicketOutputSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @action(detail=True, methods=["post"], url_path="status")
    @idempotent
    def change_status(self, request: Request, pk: str | None = None) -> Response:
        ticket = self._visible_ticket()
        payload = s.TicketStatusInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.ticket_change_status(
            ticket_id=ticket.pk,
            to=payload.validated_data["status"],
            reason=payload.validated_data.get("reason", ""),
            actor=request.user,
        )
        return self._render(ticket.pk)

    @extend_schema(
        summary="Assign a ticket (staff)",
        request=s.TicketAssignInputSerializer,
        responses={200: s.TicketOutputSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def assign(self, request: Request, pk: str | None = None) -> Response:
        ticket = self._visible_ticket()
        payload = s.TicketAssignInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.ticket_assign(
            ticket_id=ticket.pk, assignee=payload.validated_data["assignee"], actor=request.user
        )
        return self._render(ticket.pk)

    def _handoff(self, request: Request, *, up: bool) -> Response:
        ticket = self._visible_ticket()
        payload = s.TicketEscalateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.ticket_escalate(
            ticket_id=ticket.pk,
            actor=request.user,
            handoff=payload.handoff(),
            to_tier=payload.validated_data.get("to_tier"),
            to_team=payload.validated_data.get("to_team"),
            up=up,
        )
        return self._render(ticket.pk)

    @extend_schema(
        summary="Escalate to the next tier or a team (staff)",
        description="The handoff note is kept as an internal note on the ticket.",
        request=s.TicketEscalateInputSerializer,
        responses={200: s.TicketOutputSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def escalate(self, request: Request, pk: str | None = None) -> Response:
        return self._handoff(request, up=True)

    @extend_schema(
        summary="De-escalate to a lower tier or another team (staff)",
        request=s.TicketEscalateInputSerializer,
        responses={200: s.TicketOutputSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @action(detail=True, methods=["post"], url_path="de-escalate")
    @idempotent
    def de_escalate(self, request: Request, pk: str | None = None) -> Response:
        return self._handoff(request, up=False)

    @extend_schema(
        summary="Merge this duplicate into another ticket (staff)",
        description="Closes this ticket as merged; answers with the ticket it was merged into.",
        request=s.TicketMergeInputSerializer,
        responses={
            200: s.TicketOutputSerializer,
            409: OpenApiResponse(description="Already merged."),
            **ERRORS,
        },
        parameters=[IDEMPOTENCY_HEADER],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def merge(self, request: Request, pk: str | None = None) -> Response:
        ticket = self._visible_ticket()
        payload = s.TicketMergeInputSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        original = services.ticket_merge(
            duplicate_id=ticket.pk, original_id=payload.validated_data["into"], actor=request.user
        )
        return self._render(original.pk)

    @extend_schema(
        summary="Reopen a resolved ticket",
        request=None,
        responses={200: s.TicketOutputSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def reopen(self, request: Request, pk: str | None = None) -> Response:
        ticket = self._visible_ticket()
        services.ticket_reopen(ticket_id=ticket.pk, actor=request.user)
        return self._render(ticket.pk)

    @extend_schema(
        summary="Change many tickets at once (staff), all or nothing",
        request=s.TicketBulkUpdateInputSerializer,
        responses={200: s.TicketOutputSerializer(many=True), **ERRORS},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @action(detail=False, methods=["post"], url_path="bulk", pagination_class=None, filterset_class=None)
    @idempotent
    def bulk_update(self, request: Request) -> Response:
        payload = s.TicketBulkUpdateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        tickets = services.ticket_bulk_update(
            ticket_ids=payload.validated_data["ticket_ids"],
            changes=payload.validated_data["changes"],
            actor=request.user,
        )
        rows = self.get_queryset().filter(pk__in=[ticket.pk for ticket in tickets]).order_by("pk")
        return Response(s.TicketOutputSerializer(rows, many=True, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Import a ticket with its history (admins)",
        description=(
            "Creates the ticket with its historical created_at, replays messages (author by email; "
            "unknown emails become customers) and status changes. Importing the same source and "
            "external_id again answers 200 with the existing ticket; a new import answers 201."
        ),
        request=s.TicketImportInputSerializer,
        responses={200: s.TicketOutputSerializer, 201: s.TicketOutputSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @action(detail=False, methods=["post"], url_path="import", pagination_class=None, filterset_class=None)
    @idempotent
    def import_tickets(self, request: Request) -> Response:
        payload = s.TicketImportInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        messages, statuses = data.pop("messages", []), data.pop("statuses", [])
        source, external_id, created_at = data.pop("source"), data.pop("external_id"), data.pop("created_at")
        email, name = data.pop("requester_email", None), data.pop("requester_name", "")
        with transaction.atomic():
            # Resolving people by email writes customers; keep that in the import's transaction.
            emails = {m.get("author_email") for m in messages} | {st.get("actor_email") for st in statuses}
            people = _users_by_email({address for address in emails if address})
            if email is not None:
                data["requester"] = helpdesk_services.customer_get_or_create(email=email, full_name=name)
            ticket, created = services.ticket_import(
                payload=services.TicketImport(
                    source=source,
                    external_id=external_id,
                    created_at=created_at,
                    fields=data,
                    messages=[
                        services.ImportedMessage(
                            author=people.get((m.get("author_email") or "").lower()),
                            body=m["body"],
                            created_at=m["created_at"],
                            visibility=m["visibility"],
                            is_automatic=m["is_automatic"],
                            external_id=m["external_id"],
                        )
                        for m in messages
                    ],
                    statuses=[
                        services.ImportedStatus(
                            status=st["status"],
                            at=st["at"],
                            actor=people.get((st.get("actor_email") or "").lower()),
                        )
                        for st in statuses
                    ],
                ),
                actor=request.user,
            )
        return self._render(ticket.pk, status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


def _users_by_email(emails: set[str]) -> dict[str, User]:
    """Return users by lower-case email, creating customers for addresses nobody has yet."""
    wanted = {address.strip().lower() for address in emails}
    found = {user.email: user for user in User.objects.filter(email__in=wanted)}
    for address in sorted(wanted - set(found)):
        found[address] = helpdesk_services.customer_get_or_create(email=address)
    return found
