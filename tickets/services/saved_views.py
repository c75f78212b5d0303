"""Saved queue views: an agent's own, or shared with one of their teams."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from helpdesk.exceptions import DomainError, PermissionDeniedError
from helpdesk.models import SavedView, Team, User
from tickets.queues import COLUMNS, FILTER_KEYS, SAVED_VIEW_NAME_MAX, SORTS, team_ids_of


def _check_saved_view(
    *,
    owner: User,
    name: str,
    team: Team | None,
    filters: Mapping[str, Any],
    columns: Sequence[str],
    sort: str,
) -> str:
    errors: dict[str, list[str]] = {}
    name = " ".join(name.split())
    if not name:
        errors["name"] = ["Give the view a name."]
    elif len(name) > SAVED_VIEW_NAME_MAX:
        errors["name"] = [f"A name has at most {SAVED_VIEW_NAME_MAX} characters."]
    unknown = sorted(set(filters) - FILTER_KEYS)
    if unknown:
        errors["filters"] = [f"Unknown filter '{key}'." for key in unknown]
    bad_columns = sorted(set(columns) - set(COLUMNS))
    if bad_columns:
        errors["columns"] = [f"Unknown column '{key}'." for key in bad_columns]
    if sort and sort not in SORTS:
        errors["sort"] = [f"Unknown sort '{sort}'."]
    if team is not None and team.pk not in team_ids_of(owner):
        errors["team"] = ["You can only share a view with a team you belong to."]
    if errors:
        raise DomainError("Invalid saved view.", field_errors=errors)
    return name


@transaction.atomic
def saved_view_create(
    *,
    owner: User,
    name: str,
    filters: Mapping[str, Any],
    columns: Sequence[str],
    sort: str = "",
    team: Team | None = None,
    now: datetime | None = None,
) -> SavedView:
    """Keep a queue view for `owner` (private) or share it with one of their teams.

    Raises DomainError for unknown filters, columns or sorts, a team the owner is not in, or a
    name the owner already uses (names are unique per owner, ignoring case).
    """
    if not owner.is_agent:
        raise PermissionDeniedError("Only agents keep queue views.")
    name = _check_saved_view(owner=owner, name=name, team=team, filters=filters, columns=columns, sort=sort)
    now = now or timezone.now()
    try:
        with transaction.atomic():
            return SavedView.objects.create(
                owner=owner,
                name=name,
                team=team,
                filters=dict(filters),
                columns=list(columns),
                sort=sort,
                created_at=now,
                updated_at=now,
            )
    except IntegrityError as error:
        raise DomainError(
            "Name taken.", field_errors={"name": [f"You already have a view named “{name}”."]}
        ) from error


def _lock_own(saved_view_id: int, actor: User) -> SavedView:
    saved = SavedView.objects.select_for_update(of=("self",)).get(pk=saved_view_id)
    if saved.owner_id != actor.pk:
        raise PermissionDeniedError("Only the view's owner can change it.")
    return saved


@transaction.atomic
def saved_view_rename(
    *, saved_view_id: int, actor: User, name: str, now: datetime | None = None
) -> SavedView:
    """Rename one of the actor's own views.

    Raises SavedView.DoesNotExist, PermissionDeniedError for someone else's view, DomainError for
    an empty or taken name.
    """
    saved = _lock_own(saved_view_id, actor)
    saved.name = _check_saved_view(
        owner=actor, name=name, team=saved.team, filters=saved.filters, columns=saved.columns, sort=saved.sort
    )
    saved.updated_at = now or timezone.now()
    try:
        with transaction.atomic():
            saved.save(update_fields=["name", "updated_at"])
    except IntegrityError as error:
        raise DomainError(
            "Name taken.", field_errors={"name": [f"You already have a view named “{saved.name}”."]}
        ) from error
    return saved


@transaction.atomic
def saved_view_delete(*, saved_view_id: int, actor: User) -> None:
    """Delete one of the actor's own views; PermissionDeniedError for someone else's."""
    _lock_own(saved_view_id, actor).delete()
