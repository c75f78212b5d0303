"""Rule conditions: a small JSON format, its validation, and matching a snapshot. Pure.

Format — a group holds an "all" list (every item must hold) and an "any" list (at least one
must hold, when the list is not empty); items are conditions or nested groups:

    {"all": [{"field": "ticket.subject", "operator": "contains_any",
              "value": ["password", "login", "can't access"]}],
     "any": [{"field": "ticket.priority", "operator": "in", "value": ["p1", "p2"]},
             {"all": [...], "any": [...]}]}

An empty group matches every ticket. Keyword matching (contains_any / contains_none on text)
is case-insensitive and whole-word: "login" matches "Login failed" and "login," but not
"logins"; a phrase matches across any whitespace; typographic apostrophes count as "'".
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tickets.automation.snapshot import FIELDS, TIME_FIELDS, FieldKind, TicketSnapshot

MAX_DEPTH = 3
MAX_KEYWORDS = 100

OPERATORS: Mapping[FieldKind, tuple[str, ...]] = {
    FieldKind.TEXT: ("contains_any", "contains_none", "is", "is_not"),
    FieldKind.CHOICE: ("is", "is_not", "in", "not_in"),
    FieldKind.ID: ("is", "is_not", "in", "not_in"),
    FieldKind.TREE: ("is", "is_not", "in", "not_in"),
    FieldKind.SET: ("contains_any", "contains_all", "contains_none"),
    FieldKind.NUMBER: ("gt", "gte", "lt", "lte"),
    FieldKind.BOOL: ("is",),
}


class RuleFormatError(ValueError):
    """The JSON does not follow the format; `errors` maps a path ("all[0].value") to messages."""

    def __init__(self, errors: Mapping[str, Sequence[str]]) -> None:
        super().__init__("; ".join(f"{path}: {' '.join(messages)}" for path, messages in errors.items()))
        self.errors = {path: list(messages) for path, messages in errors.items()}


@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    operator: str
    value: Any  # normalised: tuples for lists, lower-case keywords, ints for ids


@dataclass(frozen=True, slots=True)
class Group:
    all: tuple[Condition | Group, ...] = ()
    any: tuple[Condition | Group, ...] = ()


EMPTY = Group()


# --- parsing --------------------------------------------------------------------------------------


def _normalise_text(text: str) -> str:
    return text.replace("\u2019", "'").replace("\u2018", "'").replace("\u02bc", "'")


def _value_error(path: str, message: str) -> RuleFormatError:
    return RuleFormatError({path: [message]})


def _as_list(value: Any, path: str) -> list[Any]:
    if isinstance(value, str | int | bool) or value is None:
        return [value]
    if isinstance(value, list | tuple):
        return list(value)
    raise _value_error(path, "Give a value or a list of values.")


def _parse_value(kind: FieldKind, operator: str, raw: Any, choices: Sequence[str], path: str) -> Any:
    if kind is FieldKind.NUMBER:
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
            raise _value_error(path, "Give a number.")
        return float(raw)
    if kind is FieldKind.BOOL:
        if not isinstance(raw, bool):
            raise _value_error(path, "Give true or false.")
        return raw
    if kind is FieldKind.TEXT:
        if operator in ("is", "is_not"):
            if not isinstance(raw, str):
                raise _value_error(path, "Give a text.")
            return " ".join(_normalise_text(raw).split()).casefold()
        words = _as_list(raw, path)
        if not words or not all(isinstance(word, str) and word.strip() for word in words):
            raise _value_error(path, "Give one or more non-empty keywords.")
        if len(words) > MAX_KEYWORDS:
            raise _value_error(path, f"At most {MAX_KEYWORDS} keywords.")
        return tuple(dict.fromkeys(" ".join(_normalise_text(word).split()).casefold() for word in words))
    if kind is FieldKind.SET:
        names = _as_list(raw, path)
        if not names or not all(isinstance(name, str) and name.strip() for name in names):
            raise _value_error(path, "Give one or more names.")
        return tuple(dict.fromkeys(name.strip().lower() for name in names))
    many = operator in ("in", "not_in")
    items = _as_list(raw, path) if many else [raw]
    if many and not items:
        raise _value_error(path, "Give at least one value.")
    if kind is FieldKind.CHOICE:
        wrong = [item for item in items if item not in choices]
        if wrong:
            raise _value_error(path, f"Unknown value {wrong[0]!r}; one of: {', '.join(choices)}.")
        return tuple(items) if many else items[0]
    # ID and TREE: row ids; "is null" / "is_not null" ask whether the field is empty.
    for item in items:
        if item is None and not many:
            continue
        if isinstance(item, bool) or not isinstance(item, int) or item < 1:
            raise _value_error(
                path, "Give a row id (a positive whole number)" + ("." if many else " or null.")
            )
    return tuple(items) if many else items[0]


def _parse_condition(raw: Mapping[str, Any], path: str) -> Condition:
    errors: dict[str, list[str]] = {}
    name = raw.get("field")
    spec = FIELDS.get(name) if isinstance(name, str) else None
    if spec is None:
        errors[f"{path}.field"] = [f"Unknown field {name!r}."]
        raise RuleFormatError(errors)
    operator = raw.get("operator")
    allowed = OPERATORS[spec.kind]
    if operator not in allowed:
        raise _value_error(f"{path}.operator", f"{name} takes one of: {', '.join(allowed)}.")
    extra = sorted(set(raw) - {"field", "operator", "value"})
    if extra:
        raise _value_error(path, f"Unexpected keys: {', '.join(extra)}.")
    if "value" not in raw:
        raise _value_error(f"{path}.value", "A value is required.")
    value = _parse_value(spec.kind, str(operator), raw["value"], spec.choices, f"{path}.value")
    return Condition(name, str(operator), value)


def _parse_group(raw: Any, path: str, depth: int) -> Group:
    if not isinstance(raw, Mapping):
        raise _value_error(path or "conditions", 'A group is an object with "all" and/or "any" lists.')
    if depth > MAX_DEPTH:
        raise _value_error(path, f"Groups nest at most {MAX_DEPTH} deep.")
    extra = sorted(set(raw) - {"all", "any"})
    if extra:
        raise _value_error(path or "conditions", f"Unexpected keys: {', '.join(extra)}.")
    errors: dict[str, list[str]] = {}
    parsed: dict[str, list[Condition | Group]] = {"all": [], "any": []}
    for key in ("all", "any"):
        items = raw.get(key, [])
        if not isinstance(items, list):
            errors[f"{path}{'.' if path else ''}{key}"] = ["Give a list."]
            continue
        for index, item in enumerate(items):
            item_path = f"{path}{'.' if path else ''}{key}[{index}]"
            try:
                if isinstance(item, Mapping) and "field" not in item and set(item) <= {"all", "any"}:
                    parsed[key].append(_parse_group(item, item_path, depth + 1))
                elif isinstance(item, Mapping):
                    parsed[key].append(_parse_condition(item, item_path))
                else:
                    errors[item_path] = ["Give a condition object or a group."]
            except RuleFormatError as error:
                for error_path, messages in error.errors.items():
                    errors.setdefault(error_path, []).extend(messages)
    if errors:
        raise RuleFormatError(errors)
    return Group(tuple(parsed["all"]), tuple(parsed["any"]))


def parse(raw: Any) -> Group:
    """Return the conditions as typed values; raises RuleFormatError listing every problem."""
    if raw in (None, {}):
        return EMPTY
    return _parse_group(raw, "", 1)


def to_json(group: Group) -> dict[str, Any]:
    """Return the normalised JSON of parsed conditions (what gets stored)."""

    def item(node: Condition | Group) -> dict[str, Any]:
        if isinstance(node, Group):
            return to_json(node)
        value = list(node.value) if isinstance(node.value, tuple) else node.value
        return {"field": node.field, "operator": node.operator, "value": value}

    result: dict[str, Any] = {}
    if group.all:
        result["all"] = [item(node) for node in group.all]
    if group.any:
        result["any"] = [item(node) for node in group.any]
    return result


# --- matching -------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    words = keyword.split()
    body = r"\s+".join(re.escape(word) for word in words)
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


def text_contains(text: str, keyword: str) -> bool:
    """Return whether `keyword` (a word or phrase) occurs in `text` as whole words, ignoring case."""
    return _keyword_pattern(keyword).search(_normalise_text(text)) is not None


def _evaluate(condition: Condition, snapshot: TicketSnapshot) -> bool:
    spec = FIELDS[condition.field]
    actual = snapshot.get(condition.field)
    operator, expected = condition.operator, condition.value
    kind = spec.kind
    if kind is FieldKind.TEXT:
        text = actual or ""
        if operator == "contains_any":
            return any(text_contains(text, word) for word in expected)
        if operator == "contains_none":
            return not any(text_contains(text, word) for word in expected)
        same = " ".join(_normalise_text(text).split()).casefold() == expected
        return same if operator == "is" else not same
    if kind is FieldKind.SET:
        names = {str(name).lower() for name in actual or ()}
        if operator == "contains_any":
            return any(name in names for name in expected)
        if operator == "contains_all":
            return all(name in names for name in expected)
        return not any(name in names for name in expected)
    if kind is FieldKind.NUMBER:
        if actual is None:
            return False
        number = float(actual)
        return {
            "gt": number > expected,
            "gte": number >= expected,
            "lt": number < expected,
            "lte": number <= expected,
        }[operator]
    if kind is FieldKind.BOOL:
        return bool(actual) is expected
    if kind is FieldKind.TREE:
        path = tuple(actual or ())  # (own id, parent id) or () when empty
        if operator in ("is", "is_not"):
            found = not path if expected is None else expected in path
        else:
            found = any(value in path for value in expected)
        return found if operator in ("is", "in") else not found
    # CHOICE and ID
    found = actual == expected if operator in ("is", "is_not") else actual in expected
    return found if operator in ("is", "in") else not found


def matches(group: Group, snapshot: TicketSnapshot) -> bool:
    """Return whether the snapshot satisfies the group (all of `all`, and one of `any` if given)."""

    def holds(node: Condition | Group) -> bool:
        return matches(node, snapshot) if isinstance(node, Group) else _evaluate(node, snapshot)

    return all(holds(node) for node in group.all) and (
        not group.any or any(holds(node) for node in group.any)
    )


# --- what a rule reads ---------------------------------------------------------------------------


def walk(group: Group) -> Iterator[Condition]:
    """Yield every condition of the group, nested ones included."""
    for node in (*group.all, *group.any):
        if isinstance(node, Group):
            yield from walk(node)
        else:
            yield node


def fields_used(groups: Iterable[Group]) -> frozenset[str]:
    """Return the names of every field the groups read."""
    return frozenset(condition.field for group in groups for condition in walk(group))


def required_time_conditions(group: Group) -> tuple[Condition, ...]:
    """Return the time conditions every match must satisfy (those directly in the top `all` list).

    A time rule needs at least one: it bounds the tickets the minute sweep reads from the
    database, and the instants those fields count from define the rule's qualifying period.
    """
    return tuple(
        node
        for node in group.all
        if isinstance(node, Condition) and node.field in TIME_FIELDS and node.operator in ("gt", "gte")
    )


# --- in words ---------------------------------------------------------------------------------------

_OPERATOR_WORDS = {
    "contains_any": "contains any of",
    "contains_all": "contains all of",
    "contains_none": "contains none of",
    "is": "is",
    "is_not": "is not",
    "in": "is one of",
    "not_in": "is none of",
    "gt": ">",
    "gte": "≥",
    "lt": "<",
    "lte": "≤",
}
_NAMED_KINDS = {
    "ticket.category": "category",
    "ticket.team": "team",
    "ticket.assignee": "assignee",
    "ticket.product_area": "product_area",
    "organization.id": "organization",
    "requester.id": "requester",
}


def describe(group: Group, names: Mapping[tuple[str, Any], str] | None = None) -> str:
    """Return the conditions in words, e.g. `Subject contains any of “password”, “login”`. Pure."""
    names = names or {}

    def value_words(condition: Condition) -> str:
        kind = _NAMED_KINDS.get(condition.field)
        values = condition.value if isinstance(condition.value, tuple) else (condition.value,)
        words = []
        for value in values:
            if value is None:
                words.append("empty")
            elif kind is not None:
                words.append(names.get((kind, value), f"#{value}"))
            elif isinstance(value, str):
                words.append(f"“{value}”")
            elif isinstance(value, float) and value.is_integer():
                words.append(str(int(value)))
            else:
                words.append(str(value).lower() if isinstance(value, bool) else str(value))
        return ", ".join(words)

    def node_words(node: Condition | Group) -> str:
        if isinstance(node, Group):
            return f"({describe(node, names)})"
        label = FIELDS[node.field].label
        return f"{label} {_OPERATOR_WORDS[node.operator]} {value_words(node)}"

    parts = []
    if group.all:
        parts.append(" and ".join(node_words(node) for node in group.all))
    if group.any:
        parts.append("any of: " + " or ".join(node_words(node) for node in group.any))
    return "; ".join(parts) if parts else "every ticket"
