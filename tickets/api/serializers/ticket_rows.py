"""The ticket list's rendering: plain rows in, the same JSON as TicketOutputSerializer out.

The list is the API's hottest path. Building model instances for a page (tickets, two users
each, prefetched lookups) and walking them cost more CPU than the database spends, so the list
reads `.values()` rows of the ticket table alone and fetches people, tags and the small lookup
rows (organization, team, category, product area) for the whole page in one more query. tests/tickets/api/test_ticket_list.py pins that every row
equals what TicketOutputSerializer / TicketCustomerOutputSerializer render for the same ticket.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any

from django.db import connection
from django.utils import timezone

from helpdesk.models import Organization, Team, User
from tickets.api.serializers.fields import ticket_url_parts
from tickets.models import Category, ProductArea, Tag, Ticket

# The ticket's own columns a list row needs; people and lookups come in the second query.
LIST_COLUMNS = (
    "id",
    "subject",
    "description",
    "description_html",
    "requester_id",
    "organization_id",
    "priority",
    "severity",
    "category_id",
    "product_area_id",
    "channel",
    "team_id",
    "assignee_id",
    "support_tier",
    "status",
    "close_reason",
    "merged_into_id",
    "external_id",
    "source",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "reopened_count",
    "message_count",
    "created_at",
    "updated_at",
)


@functools.cache
def _related_sql() -> str:
    tags = Ticket._meta.get_field("tags")
    through = tags.remote_field.through._meta  # type: ignore[union-attr]
    ticket_column, tag_column = tags.m2m_column_name(), tags.m2m_reverse_name()  # type: ignore[attr-defined]
    category = Category._meta.db_table
    # Tag names sort in the database, as the ORM's prefetch (Tag.Meta.ordering) does: the
    # database collation, not Python's, decides their order.
    return (
        f"SELECT 'g', link.{ticket_column}, tag.name, NULL FROM {through.db_table} link "  # noqa: S608 - names from the models
        f"JOIN {Tag._meta.db_table} tag ON tag.id = link.{tag_column} WHERE link.{ticket_column} = ANY(%s::bigint[]) "
        f"UNION ALL SELECT 'u', id, email, full_name FROM {User._meta.db_table} WHERE id = ANY(%s::bigint[]) "
        f"UNION ALL SELECT 'o', id, name, tier FROM {Organization._meta.db_table} WHERE id = ANY(%s::bigint[]) "
        f"UNION ALL SELECT 't', id, name, NULL FROM {Team._meta.db_table} WHERE id = ANY(%s::bigint[]) "
        f"UNION ALL SELECT 'c', child.id, child.name, parent.name FROM {category} child "
        f"LEFT JOIN {category} parent ON parent.id = child.parent_id WHERE child.id = ANY(%s::bigint[]) "
        f"UNION ALL SELECT 'a', id, name, NULL FROM {ProductArea._meta.db_table} WHERE id = ANY(%s::bigint[]) "
        "ORDER BY 1, 3"
    )


def _distinct(rows: Iterable[Mapping[str, Any]], column: str) -> list[int]:
    return list({row[column] for row in rows if row[column] is not None})


def _related(rows: Sequence[Mapping[str, Any]]) -> dict[str, dict[int, Any]]:
    """Return tag names by ticket id and summaries of people, organizations, teams, categories and areas."""
    found: dict[str, dict[int, Any]] = {"g": {}, "u": {}, "o": {}, "t": {}, "c": {}, "a": {}}
    if not rows:
        return found
    people = {row["requester_id"] for row in rows} | {row["assignee_id"] for row in rows}
    params = [
        [row["id"] for row in rows],
        [pk for pk in people if pk is not None],
        _distinct(rows, "organization_id"),
        _distinct(rows, "team_id"),
        _distinct(rows, "category_id"),
        _distinct(rows, "product_area_id"),
    ]
    with connection.cursor() as cursor:
        cursor.execute(_related_sql(), params)
        fetched = cursor.fetchall()
    tags, people, organizations, teams, categories, areas = (found[kind] for kind in "guotca")
    for kind, pk, name, extra in fetched:
        if kind == "g":
            tags.setdefault(pk, []).append(name)
        elif kind == "u":
            people[pk] = {"id": pk, "email": name, "full_name": extra}
        elif kind == "o":
            organizations[pk] = {"id": pk, "name": name, "tier": extra}
        elif kind == "t":
            teams[pk] = {"id": pk, "name": name}
        elif kind == "c":
            categories[pk] = {"id": pk, "name": name, "path": name if extra is None else f"{extra} / {name}"}
        else:
            areas[pk] = {"id": pk, "name": name}
    return found


def _when(value: datetime | None, zone: tzinfo) -> str | None:
    """Format like DRF's DateTimeField: ISO 8601 in the current time zone, 'Z' for UTC."""
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def ticket_rows_representation(
    rows: Sequence[Mapping[str, Any]], *, request: Any, shows_routing: bool
) -> list[dict[str, Any]]:
    """Render list rows (`LIST_COLUMNS`) as TicketOutputSerializer would render those tickets.

    `shows_routing` False drops team and support tier, as TicketCustomerOutputSerializer does.
    Runs one query (tags and lookups) for the whole page.
    """
    related = _related(rows)
    tags, people, organizations, teams, categories, areas = (related[kind] for kind in "guotca")
    zone = timezone.get_current_timezone()
    head, tail = ticket_url_parts()
    base = request.build_absolute_uri(head) if request is not None else head
    rendered = []
    for row in rows:
        pk = row["id"]
        body: dict[str, Any] = {
            "id": pk,
            "subject": row["subject"],
            "description": row["description"],
            "description_html": row["description_html"],
            "requester": people[row["requester_id"]],
            "organization": organizations.get(row["organization_id"]),
            "priority": row["priority"],
            "severity": row["severity"],
            "category": categories.get(row["category_id"]),
            "product_area": areas.get(row["product_area_id"]),
            "tags": tags.get(pk, []),
            "channel": row["channel"],
        }
        if shows_routing:
            body["team"] = teams.get(row["team_id"])
        body["assignee"] = people.get(row["assignee_id"])
        if shows_routing:
            body["support_tier"] = row["support_tier"]
        body["status"] = row["status"]
        body["close_reason"] = row["close_reason"]
        body["merged_into"] = row["merged_into_id"]
        body["external_id"] = row["external_id"]
        body["source"] = row["source"]
        body["first_response_at"] = _when(row["first_response_at"], zone)
        body["resolved_at"] = _when(row["resolved_at"], zone)
        body["closed_at"] = _when(row["closed_at"], zone)
        body["reopened_count"] = row["reopened_count"]
        body["message_count"] = row["message_count"]
        body["created_at"] = _when(row["created_at"], zone)
        body["updated_at"] = _when(row["updated_at"], zone)
        body["url"] = f"{base}{pk}{tail}"
        rendered.append(body)
    return rendered
