"""Rules of the weekly voice-of-customer report: weeks, week-over-week change, churn words, at-risk.

Pure: no Django imports. metrics/services/voc.py reads the data and stores the report; this module
decides what counts. A week runs Monday 00:00 to the next Monday 00:00, UTC.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

REPORT_VERSION = 1
TOP_LIMIT = 10
WINS_LIMIT = 20
WIN_SCORE = 5

# Bug and feature-request tickets: carrying one of these tags, or filed in a category with this slug
# (the demo taxonomy has tags bug, product-bug, feature-request and categories Product / Bug and
# Product / Feature request). A ticket counts once.
BUG_TAGS = ("bug", "product-bug")
BUG_CATEGORY_SLUGS = ("bug",)
FEATURE_REQUEST_TAGS = ("feature-request",)
FEATURE_REQUEST_CATEGORY_SLUGS = ("feature-request",)

# At risk (reference: "Support-to-CS handoff triggers"), over the 30 days ending with the week.
RISK_WINDOW = timedelta(days=30)
ESCALATIONS_AT_RISK = 3
CSAT_DROP = 0.5  # points on the 1–5 scale, this window's average below the previous window's
CSAT_MIN_RESPONSES = 3  # per window, or the averages are noise

# Churn words in customers' public messages: (label, pattern), matched case-insensitively on word
# boundaries. Patterns use only syntax Python's re and PostgreSQL's regular expressions share.
CHURN_TERMS: tuple[tuple[str, str], ...] = (
    ("cancel", r"cancel(?:s|l?ed|l?ing|lations?)?"),
    ("switch to", r"switch(?:es|ed|ing)? to"),
    ("competitor", r"competitors?"),
    ("alternative", r"alternatives"),
    ("refund", r"refund(?:s|ed)?"),
    ("terminate", r"terminat(?:e|es|ed|ing|ion)"),
    ("leave", r"leav(?:e|es|ing)"),
    ("churn", r"churn(?:s|ed|ing)?"),
    ("not renew", r"(?:not|won't|will not) (?:be )?renew(?:ing)?"),
)
_CHURN_LABELS = {f"t{index}": label for index, (label, _) in enumerate(CHURN_TERMS)}
_CHURN_RE = re.compile(
    r"\b(?:"
    + "|".join(f"(?P<t{index}>{pattern})" for index, (_, pattern) in enumerate(CHURN_TERMS))
    + r")\b",
    re.IGNORECASE,
)


def churn_sql_pattern() -> str:
    r"""Return the churn words as one PostgreSQL regular expression (\y marks a word boundary)."""
    return r"\y(?:" + "|".join(pattern for _, pattern in CHURN_TERMS) + r")\y"


def churn_terms_in(text: str) -> list[str]:
    """Return the churn-word labels found in `text`, in CHURN_TERMS order, each once."""
    found = {
        _CHURN_LABELS[name]
        for match in _CHURN_RE.finditer(text)
        for name, value in match.groupdict().items()
        if value
    }
    return [label for label, _ in CHURN_TERMS if label in found]


# --- Weeks ----------------------------------------------------------------------------------------


def week_start_of(instant: datetime) -> date:
    """Return the Monday (UTC) of the week holding `instant`."""
    day = instant.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def last_completed_week_start(now: datetime) -> date:
    """Return the Monday of the last week that ended before `now` (UTC)."""
    return week_start_of(now) - timedelta(days=7)


def week_bounds(week_start: date) -> tuple[datetime, datetime]:
    """Return [start, end) of the week starting `week_start`, as UTC instants.

    Raises ValueError unless `week_start` is a Monday.
    """
    if week_start.weekday() != 0:
        raise ValueError("A report week starts on a Monday.")
    start = datetime.combine(week_start, time.min, tzinfo=UTC)
    return start, start + timedelta(days=7)


# --- Sections -------------------------------------------------------------------------------------


def change(current: int, previous: int) -> dict[str, Any]:
    """Return a count with its week-over-week change (percent None when last week had none)."""
    return {
        "count": current,
        "previous": previous,
        "change": current - previous,
        # `or 0.0`: a fall that rounds to nothing is 0.0, not -0.0.
        "change_percent": (round(100 * (current - previous) / previous, 1) or 0.0) if previous else None,
    }


def top_with_change(
    current: Mapping[Any, int],
    previous: Mapping[Any, int],
    names: Mapping[Any, str],
    *,
    limit: int = TOP_LIMIT,
) -> list[dict[str, Any]]:
    """Return the `limit` largest of this week's counts with last week's beside them.

    Most first, then by name; keys with no name are left out.
    """
    rows = [(count, names[key], key) for key, count in current.items() if count > 0 and key in names]
    rows.sort(key=lambda row: (-row[0], row[1]))
    return [
        {"key": key, "name": name, **change(count, previous.get(key, 0))} for count, name, key in rows[:limit]
    ]


def average(scores: Sequence[int]) -> float | None:
    return round(sum(scores) / len(scores), 2) if scores else None


@dataclass(frozen=True, slots=True)
class CsatWindows:
    current: Sequence[int]  # scores answered in the last RISK_WINDOW
    previous: Sequence[int]  # in the RISK_WINDOW before it


def csat_is_falling(windows: CsatWindows) -> bool:
    """Return whether an organization's CSAT fell by at least CSAT_DROP between the two windows."""
    if len(windows.current) < CSAT_MIN_RESPONSES or len(windows.previous) < CSAT_MIN_RESPONSES:
        return False
    return sum(windows.current) / len(windows.current) <= (
        sum(windows.previous) / len(windows.previous) - CSAT_DROP
    )


@dataclass(frozen=True, slots=True)
class ChurnMention:
    ticket_id: int
    message_id: int
    terms: Sequence[str]


def at_risk_reasons(
    *, escalations: int, csat: CsatWindows | None, mentions: Sequence[ChurnMention]
) -> list[dict[str, Any]]:
    """Return why one organization is at risk (empty: it is not), as raw values for the template."""
    reasons: list[dict[str, Any]] = []
    if escalations >= ESCALATIONS_AT_RISK:
        reasons.append({"kind": "escalations", "count": escalations})
    if csat is not None and csat_is_falling(csat):
        reasons.append(
            {
                "kind": "csat_falling",
                "average": average(csat.current),
                "previous_average": average(csat.previous),
                "responses": len(csat.current),
                "previous_responses": len(csat.previous),
            }
        )
    if mentions:
        found = {term for mention in mentions for term in mention.terms}
        reasons.append(
            {
                "kind": "churn_words",
                "words": [label for label, _ in CHURN_TERMS if label in found],
                "messages": len(mentions),
                "ticket_ids": sorted({mention.ticket_id for mention in mentions}),
            }
        )
    return reasons


def at_risk_list(
    *,
    names: Mapping[int, str],
    escalations: Mapping[int, int],
    csat: Mapping[int, CsatWindows],
    mentions: Mapping[int, Sequence[ChurnMention]],
) -> list[dict[str, Any]]:
    """Return each at-risk organization with its reasons, most reasons first, then by name."""
    candidates: Iterable[int] = set(escalations) | set(csat) | set(mentions)
    rows = []
    for organization_id in candidates:
        reasons = at_risk_reasons(
            escalations=escalations.get(organization_id, 0),
            csat=csat.get(organization_id),
            mentions=mentions.get(organization_id, ()),
        )
        if reasons and organization_id in names:
            rows.append(
                {"organization_id": organization_id, "name": names[organization_id], "reasons": reasons}
            )
    rows.sort(key=lambda row: (-len(row["reasons"]), row["name"]))
    return rows
