"""CSV downloads of the dashboard pages' tables, written the same way everywhere.

Cells that a spreadsheet would run as a formula (text starting with =, +, -, @, a tab or a
carriage return; customers write survey comments and ticket subjects) get a leading `'`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from django.http import HttpResponse

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Return `value` as a CSV cell: "" for None, ISO 8601 for instants, text defused as above."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]], *, status: int = 200
) -> HttpResponse:
    """Return a CSV download (UTF-8) of `header` and `rows` saved as `filename`."""
    response = HttpResponse(content_type="text/csv; charset=utf-8", status=status)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return response


def csv_errors(errors: Mapping[str, Sequence[str]], *, filename: str = "errors.csv") -> HttpResponse:
    """Return a 400 CSV of field,message lines (what the API's CSV answers to bad parameters)."""
    rows = [(field, message) for field, messages in errors.items() for message in messages]
    return csv_response(filename, ("field", "message"), rows, status=400)
