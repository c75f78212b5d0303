"""API v1 for SLA calendars, policies, re-apply jobs and a ticket's SLA (STYLE.md C8).

Configuration is internal: staff read it, admins change it, customers get 403. Writes validate
an *InputSerializer, call one sla.services function and answer with an *OutputSerializer. A
ticket's SLA is reached through tickets.selectors, so a ticket the caller may not see is a 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.api.idempotency import idempotent
from sla import calendars as pure_calendars
from sla import selectors, services
from sla.api import serializers as s
from sla.api.filters import CalendarFilter, PolicyFilter, ReapplyJobFilter
from sla.api.permissions import IsStaffReadAdminWrite
from sla.models import BusinessCalendar, SlaPolicy, SlaReapplyJob
from tickets import selectors as ticket_selectors
from tickets.models import Ticket

ID_LOOKUP = r"[0-9]+"
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Retrying with the same key returns the first answer and writes nothing new.",
)
ERRORS = {
    400: OpenApiResponse(description="Invalid input; field names map to messages."),
    403: OpenApiResponse(description="Only staff read SLA settings; only admins change them."),
    404: OpenApiResponse(description="No such row."),
}
CONFLICT = {409: OpenApiResponse(description="Refused: the row is the default or still in use.")}


@extend_schema_view(
    list=extend_schema(summary="List business calendars (staff)"),
    retrieve=extend_schema(summary="Get a business calendar (staff)"),
)
class CalendarViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Business calendars with weekly hours, holidays and special hours. Edits re-plan open clocks."""

    serializer_class = s.CalendarOutputSerializer
    permission_classes = [IsAuthenticated, IsStaffReadAdminWrite]
    filterset_class = CalendarFilter
    lookup_value_regex = ID_LOOKUP
    ordering_fields = ("name", "updated_at", "id")
    default_ordering = "name"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[BusinessCalendar]:
        if getattr(self, "swagger_fake_view", False):
            return BusinessCalendar.objects.none()
        return selectors.calendar_list()

    def _render(self, calendar_id: int, *, status_code: int = status.HTTP_200_OK) -> Response:
        calendar = selectors.calendar_list().get(pk=calendar_id)
        return Response(s.CalendarOutputSerializer(calendar).data, status=status_code)

    @extend_schema(
        summary="Create a business calendar (admins)",
        request=s.CalendarCreateInputSerializer,
        responses={201: s.CalendarOutputSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = s.CalendarCreateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        calendar = services.calendar_create(actor=request.user, **payload.validated_data)
        return self._render(calendar.pk, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a business calendar (admins)",
        description=(
            "Only the given fields change; a given list (weekly_hours, holidays, special_hours) "
            "replaces every row of that kind. When open clocks count time on the calendar, a "
            "re-plan job is queued (tickets keep their policy versions)."
        ),
        request=s.CalendarUpdateInputSerializer,
        responses={200: s.CalendarOutputSerializer, **ERRORS},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        calendar = self.get_object()
        payload = s.CalendarUpdateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.calendar_update(calendar_id=calendar.pk, actor=request.user, **payload.validated_data)
        return self._render(calendar.pk)

    @extend_schema(
        summary="Delete an unused business calendar (admins)",
        responses={204: None, **ERRORS, **CONFLICT},
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        calendar = self.get_object()
        services.calendar_delete(calendar_id=calendar.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Import public holidays (admins)",
        description="Adds a country's (and subdivision's) public holidays; dates already present keep their names.",
        request=s.HolidayImportInputSerializer,
        responses={200: s.HolidayImportOutputSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @action(detail=True, methods=["post"], url_path="import-holidays")
    @idempotent
    def import_holidays(self, request: Request, pk: str | None = None) -> Response:
        calendar = self.get_object()
        payload = s.HolidayImportInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        added = services.calendar_public_holidays_import(
            calendar_id=calendar.pk, actor=request.user, **payload.validated_data
        )
        calendar = selectors.calendar_list().get(pk=calendar.pk)
        return Response(s.HolidayImportOutputSerializer({"added": added, "calendar": calendar}).data)

    @extend_schema(
        summary="Open intervals between two instants (staff)",
        description="UTC intervals in which the calendar is open, at most 31 days at a time.",
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATETIME, required=True),
            OpenApiParameter("end", OpenApiTypes.DATETIME, required=True),
        ],
        responses={200: s.CalendarPreviewOutputSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def preview(self, request: Request, pk: str | None = None) -> Response:
        calendar = self.get_object()
        query = s.CalendarPreviewQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        pure = services.calendars_load([calendar.pk])[calendar.pk]
        intervals = pure_calendars.open_intervals(
            pure, query.validated_data["start"], query.validated_data["end"]
        )
        body = {
            "calendar": calendar.pk,
            "open_intervals": [{"start": start, "end": end} for start, end in intervals],
            "open_seconds": int(sum((end - start).total_seconds() for start, end in intervals)),
        }
        return Response(s.CalendarPreviewOutputSerializer(body).data)


@extend_schema_view(
    list=extend_schema(
        summary="List SLA policies in matching order (staff)",
        description="The first active policy whose conditions all match a ticket applies; the catch-all last.",
    ),
    retrieve=extend_schema(summary="Get an SLA policy (staff)"),
)
class PolicyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """SLA policies. Editing rules or targets publishes a new version; open tickets keep theirs."""

    serializer_class = s.PolicyOutputSerializer
    permission_classes = [IsAuthenticated, IsStaffReadAdminWrite]
    filterset_class = PolicyFilter
    lookup_value_regex = ID_LOOKUP
    ordering_fields = ("position", "name", "id")
    default_ordering = "position"
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[SlaPolicy]:
        if getattr(self, "swagger_fake_view", False):
            return SlaPolicy.objects.none()
        return selectors.policy_list()

    def _render(self, policy_id: int, *, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(
            s.PolicyOutputSerializer(selectors.policy_list().get(pk=policy_id)).data, status=status_code
        )

    def _matrix(self, policy_id: int, *, published: bool) -> Response:
        policy = SlaPolicy.objects.get(pk=policy_id)
        body = {
            "policy": policy.pk,
            "version": policy.version,
            "published": published,
            "cells": selectors.policy_target_list(policy),
        }
        return Response(s.TargetMatrixOutputSerializer(body).data)

    @extend_schema(
        summary="Create an SLA policy (admins)",
        description="Its matrix starts from the reference targets × tier multipliers; version 1 is published.",
        request=s.PolicyCreateInputSerializer,
        responses={201: s.PolicyOutputSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = s.PolicyCreateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        policy = services.policy_create(actor=request.user, **payload.validated_data)
        return self._render(policy.pk, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change an SLA policy (admins)",
        description=(
            "Rule changes (pause statuses, warning levels, escalation, automatic replies) publish a "
            "new version; conditions and order apply to tickets matched from now on."
        ),
        request=s.PolicyUpdateInputSerializer,
        responses={200: s.PolicyOutputSerializer, **ERRORS},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        policy = self.get_object()
        payload = s.PolicyUpdateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.policy_update(policy_id=policy.pk, actor=request.user, **payload.validated_data)
        return self._render(policy.pk)

    @extend_schema(
        summary="Delete an SLA policy (admins)",
        description=(
            "An unused policy is deleted (204). A policy tickets are on is deactivated instead (200, "
            "the policy). The catch-all default is refused (409)."
        ),
        responses={200: s.PolicyOutputSerializer, 204: None, **ERRORS, **CONFLICT},
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        policy = self.get_object()
        if services.policy_delete(policy_id=policy.pk):
            return Response(status=status.HTTP_204_NO_CONTENT)
        return self._render(policy.pk)

    @extend_schema(
        summary="Set the matching order (admins)",
        description="The listed policies match first, in the listed order; unlisted ones follow; the catch-all last.",
        request=s.PolicyReorderInputSerializer,
        responses={200: s.PolicyOutputSerializer(many=True), **ERRORS},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @action(detail=False, methods=["post"], pagination_class=None, filterset_class=None)
    @idempotent
    def reorder(self, request: Request) -> Response:
        payload = s.PolicyReorderInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.policy_reorder(policy_ids=payload.validated_data["ids"])
        return Response(s.PolicyOutputSerializer(selectors.policy_list(), many=True).data)

    @extend_schema(
        methods=["GET"],
        summary="The policy's target matrix (staff)",
        responses={200: s.TargetMatrixOutputSerializer, **ERRORS},
    )
    @extend_schema(
        methods=["PUT"],
        summary="Replace target cells and publish a new version (admins)",
        description=(
            "Cells not given keep their values. A change publishes a new version for new tickets; "
            "open tickets keep theirs until the policy is re-applied."
        ),
        request=s.TargetMatrixInputSerializer,
        responses={200: s.TargetMatrixOutputSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get", "put"], pagination_class=None, filterset_class=None)
    def targets(self, request: Request, pk: str | None = None) -> Response:
        policy = self.get_object()
        if request.method == "GET":
            return self._matrix(policy.pk, published=False)
        payload = s.TargetMatrixInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        version = services.policy_targets_set(
            policy_id=policy.pk, cells=payload.validated_data["cells"], actor=request.user
        )
        return self._matrix(policy.pk, published=version is not None)

    @extend_schema(
        summary="Fill the whole matrix from base targets × tier multipliers (admins)",
        request=s.FillMatrixInputSerializer,
        responses={200: s.TargetMatrixOutputSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @action(
        detail=True, methods=["post"], url_path="fill-matrix", pagination_class=None, filterset_class=None
    )
    @idempotent
    def fill_matrix(self, request: Request, pk: str | None = None) -> Response:
        policy = self.get_object()
        payload = s.FillMatrixInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        version = services.policy_targets_fill(
            policy_id=policy.pk, actor=request.user, **payload.validated_data
        )
        return self._matrix(policy.pk, published=version is not None)

    @extend_schema(
        summary="The policy's published versions, newest first (staff)",
        responses={200: s.PolicyVersionOutputSerializer(many=True), **ERRORS},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def versions(self, request: Request, pk: str | None = None) -> Response:
        policy = self.get_object()
        rows = selectors.policy_version_list(policy)
        return Response(s.PolicyVersionOutputSerializer(rows, many=True).data)

    @extend_schema(
        summary="Re-apply the policy to its open tickets (admins)",
        description=(
            "Queues a background job that moves every open ticket on this policy to its newest "
            "version (re-matching the policy) and re-plans its clocks. Follow its progress at "
            "/api/v1/sla/reapply-jobs/{id}/."
        ),
        request=None,
        responses={202: s.ReapplyJobOutputSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @action(detail=True, methods=["post"], pagination_class=None, filterset_class=None)
    @idempotent
    def reapply(self, request: Request, pk: str | None = None) -> Response:
        policy = self.get_object()
        job = services.reapply_job_create(actor=request.user, policy=policy)
        return Response(s.ReapplyJobOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(
    list=extend_schema(summary="List re-apply jobs, newest first (staff)"),
    retrieve=extend_schema(summary="A re-apply job and its progress (staff)"),
)
class ReapplyJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.ReapplyJobOutputSerializer
    permission_classes = [IsAuthenticated, IsStaffReadAdminWrite]
    filterset_class = ReapplyJobFilter
    lookup_value_regex = ID_LOOKUP
    ordering_fields = ("created_at", "id")
    default_ordering = "-created_at"

    def get_queryset(self) -> QuerySet[SlaReapplyJob]:
        if getattr(self, "swagger_fake_view", False):
            return SlaReapplyJob.objects.none()
        return selectors.reapply_job_list()


class TicketSlaView(APIView):
    """Every SLA clock of one ticket, as of now, with the timeline that explains each due instant."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="A ticket's SLA clocks, timelines and SLA log",
        description=(
            "Each clock as of now: target, calendar, due instant, elapsed and remaining business "
            "time, breach instants, and a timeline of running / paused (with the reason) / "
            "outside business hours / stopped segments. Customers see the promised targets and "
            "due instants of their own tickets only, and the clock lifecycle without alerts."
        ),
        responses={200: s.TicketSlaOutputSerializer, 404: ERRORS[404]},
    )
    def get(self, request: Request, ticket_pk: int) -> Response:
        try:
            ticket = ticket_selectors.ticket_get_visible(request.user, int(ticket_pk))
        except (Ticket.DoesNotExist, ValueError) as error:
            raise Http404("No such ticket.") from error
        is_agent = bool(request.user.is_agent)
        overview = selectors.ticket_sla_overview(ticket=ticket, is_agent=is_agent, now=timezone.now())
        serializer_class = s.TicketSlaOutputSerializer if is_agent else s.TicketSlaCustomerOutputSerializer
        return Response(serializer_class(overview).data)
