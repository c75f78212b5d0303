"""CSV for every metrics table: `?format=csv` on any metrics endpoint."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from rest_framework.renderers import BaseRenderer


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
