"""INSERTs for the hottest write paths: a new ticket, its event, its SLA clocks and their events.

Django's save and bulk_create spend more CPU compiling the statement than PostgreSQL spends
running it (about 0.9 ms per bulk_create of a handful of rows). The statement here is assembled from the model's
own fields, once per process, and values are passed as parameters; JSON fields are sent as JSON
text. Only for models whose fields need no per-value preparation beyond that (a test pins it).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence

from django.db import connection, models


@functools.cache
def _statement(model: type[models.Model]) -> tuple[str, str, tuple[tuple[str, bool], ...]]:
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(f'"{field.column}"' for field in fields)
    row = (
        "("
        + ", ".join("%s::jsonb" if isinstance(field, models.JSONField) else "%s" for field in fields)
        + ")"
    )
    head = f'INSERT INTO "{model._meta.db_table}" ({columns}) VALUES '  # noqa: S608 - names from the model
    return head, row, tuple((field.attname, isinstance(field, models.JSONField)) for field in fields)


def insert_rows(objs: Sequence[models.Model], *, ignore_conflicts: bool = False) -> None:
    """Insert unsaved instances of one model in one statement and set their primary keys.

    With ignore_conflicts, rows that hit a unique index are skipped (and get no primary key).
    """
    if not objs:
        return
    model = type(objs[0])
    head, row, fields = _statement(model)
    values = []
    for obj in objs:
        for attname, is_json in fields:
            value = getattr(obj, attname)
            values.append(json.dumps(value) if is_json else value)
    pk = model._meta.pk.column
    suffix = " ON CONFLICT DO NOTHING" if ignore_conflicts else f' RETURNING "{pk}"'
    with connection.cursor() as cursor:
        cursor.execute(head + ", ".join([row] * len(objs)) + suffix, values)
        if not ignore_conflicts:
            # PostgreSQL returns the rows of INSERT … VALUES in the order given (bulk_create relies on it too).
            for obj, (new_pk,) in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = new_pk
                obj._state.adding = False
                obj._state.db = connection.alias
