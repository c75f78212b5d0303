"""API v1 for metrics: summaries, series, breakdowns, the arrivals heatmap, live figures, targets.

Read-only, staff only (customers get 403). Every endpoint reads rollup or snapshot rows through
metrics.reporting.selectors, never tickets; `?format=csv` returns the same table as CSV.
Bad parameters are a 400 with field errors. Bodies are built as plain dicts in the shape of the
*OutputSerializer classes, which document them in the OpenAPI schema (a breakdown by
organization holds 500 × 30 figures: running them through serializers costs more than the query).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from metrics.api import serializers as s
from metrics.api.permissions import CanReadMetrics
from metrics.api.renderers import CsvRenderer, FastJsonRenderer
from metrics.reporting import formulas, selectors
from metrics.reporting.formulas import FIGURE_NAMES, Figure
from metrics.reporting.periods import Window

ERRORS = {
    400: OpenApiResponse(description="Invalid parameters; field names map to messages."),
    403: OpenApiResponse(description="Only support staff read metrics."),
}
CSV_PARAMETER = OpenApiParameter(
    "format", str, enum=["json", "csv"], description="csv: the same table as a CSV download."
)


def _window(window: Window) -> dict[str, Any]:
    return {"start": window.start, "end": window.end, "days": window.days}


def _figure(figure: Figure) -> dict[str, Any]:
    return {
        "name": figure.name,
        "label": figure.label,
        "value": figure.value,
        "unit": figure.unit,
        "tone": str(figure.tone),
        "tone_words": figure.tone_words,
        "target": figure.target,
        "target_key": figure.target_key,
        "sample": figure.sample,
        "previous": figure.previous,
    }


def _figures(figures: Mapping[str, Figure]) -> list[dict[str, Any]]:
    return [_figure(figure) for figure in figures.values()]


def _slice(value: selectors.Slice) -> dict[str, Any]:
    return {"dimension": value.dimension, "key": value.key, "label": value.label}


class MetricsViewSet(viewsets.ViewSet):
    """Support metrics from the rollups (docs/metrics.md defines every figure)."""

    permission_classes = [IsAuthenticated, CanReadMetrics]
    renderer_classes = [FastJsonRenderer, BrowsableAPIRenderer, CsvRenderer]

    def _input(self, serializer_class: type[s.serializers.Serializer], request: Request) -> dict[str, Any]:
        payload = serializer_class(data=request.query_params, context={"today": timezone.now().date()})
        payload.is_valid(raise_exception=True)
        return dict(payload.validated_data)

    def _is_csv(self, request: Request) -> bool:
        return getattr(request.accepted_renderer, "format", "") == "csv"

    def _csv(self, name: str, columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> Response:
        return Response(
            {"columns": list(columns), "rows": list(rows)},
            headers={"Content-Disposition": f'attachment; filename="metrics-{name}.csv"'},
        )

    @extend_schema(
        summary="Every figure of one slice over a window (staff)",
        parameters=[s.MetricQueryInputSerializer, CSV_PARAMETER],
        responses={200: s.SummaryOutputSerializer, **ERRORS},
    )
    @action(detail=False, methods=["get"])
    def summary(self, request: Request) -> Response:
        params = self._input(s.MetricQueryInputSerializer, request)
        result = selectors.summary(
            window=params["window"], dimension=params["dimension"], key=params["key"], now=timezone.now()
        )
        window = result.window
        if self._is_csv(request):
            columns = ("metric", "label", "value", "unit", "tone", "target", "sample", "previous")
            rows = (
                {
                    "metric": figure.name,
                    "label": figure.label,
                    "value": figure.value,
                    "unit": figure.unit,
                    "tone": str(figure.tone),
                    "target": figure.target,
                    "sample": figure.sample,
                    "previous": figure.previous,
                }
                for figure in result.figures.values()
            )
            return self._csv(f"summary-{window.start}-{window.end}", columns, rows)
        body = {"window": _window(window), "slice": _slice(result.slice), "figures": _figures(result.figures)}
        return Response(body)

    @extend_schema(
        summary="Figures per day, week or month of a window (staff)",
        parameters=[s.SeriesInputSerializer, CSV_PARAMETER],
        responses={200: s.SeriesOutputSerializer, **ERRORS},
    )
    @action(detail=False, methods=["get"])
    def series(self, request: Request) -> Response:
        params = self._input(s.SeriesInputSerializer, request)
        names = params.get("metrics") or FIGURE_NAMES
        points = selectors.series(
            window=params["window"],
            interval=params["interval"],
            dimension=params["dimension"],
            key=params["key"],
            names=names,
        )
        window = params["window"]
        if self._is_csv(request):
            rows = (
                {"start": p.window.start, "end": p.window.end, **{n: p.figures[n].value for n in names}}
                for p in points
            )
            return self._csv(
                f"series-{params['interval']}-{window.start}-{window.end}", ("start", "end", *names), rows
            )
        labels = selectors.slice_labels(params["dimension"], [params["key"]])
        body = {
            "window": _window(window),
            "slice": {"dimension": params["dimension"], "key": params["key"], "label": labels[params["key"]]},
            "interval": params["interval"],
            "points": [
                {"window": _window(point.window), "figures": _figures(point.figures)} for point in points
            ],
        }
        return Response(body)

    @extend_schema(
        summary="Figures for every slice of a dimension (staff)",
        description=(
            "dimension=priority gives the priority distribution (share_of_created). Without `metrics`, "
            "every figure but the medians and 90th percentiles (ask for them by name)."
        ),
        parameters=[s.BreakdownInputSerializer, CSV_PARAMETER],
        responses={200: s.BreakdownOutputSerializer, **ERRORS},
    )
    @action(detail=False, methods=["get"])
    def breakdown(self, request: Request) -> Response:
        params = self._input(s.BreakdownInputSerializer, request)
        names = params.get("metrics") or formulas.BREAKDOWN_NAMES
        rules = selectors.target_rules()
        rows = selectors.breakdown_table(
            window=params["window"], dimension=params["dimension"], names=names, rules=rules
        )
        window = params["window"]
        if self._is_csv(request):
            columns = ("dimension", "key", "label", "share_of_created", *names)
            table = (
                {
                    "dimension": row.slice.dimension,
                    "key": row.slice.key,
                    "label": row.slice.label,
                    "share_of_created": row.share_of_created,
                    **row.values,
                }
                for row in rows
            )
            return self._csv(f"breakdown-{params['dimension']}-{window.start}-{window.end}", columns, table)
        # One definition per figure, then compact rows: a breakdown by organization has 500 of them.
        definitions = formulas.figures(selectors.empty_measures(), rules=rules, names=names)
        body = {
            "window": _window(window),
            "dimension": params["dimension"],
            "figures": [
                {
                    "name": figure.name,
                    "label": figure.label,
                    "unit": figure.unit,
                    "target": figure.target,
                    "target_key": figure.target_key,
                }
                for figure in definitions.values()
            ],
            "rows": [
                {
                    "slice": _slice(row.slice),
                    "share_of_created": row.share_of_created,
                    "values": row.values,
                    "tones": row.tones,
                    "samples": row.samples,
                }
                for row in rows
            ],
        }
        return Response(body)

    @extend_schema(
        summary="Ticket arrivals by weekday and hour of day (staff)",
        description="To choose business hours from data; hours are local to `tz`.",
        parameters=[s.HeatmapInputSerializer, CSV_PARAMETER],
        responses={200: s.HeatmapOutputSerializer, **ERRORS},
    )
    @action(detail=False, methods=["get"])
    def heatmap(self, request: Request) -> Response:
        params = self._input(s.HeatmapInputSerializer, request)
        result = selectors.heatmap(
            window=params["window"], dimension=params["dimension"], key=params["key"], time_zone=params["tz"]
        )
        if self._is_csv(request):
            hours = [f"h{hour:02d}" for hour in range(24)]
            rows = (
                {"weekday": weekday, **dict(zip(hours, cells, strict=True))}
                for weekday, cells in zip(selectors.WEEKDAYS, result.cells, strict=True)
            )
            return self._csv(f"heatmap-{result.window.start}-{result.window.end}", ("weekday", *hours), rows)
        body = {
            "window": _window(result.window),
            "slice": _slice(result.slice),
            "time_zone": result.time_zone,
            "weekdays": list(selectors.WEEKDAYS),
            "cells": [list(row) for row in result.cells],
            "total": result.total,
        }
        return Response(body)

    @extend_schema(
        summary="Live figures: backlog by age, queue depth, breached and at risk now (staff)",
        parameters=[s.LiveInputSerializer, CSV_PARAMETER],
        responses={200: s.LiveOutputSerializer, **ERRORS},
    )
    @action(detail=False, methods=["get"])
    def live(self, request: Request) -> Response:
        params = self._input(s.LiveInputSerializer, request)
        result = selectors.live(dimension=params["dimension"])
        if self._is_csv(request):
            ages = [f"age_{name}" for name in selectors.AGE_BUCKETS]
            columns = ("dimension", "key", "label", "open", "unassigned", "waiting", "backlog", *ages)
            columns += ("breached", "at_risk", "severe")
            table = (
                {
                    "dimension": row.slice.dimension,
                    "key": row.slice.key,
                    "label": row.slice.label,
                    "open": row.open,
                    "unassigned": row.unassigned,
                    "waiting": row.waiting,
                    "backlog": row.backlog,
                    **{f"age_{name}": count for name, count in row.ages.items()},
                    "breached": row.breached,
                    "at_risk": row.at_risk,
                    "severe": row.severe,
                }
                for row in result.rows
            )
            return self._csv(f"live-{params['dimension']}", columns, table)
        body = {
            "computed_at": result.computed_at,
            "dimension": params["dimension"],
            "rows": [
                {
                    "slice": _slice(row.slice),
                    "open": row.open,
                    "unassigned": row.unassigned,
                    "waiting": row.waiting,
                    "backlog": row.backlog,
                    "ages": dict(row.ages),
                    "breached": row.breached,
                    "at_risk": row.at_risk,
                    "severe": row.severe,
                    "figures": _figures(row.figures),
                }
                for row in result.rows
            ],
        }
        return Response(body)

    @extend_schema(
        summary="Targets and warning levels that colour the figures (staff; admins edit them in the admin)",
        parameters=[CSV_PARAMETER],
        responses={200: s.TargetOutputSerializer(many=True), **ERRORS},
    )
    @action(detail=False, methods=["get"])
    def targets(self, request: Request) -> Response:
        rules = list(selectors.target_rules().values())
        data = s.TargetOutputSerializer(rules, many=True).data
        if self._is_csv(request):
            columns = ("key", "label", "unit", "good_min", "good_max", "warn_min", "warn_max")
            return self._csv("targets", (*columns, "compare_to_previous", "description", "source"), data)
        return Response(data)
