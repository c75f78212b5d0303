"""What rules and macros do: the action vocabulary, its JSON format, validation and wording. Pure.

A list of actions, each an object with a "type":

    {"type": "set", "field": "category", "value": 12}        status, priority, severity, support_tier,
                                                            category, product_area, team, assignee
    {"type": "add_tags", "tags": ["vip"]}   {"type": "remove_tags", "tags": ["new"]}
    {"type": "route", "team": 4}            move to a team (null: keep it) and assign by its strategy
    {"type": "assign", "user": 7}           a named agent (null: unassign)
    {"type": "escalate", "to_tier": "l2", "team": null, "summary": "…"}   next tier when to_tier is null
    {"type": "notify", "to": ["assignee", "team_lead", "team", "managers"], "message": "…"}
    {"type": "add_note", "body": "…"}       internal note by the system, {{ placeholders }} allowed
    {"type": "reply", "body": "…"} or {"type": "reply", "canned_response": 3}   public, automatic
    {"type": "suggest_article", "title": "Password Reset Guide", "url": "/help/articles/reset-your-password/"}
    {"type": "webhook", "endpoint": 3}      a signed POST to a webhook configured on the Webhooks page

Performing them is tickets.automation.executor's job (through tickets.services); rows the ids
name are checked by tickets.automation.rules when a rule or macro is saved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tickets.automation.conditions import RuleFormatError
from tickets.automation.placeholders import unknown_placeholders
from tickets.automation.snapshot import PRIORITIES, SEVERITIES, TICKET_STATUSES, TIERS

MAX_ACTIONS = 20
MAX_TEXT = 10_000

CHOICE_FIELDS: Mapping[str, tuple[str, ...]] = {
    "status": TICKET_STATUSES,
    "priority": PRIORITIES,
    "severity": SEVERITIES,
    "support_tier": TIERS,
}
ID_FIELDS = ("category", "product_area", "team", "assignee")
RECIPIENTS = ("assignee", "team_lead", "team", "managers")


@dataclass(frozen=True, slots=True)
class SetField:
    field: str
    value: Any  # a choice value, or a row id / None for ID_FIELDS


@dataclass(frozen=True, slots=True)
class AddTags:
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RemoveTags:
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Route:
    team: int | None


@dataclass(frozen=True, slots=True)
class Assign:
    user: int | None


@dataclass(frozen=True, slots=True)
class Escalate:
    to_tier: str | None
    team: int | None
    summary: str


@dataclass(frozen=True, slots=True)
class Notify:
    to: tuple[str, ...]
    message: str


@dataclass(frozen=True, slots=True)
class AddNote:
    body: str


@dataclass(frozen=True, slots=True)
class Reply:
    body: str
    canned_response: int | None


@dataclass(frozen=True, slots=True)
class SuggestArticle:
    title: str
    url: str


@dataclass(frozen=True, slots=True)
class Webhook:
    endpoint: int  # a helpdesk webhook subscription that accepts automation calls


Action = (
    SetField
    | AddTags
    | RemoveTags
    | Route
    | Assign
    | Escalate
    | Notify
    | AddNote
    | Reply
    | SuggestArticle
    | Webhook
)

_KEYS: Mapping[str, frozenset[str]] = {
    "set": frozenset({"field", "value"}),
    "add_tags": frozenset({"tags"}),
    "remove_tags": frozenset({"tags"}),
    "route": frozenset({"team"}),
    "assign": frozenset({"user"}),
    "escalate": frozenset({"to_tier", "team", "summary"}),
    "notify": frozenset({"to", "message"}),
    "add_note": frozenset({"body"}),
    "reply": frozenset({"body", "canned_response"}),
    "suggest_article": frozenset({"title", "url"}),
    "webhook": frozenset({"endpoint"}),
}
ACTION_TYPES = tuple(_KEYS)


class _Invalid(Exception):
    def __init__(self, key: str, message: str) -> None:
        self.key, self.message = key, message


def _row_id(raw: Any, key: str, *, nullable: bool) -> int | None:
    if raw is None and nullable:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise _Invalid(key, "Give a row id" + (" or null." if nullable else "."))
    return raw


def _text(raw: Any, key: str, *, required: bool = True, placeholders: bool = False) -> str:
    if raw is None and not required:
        return ""
    if not isinstance(raw, str) or (required and not raw.strip()):
        raise _Invalid(key, "Give a text.")
    if len(raw) > MAX_TEXT:
        raise _Invalid(key, f"At most {MAX_TEXT} characters.")
    unknown = unknown_placeholders(raw) if placeholders else []
    if unknown:
        raise _Invalid(key, f"Unknown placeholder {{{{ {unknown[0]} }}}}.")
    return raw


def _names(raw: Any, key: str) -> tuple[str, ...]:
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not items or not all(isinstance(i, str) and i.strip() for i in items):
        raise _Invalid(key, "Give one or more tag names.")
    return tuple(dict.fromkeys(item.strip().lower() for item in items))


def _url(raw: Any, key: str, *, relative: bool) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise _Invalid(key, "Give a URL.")
    try:
        parts = urlsplit(raw.strip())
    except ValueError as error:  # "http://[::1" and the like
        raise _Invalid(key, "Not a valid URL.") from error
    if parts.scheme in ("http", "https") and parts.netloc:
        return raw.strip()
    if relative and not parts.scheme and not parts.netloc and raw.startswith("/"):
        return raw.strip()
    raise _Invalid(key, "Give an http(s) URL" + (" or a path starting with /." if relative else "."))


def _parse_one(raw: Mapping[str, Any]) -> Action:
    kind = raw.get("type")
    if not isinstance(kind, str) or kind not in _KEYS:
        raise _Invalid("type", f"Unknown action {kind!r}; one of: {', '.join(ACTION_TYPES)}.")
    if kind == "webhook" and "url" in raw:
        # Raw URLs would be unsigned and could point anywhere (SSRF): calls go to a configured webhook.
        raise _Invalid(
            "url",
            "A webhook action names a webhook from the Webhooks page, not a URL: "
            '{"type": "webhook", "endpoint": <id>}.',
        )
    extra = sorted(set(raw) - _KEYS[kind] - {"type"})
    if extra:
        raise _Invalid(extra[0], "Unexpected key.")
    if kind == "set":
        name = raw.get("field")
        if name in CHOICE_FIELDS:
            if raw.get("value") not in CHOICE_FIELDS[name]:
                raise _Invalid("value", f"One of: {', '.join(CHOICE_FIELDS[name])}.")
            return SetField(name, raw["value"])
        if name in ID_FIELDS:
            return SetField(name, _row_id(raw.get("value"), "value", nullable=True))
        raise _Invalid("field", f"One of: {', '.join((*CHOICE_FIELDS, *ID_FIELDS))}.")
    if kind in ("add_tags", "remove_tags"):
        tags = _names(raw.get("tags"), "tags")
        return AddTags(tags) if kind == "add_tags" else RemoveTags(tags)
    if kind == "route":
        return Route(_row_id(raw.get("team"), "team", nullable=True))
    if kind == "assign":
        return Assign(_row_id(raw.get("user"), "user", nullable=True))
    if kind == "escalate":
        tier = raw.get("to_tier")
        if tier is not None and tier not in TIERS:
            raise _Invalid("to_tier", f"One of: {', '.join(TIERS)}, or null for the next tier.")
        return Escalate(
            tier,
            _row_id(raw.get("team"), "team", nullable=True),
            _text(raw.get("summary"), "summary", required=False, placeholders=True),
        )
    if kind == "notify":
        to = raw.get("to")
        to_list = [to] if isinstance(to, str) else to
        if not isinstance(to_list, list) or not to_list or any(item not in RECIPIENTS for item in to_list):
            raise _Invalid("to", f"One or more of: {', '.join(RECIPIENTS)}.")
        return Notify(tuple(dict.fromkeys(to_list)), _text(raw.get("message"), "message", placeholders=True))
    if kind == "add_note":
        return AddNote(_text(raw.get("body"), "body", placeholders=True))
    if kind == "reply":
        if raw.get("canned_response") is not None:
            if raw.get("body"):
                raise _Invalid("body", "Give either a body or a canned response, not both.")
            return Reply("", _row_id(raw["canned_response"], "canned_response", nullable=False))
        return Reply(_text(raw.get("body"), "body", placeholders=True), None)
    if kind == "suggest_article":
        return SuggestArticle(_text(raw.get("title"), "title"), _url(raw.get("url"), "url", relative=True))
    return Webhook(_row_id(raw.get("endpoint"), "endpoint", nullable=False))  # type: ignore[arg-type]


def parse(raw: Any, *, allow_empty: bool = False) -> tuple[Action, ...]:
    """Return the actions as typed values; raises RuleFormatError listing every problem."""
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise RuleFormatError({"actions": ["Give a list of actions."]})
    if not raw and not allow_empty:
        raise RuleFormatError({"actions": ["Give at least one action."]})
    if len(raw) > MAX_ACTIONS:
        raise RuleFormatError({"actions": [f"At most {MAX_ACTIONS} actions."]})
    parsed: list[Action] = []
    errors: dict[str, list[str]] = {}
    for index, item in enumerate(raw):
        if not isinstance(item, Mapping):
            errors[f"actions[{index}]"] = ["Give an action object."]
            continue
        try:
            parsed.append(_parse_one(item))
        except _Invalid as invalid:
            errors.setdefault(f"actions[{index}].{invalid.key}", []).append(invalid.message)
    if errors:
        raise RuleFormatError(errors)
    return tuple(parsed)


def to_json(actions: Sequence[Action]) -> list[dict[str, Any]]:
    """Return the normalised JSON of parsed actions (what gets stored)."""
    result: list[dict[str, Any]] = []
    for action in actions:
        if isinstance(action, SetField):
            result.append({"type": "set", "field": action.field, "value": action.value})
        elif isinstance(action, AddTags | RemoveTags):
            kind = "add_tags" if isinstance(action, AddTags) else "remove_tags"
            result.append({"type": kind, "tags": list(action.tags)})
        elif isinstance(action, Route):
            result.append({"type": "route", "team": action.team})
        elif isinstance(action, Assign):
            result.append({"type": "assign", "user": action.user})
        elif isinstance(action, Escalate):
            result.append(
                {
                    "type": "escalate",
                    "to_tier": action.to_tier,
                    "team": action.team,
                    "summary": action.summary,
                }
            )
        elif isinstance(action, Notify):
            result.append({"type": "notify", "to": list(action.to), "message": action.message})
        elif isinstance(action, AddNote):
            result.append({"type": "add_note", "body": action.body})
        elif isinstance(action, Reply):
            if action.canned_response is not None:
                result.append({"type": "reply", "canned_response": action.canned_response})
            else:
                result.append({"type": "reply", "body": action.body})
        elif isinstance(action, SuggestArticle):
            result.append({"type": "suggest_article", "title": action.title, "url": action.url})
        else:
            result.append({"type": "webhook", "endpoint": action.endpoint})
    return result


@dataclass(frozen=True)
class References:
    """Row ids and tag names the actions name, to check they exist before a rule is saved."""

    categories: frozenset[int]
    product_areas: frozenset[int]
    teams: frozenset[int]
    users: frozenset[int]
    tags: frozenset[str]
    canned_responses: frozenset[int]
    webhooks: frozenset[int] = frozenset()


def references(actions: Sequence[Action]) -> References:
    """Return every row the actions refer to."""
    found: dict[str, set[Any]] = {
        key: set() for key in ("category", "product_area", "team", "assignee", "tags")
    }
    canned: set[int] = set()
    webhooks: set[int] = set()
    for action in actions:
        if isinstance(action, SetField) and action.field in ID_FIELDS and action.value is not None:
            found[action.field].add(action.value)
        elif isinstance(action, AddTags | RemoveTags):
            found["tags"].update(action.tags)
        elif isinstance(action, Route | Escalate) and action.team is not None:
            found["team"].add(action.team)
        elif isinstance(action, Assign) and action.user is not None:
            found["assignee"].add(action.user)
        elif isinstance(action, Reply) and action.canned_response is not None:
            canned.add(action.canned_response)
        elif isinstance(action, Webhook):
            webhooks.add(action.endpoint)
    return References(
        frozenset(found["category"]),
        frozenset(found["product_area"]),
        frozenset(found["team"]),
        frozenset(found["assignee"]),
        frozenset(found["tags"]),
        frozenset(canned),
        frozenset(webhooks),
    )


def describe(action: Action, names: Mapping[tuple[str, Any], str] | None = None) -> str:
    """Return the action in words; `names` maps ("team", 4) → "Authentication" and the like."""
    names = names or {}

    def name(kind: str, value: Any) -> str:
        if value is None:
            return "nobody" if kind == "assignee" else "none"
        return names.get((kind, value), f"#{value}" if isinstance(value, int) else str(value))

    if isinstance(action, SetField):
        return f"Set {action.field.replace('_', ' ')} to {name(action.field, action.value)}"
    if isinstance(action, AddTags):
        return "Add tags " + ", ".join(action.tags)
    if isinstance(action, RemoveTags):
        return "Remove tags " + ", ".join(action.tags)
    if isinstance(action, Route):
        where = f"team {name('team', action.team)}" if action.team else "its team"
        return f"Route to {where} and assign by the team's strategy"
    if isinstance(action, Assign):
        return f"Assign to {name('assignee', action.user)}"
    if isinstance(action, Escalate):
        tier = action.to_tier.upper() if action.to_tier else "the next tier"
        team = f", team {name('team', action.team)}" if action.team else ""
        return f"Escalate to {tier}{team}"
    if isinstance(action, Notify):
        return f"Notify {', '.join(who.replace('_', ' ') for who in action.to)}: {action.message[:80]}"
    if isinstance(action, AddNote):
        return f"Add internal note: {action.body[:80]}"
    if isinstance(action, Reply):
        if action.canned_response is not None:
            return f"Send canned reply {name('canned_response', action.canned_response)}"
        return f"Send public reply: {action.body[:80]}"
    if isinstance(action, SuggestArticle):
        return f"Suggest article “{action.title}” (internal note)"
    return f"Call webhook {name('webhook', action.endpoint)}"
