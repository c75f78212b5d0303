"""Load a row and its to-one relations in one SQL statement built from the models, for hot paths.

Compiling an ORM query costs a few hundred microseconds of CPU on every request; on the API's
hottest lookups (the token, the requester of a new ticket) that compile was the larger part of the
work. The statement here is built once per process from the models' metadata, so it follows their
fields, and rows become model instances through `Model.from_db`, as the ORM builds them. Only for
models whose fields need no database converter: `has_converters` lets tests pin that.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, TypeVar, cast

from django.db import connection
from django.db.models import Model

from helpdesk.models import Organization, User

M = TypeVar("M", bound=Model)


@functools.cache
def _columns(model: type[Model]) -> tuple[str, ...]:
    return tuple(field.attname for field in model._meta.concrete_fields)


def select_list(model: type[Model], alias: str) -> str:
    """Return `alias."column", …` for every concrete field of `model`, in `from_db` order."""
    return ", ".join(f'{alias}."{field.column}"' for field in model._meta.concrete_fields)


def instance_at(model: type[M], row: Sequence[Any], start: int) -> tuple[M, int]:
    """Build a `model` instance from `row[start:]`; return it and where the next model's columns start."""
    names = _columns(model)
    end = start + len(names)
    return cast(M, model.from_db(connection.alias, names, row[start:end])), end


def fetch_one(sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    """Run `sql` and return its first row, or None."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def has_converters(model: type[Model]) -> bool:
    """Return whether any field of `model` needs a database converter (then don't load it here)."""
    return any(field.get_db_converters(connection) for field in model._meta.concrete_fields)


def user_select_sql(user_alias: str, organization_alias: str) -> str:
    """Return the select list of a user and their organization (see `user_from_row`)."""
    return f"{select_list(User, user_alias)}, {select_list(Organization, organization_alias)}"


def organization_join_sql(user_alias: str, organization_alias: str) -> str:
    """Return the LEFT JOIN from a user to their organization."""
    organization, user = Organization._meta, User._meta
    return (
        f'LEFT JOIN "{organization.db_table}" {organization_alias} '
        f'ON {organization_alias}."{organization.pk.column}" = {user_alias}."{user.get_field("organization").column}"'
    )


def user_from_row(row: Sequence[Any], start: int) -> User:
    """Build a user with their organization loaded (None when they have none) from `row[start:]`."""
    user, end = instance_at(User, row, start)
    user.organization = None if user.organization_id is None else instance_at(Organization, row, end)[0]
    return user


@functools.cache
def _user_sql() -> str:
    user = User._meta
    return (
        f'SELECT {user_select_sql("u", "o")} FROM "{user.db_table}" u '  # noqa: S608 - names from the models
        f'{organization_join_sql("u", "o")} WHERE u."{user.pk.column}" = %s'
    )


def user_get_with_organization(user_id: int) -> User | None:
    """Return the user with that id and their organization, like `select_related("organization")`."""
    row = fetch_one(_user_sql(), [user_id])
    return None if row is None else user_from_row(row, 0)
