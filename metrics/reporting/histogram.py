"""Fixed duration buckets, so medians and 90th percentiles can be added up day by day. Pure.

A duration (whole seconds) falls in bucket i when EDGES[i] <= seconds < EDGES[i + 1]; the last
bucket is open-ended (180 days and more). Bucket widths grow with the duration (a minute at first,
25-50 % of the bucket's start later), and every reference target (15 min, 1 h, 4 h, 8 h, 24 h,
72 h, 5 days) is an edge, so "within the target" is exact. A percentile is read from the summed
counts by linear interpolation inside the bucket holding its rank (what Prometheus'
histogram_quantile does): exact to within one bucket's width.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from itertools import accumulate

MINUTE = 60
HOUR = 3600
DAY = 86400

EDGES: tuple[int, ...] = (
    *(m * MINUTE for m in (0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50)),
    *(
        int(h * HOUR)
        for h in (1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 30, 36, 48, 60, 72, 96, 120, 144)
    ),
    *(d * DAY for d in (7, 10, 14, 21, 30, 45, 60, 90, 120, 180)),
)
BUCKETS = len(EDGES)  # 49; the last one has no upper edge


def bucket_of(seconds: int) -> int:
    """Return the bucket index of a duration in whole seconds (negative durations count as 0)."""
    return max(0, bisect_right(EDGES, seconds) - 1)


def empty() -> list[int]:
    return [0] * BUCKETS


def percentile(counts: Sequence[int], fraction: float) -> float | None:
    """Return the `fraction` (0 < fraction <= 1) percentile of a histogram, in seconds.

    Rank r = fraction × n; the first bucket whose running count reaches r holds it, and the value
    is interpolated linearly between that bucket's edges. In the open-ended last bucket the
    value is that bucket's lower edge ("180 days or more"). None when the histogram is empty.
    """
    running = list(accumulate(counts))
    total = running[-1] if running else 0
    if not total:
        return None
    rank = fraction * total
    index = bisect_left(running, rank)  # the first bucket whose running count reaches the rank
    if index >= BUCKETS - 1:
        return float(EDGES[-1])
    before = running[index - 1] if index else 0
    low, high = EDGES[index], EDGES[index + 1]
    return low + (high - low) * (rank - before) / (running[index] - before)
