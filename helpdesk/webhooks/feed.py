"""Reading an append-only table in id order when ids commit out of order. Pure: no Django imports.

Source rows (TicketEvent, SlaEvent) take their id from a sequence when they are inserted but
become visible when their transaction commits, so a reader can see id 12 before id 11 — or never
see 11, when its transaction rolled back or its INSERT … ON CONFLICT DO NOTHING skipped it. A
feed therefore keeps a `position` (the highest id it has read) and the `gaps` below it: ids not
seen yet that may still commit.

A gap closes when its row shows up, or when no transaction that could still insert it is
running. The allocating transaction had its transaction id before the gap was first noticed, so
the first database snapshot taken after that (the next sweep's) has an `xmax` above it: that xmax
is the gap's `horizon`. Once the oldest running transaction (`xmin` of a snapshot taken *before*
the rows are read) is at or past the horizon, every transaction that could fill the gap has
ended, and the read that follows has seen whatever they committed. `max_gap_age` is a safety
valve for transactions left open for hours; gaps dropped that way are returned for logging.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

MAX_GAPS = 10_000


@dataclass(frozen=True, slots=True)
class Gap:
    """Ids low..high (inclusive) not seen yet; `horizon` None until the next snapshot after sighting."""

    low: int
    high: int
    horizon: int | None
    seen_at: float  # Unix seconds when first noticed

    def to_json(self) -> list[Any]:
        return [self.low, self.high, self.horizon, self.seen_at]

    @classmethod
    def from_json(cls, value: Sequence[Any]) -> Gap:
        low, high, horizon, seen_at = value
        return cls(int(low), int(high), None if horizon is None else int(horizon), float(seen_at))


@dataclass(frozen=True, slots=True)
class FeedState:
    position: int
    gaps: tuple[Gap, ...] = ()

    @property
    def gap_ranges(self) -> list[tuple[int, int]]:
        return [(gap.low, gap.high) for gap in self.gaps]


@dataclass(frozen=True, slots=True)
class Advanced:
    state: FeedState
    abandoned: tuple[Gap, ...]  # gaps given up on because of their age (or the MAX_GAPS cap)


def missing_runs(low: int, high: int, found: Sequence[int]) -> list[tuple[int, int]]:
    """Return the sub-ranges of low..high that contain no id of the sorted `found`.

    Also used by the metrics sweep (metrics/reporting/refresh.py), which tracks its own gaps.
    """
    pieces = []
    start = low
    index = bisect.bisect_left(found, low)
    while index < len(found) and found[index] <= high:
        if found[index] > start:
            pieces.append((start, found[index] - 1))
        start = found[index] + 1
        index += 1
    if start <= high:
        pieces.append((start, high))
    return pieces


def advance(
    state: FeedState,
    *,
    found: Iterable[int],
    read_through: int | None,
    oldest_running_xid: int,
    next_xid: int,
    now: float,
    max_gap_age: float,
) -> Advanced:
    """Return the feed state after a read.

    `found` are the ids the read returned (inside gaps and above the position); `read_through`
    is the highest id read above the position (None when nothing new was there), so ids between
    the position and it that were not found become new gaps. `oldest_running_xid` and `next_xid`
    are xmin and xmax of a snapshot taken before the read.
    """
    seen = sorted(set(found))
    kept: list[Gap] = []
    abandoned: list[Gap] = []
    for gap in state.gaps:
        for low, high in missing_runs(gap.low, gap.high, seen):
            piece = Gap(low, high, gap.horizon, gap.seen_at)
            if gap.horizon is not None and oldest_running_xid >= gap.horizon:
                continue  # nothing that could still insert these ids is running: closed for good
            if now - gap.seen_at > max_gap_age:
                abandoned.append(piece)
                continue
            kept.append(piece if gap.horizon is not None else Gap(low, high, next_xid, gap.seen_at))
    position = state.position
    if read_through is not None and read_through > position:
        kept.extend(Gap(low, high, None, now) for low, high in missing_runs(position + 1, read_through, seen))
        position = read_through
    if len(kept) > MAX_GAPS:
        abandoned.extend(kept[: len(kept) - MAX_GAPS])
        kept = kept[len(kept) - MAX_GAPS :]
    return Advanced(FeedState(position, tuple(kept)), tuple(abandoned))
