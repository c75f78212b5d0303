"""Hand-assembled SQL for the hottest paths: new tickets and events, SLA clocks read, written, re-planned.

Django's save and bulk_create spend more CPU compiling the statement than PostgreSQL spends
running it (about 0.9 ms per bulk_create of a handful of rows). The statement here is assembled from the model's
own fields, once per process, and values are passed as parameters; JSON fields are sent as JSON
text. Only for models whose fields need no per-value preparation beyond that (a test pins it).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any

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


@functools.cache
def _update_statement(
    model: type[models.Model], names: tuple[str, ...]
) -> tuple[str, str, str, tuple[Any, ...]]:
    meta = model._meta
    fields = (meta.pk, *(meta.get_field(name) for name in names))
    row = "(" + ", ".join(f"%s::{field.db_type(connection)}" for field in fields) + ")"
    columns = ", ".join(f'"{field.column}"' for field in fields)
    assignments = ", ".join(f'"{field.column}" = v."{field.column}"' for field in fields[1:])
    pk = meta.pk.column
    head = f'UPDATE "{meta.db_table}" AS t SET {assignments} FROM (VALUES '  # noqa: S608 - names from the model
    tail = f') AS v({columns}) WHERE t."{pk}" = v."{pk}"'
    return head, row, tail, fields


def update_rows(objs: Sequence[models.Model], names: Sequence[str]) -> None:
    """Write the fields `names` of saved instances of one model in one UPDATE … FROM (VALUES …).

    For batches that change a few columns of many rows (SLA clocks after a sweep or a re-plan):
    bulk_update's CASE per column costs more to build and to plan.
    """
    if not objs or not names:
        return
    head, row, tail, fields = _update_statement(type(objs[0]), tuple(sorted(names)))
    values = [
        field.get_db_prep_save(getattr(obj, field.attname), connection) for obj in objs for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(head + ", ".join([row] * len(objs)) + tail, values)


@functools.cache
def _select_statement(model: type[models.Model], column: str) -> tuple[str, tuple[str, ...], tuple[int, ...]]:
    fields = model._meta.concrete_fields
    columns = ", ".join(f'"{field.column}"' for field in fields)
    statement = f'SELECT {columns} FROM "{model._meta.db_table}" WHERE "{column}" = ANY(%s)'  # noqa: S608
    json_at = tuple(index for index, field in enumerate(fields) if isinstance(field, models.JSONField))
    return statement, tuple(field.attname for field in fields), json_at


def select_rows(model: type[models.Model], column: str, keys: Sequence[Any]) -> list[Any]:
    """Return the `model` rows whose `column` is one of `keys`, whole, as saved instances.

    What `model.objects.filter(<column>__in=keys)` returns, without the ORM compiling the query
    on every call (hot path: the SLA re-plan after every ticket write). Unordered.
    """
    statement, attnames, json_at = _select_statement(model, column)
    with connection.cursor() as cursor:
        cursor.execute(statement, [list(keys)])
        rows = cursor.fetchall()
    result = []
    for row in rows:
        values = list(row)
        for index in json_at:
            if isinstance(values[index], str):
                values[index] = json.loads(values[index])
        result.append(model.from_db(connection.alias, attnames, values))
    return result
