"""JSON and CSV for every metrics table: `?format=csv` on any metrics endpoint."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

import orjson
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_FALLBACK = JSONEncoder()


class FastJsonRenderer(JSONRenderer):
    """DRF's JSON, written by orjson: a breakdown over 500 organizations is ~0.8 MB of it.

    Types orjson does not know (and datetimes, so they read exactly as elsewhere in the API) go
    through DRF's own encoder; a client asking for indentation gets DRF's renderer.
    """

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if data is None or self.get_indent(accepted_media_type or "", renderer_context or {}):
            return super().render(data, accepted_media_type, renderer_context)
        return orjson.dumps(data, default=_FALLBACK.default, option=orjson.OPT_PASSTHROUGH_DATETIME)


class CsvRenderer(BaseRenderer):
    """Render {"columns": [...], "rows": [{column: value}]} as CSV; anything else (an error) as
    field,message lines."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        if isinstance(data, Mapping) and "columns" in data and "rows" in data:
            columns = list(data["columns"])
            writer.writerow(columns)
            for row in data["rows"]:
                writer.writerow(["" if row.get(column) is None else row.get(column) for column in columns])
        elif isinstance(data, Mapping):
            writer.writerow(["field", "message"])
            for field, messages in data.items():
                for message in messages if isinstance(messages, list) else [messages]:
                    writer.writerow([field, message])
        return buffer.getvalue().encode(self.charset)
