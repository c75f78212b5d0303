"""Keyset cursor pagination: pages never skip or repeat rows, however many are inserted meanwhile.

The cursor carries the (sort value, id) of the row at the page edge; the next page continues with
a row-value comparison `(field, id) > (value, id)` that Postgres answers from a composite index.
Unlike offset paging, rows inserted before the cursor cannot shift a page.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.db.models import Model, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

if TYPE_CHECKING:
    from rest_framework.views import APIView

DEFAULT_ORDERING_FIELDS: tuple[str, ...] = ("created_at", "updated_at", "id")


class KeysetCursorPagination(BasePagination):
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    ordering_query_param = "ordering"
    page_size = 25
    max_page_size = 100

    def _ordering(self, request: Request, view: APIView | None) -> tuple[str, bool]:
        allowed: Sequence[str] = getattr(view, "ordering_fields", None) or DEFAULT_ORDERING_FIELDS
        default = getattr(view, "default_ordering", "-created_at")
        raw = request.query_params.get(self.ordering_query_param, default)
        field = raw.lstrip("-")
        if field not in allowed:
            raise ValidationError(
                {"ordering": [f"Order by one of: {', '.join(allowed)} (prefix '-' for descending)."]}
            )
        return field, raw.startswith("-")

    def _page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError as error:
            raise ValidationError({"page_size": ["A whole number between 1 and 100."]}) from error
        if size < 1:
            raise ValidationError({"page_size": ["A whole number between 1 and 100."]})
        return min(size, self.max_page_size)

    def _decode(self, raw: str, field: str) -> tuple[bool, Any, int]:
        try:
            padded = raw + "=" * (-len(raw) % 4)
            data = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
            if data["f"] != field or data["d"] not in ("n", "p"):
                raise ValueError("cursor for another ordering")
            return data["d"] == "p", data["v"], int(data["i"])
        except (ValueError, KeyError, TypeError, UnicodeDecodeError, binascii.Error) as error:
            raise ValidationError({"cursor": ["Invalid cursor; start again without one."]}) from error

    @staticmethod
    def _encode(field: str, value: Any, pk: int, *, previous: bool) -> str:
        payload = {"f": field, "d": "p" if previous else "n", "v": value, "i": pk}
        return (
            base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")
        )

    @staticmethod
    def _value_of(row: Model | Mapping[str, Any], field: str) -> Any:
        """Return a row's `field` for a cursor; rows are model instances or `.values()` dicts."""
        value = row[field] if isinstance(row, Mapping) else getattr(row, field)
        return value.isoformat() if hasattr(value, "isoformat") else value

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: APIView | None = None
    ) -> list[Any]:
        field, descending = self._ordering(request, view)
        size = self._page_size(request)
        raw_cursor = request.query_params.get(self.cursor_query_param)
        model_field = queryset.model._meta.get_field(field)
        column = f'"{queryset.model._meta.db_table}"."{model_field.column}"'
        pk_column = f'"{queryset.model._meta.db_table}"."{queryset.model._meta.pk.column}"'
        backwards = False
        if raw_cursor:
            backwards, raw_value, pk = self._decode(raw_cursor, field)
            try:
                value = model_field.to_python(raw_value)
            except Exception as error:
                raise ValidationError({"cursor": ["Invalid cursor; start again without one."]}) from error
            # Walking forward on a descending order, or backward on an ascending one, means "smaller".
            operator = "<" if descending != backwards else ">"
            # Column names come from the model, never from the request; values are bound parameters.
            queryset = queryset.extra(  # noqa: S610
                where=[f"({column}, {pk_column}) {operator} (%s, %s)"], params=[value, pk]
            )
        walk_descending = descending != backwards
        prefix = "-" if walk_descending else ""
        queryset = queryset.order_by(f"{prefix}{field}", f"{prefix}pk")
        rows = list(queryset[: size + 1])
        has_more = len(rows) > size
        rows = rows[:size]
        if backwards:
            rows.reverse()
        self._request = request
        self._field = field
        self._pk_name = queryset.model._meta.pk.attname
        self._rows = rows
        self._has_next = has_more if not backwards else True
        self._has_previous = bool(raw_cursor) and (has_more if backwards else True)
        return rows

    def _link(self, row: Model | Mapping[str, Any], *, previous: bool) -> str:
        url = self._request.build_absolute_uri()
        pk = self._value_of(row, self._pk_name)
        cursor = self._encode(self._field, self._value_of(row, self._field), pk, previous=previous)
        return replace_query_param(url, self.cursor_query_param, cursor)

    def get_next_link(self) -> str | None:
        if not self._has_next or not self._rows:
            return None
        return self._link(self._rows[-1], previous=False)

    def get_previous_link(self) -> str | None:
        if not self._has_previous:
            return None
        if not self._rows:
            return remove_query_param(self._request.build_absolute_uri(), self.cursor_query_param)
        return self._link(self._rows[0], previous=True)

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            OrderedDict(
                [("next", self.get_next_link()), ("previous", self.get_previous_link()), ("results", data)]
            )
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        allowed = getattr(view, "ordering_fields", None) or DEFAULT_ORDERING_FIELDS
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Opaque cursor from a previous page's next/previous link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": "Rows per page, 1-100 (default 25).",
                "schema": {"type": "integer"},
            },
            {
                "name": self.ordering_query_param,
                "required": False,
                "in": "query",
                "description": f"One of {', '.join(allowed)}; prefix '-' for descending.",
                "schema": {"type": "string"},
            },
        ]
