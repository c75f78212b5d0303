"""Every metric's formula on a constructed history, with exact expected values (docs/metrics.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from metrics.reporting import histogram, selectors
from metrics.reporting.facts import ClockRow, TicketRow, ticket_fact
from metrics.reporting.periods import Window
from metrics.reporting.refresh import metrics_refresh
from metrics.reporting.targets import DEFAULTS, TargetRule, Tone
from sla.calendars import CALENDAR_24_7
from tests.metrics.history import MON, NOW, TUE, WED, History, build_history

WINDOW = Window(MON.date(), WED.date())
H = 3600


@pytest.fixture
def history(db: None) -> History:
    built = build_history()
    metrics_refresh(now=NOW)
    return built


def _values(figures: dict) -> dict[str, float | None]:
    return {
        name: (None if figure.value is None else round(figure.value, 4)) for name, figure in figures.items()
    }


# --- the whole helpdesk ---------------------------------------------------------------------------


def test_every_figure_of_the_constructed_history(history: History) -> None:
    # when
    summary = selectors.summary(window=WINDOW, now=NOW)

    # then
    assert _values(summary.figures) == {
        "created": 4.0,  # A, B, C, D (E was merged: excluded)
        "resolved": 3.0,  # A Mon, C Mon, B Wed (its standing resolution)
        "frt_mean": 23600.0,  # (1 h + 18 h + 40 min) / 3
        "frt_median": 4050.0,  # rank 1.5 of 3, in bucket [1 h, 1 h 15): 3600 + 900 × 0.5
        "frt_p90": 67680.0,  # rank 2.7, in bucket [16 h, 20 h): 57600 + 14400 × 0.7
        "frt_business_mean": 4400.0,  # (1 h + 2 h + 40 min) / 3
        "frt_business_median": 4050.0,
        "frt_business_p90": 8460.0,  # rank 2.7 in [2 h, 2 h 30): 7200 + 1800 × 0.7
        "ttr_mean": 56400.0,  # (2 h + 42 h + 3 h) / 3
        "ttr_median": 12600.0,  # rank 1.5 in [3 h, 4 h): 10800 + 3600 × 0.5
        "ttr_p90": 159840.0,  # rank 2.7 in [36 h, 48 h): 129600 + 43200 × 0.7
        "ttr_business_mean": 18000.0,  # (2 h + 10 h + 3 h) / 3
        "ttr_business_median": 12600.0,
        "ttr_business_p90": 41040.0,  # rank 2.7 in [10 h, 12 h): 36000 + 7200 × 0.7
        "fcr_rate": 33.3333,  # A only (B replied twice and reopened, C escalated)
        "reopen_rate": 33.3333,  # B, of A, B, C first resolved
        "escalation_rate": 25.0,  # C, of 4 created
        "csat": 50.0,  # A's 5 satisfied, B's 2 not
        "csat_average": 3.5,
        "nps": 0.0,  # (1 promoter − 1 detractor) / 3
        "ces": 3.0,
        "response_sla": 50.0,  # A, B met; C, D breached
        "resolution_sla": 100.0,  # A, B, C met; D still running
        "response_breaches": 2.0,
        "resolution_breaches": 0.0,
        "breaches": 2.0,  # C and D
        "severe_breaches": 2.0,  # C at 2 × 15 min, D at 2 × 4 business hours
        "response_of_target": 113.89,  # (25 % + 50 % + 266.67 %) / 3
        "resolution_of_target": 29.1667,  # (8.33 % + 4.17 % (B's second period) + 75 %) / 3
        "tickets_per_agent_day": 1.5,  # 3 resolved by Milton over 2 days he resolved something
        "deflection_rate": None,  # no help-centre sessions
        "article_helpfulness": None,
    }


def test_figures_carry_their_targets_and_tones(history: History) -> None:
    # when
    figures = selectors.summary(window=WINDOW, now=NOW).figures

    # then
    tones = {name: figures[name].tone for name in ("frt_mean", "frt_median", "ttr_mean", "csat", "breaches")}
    assert tones == {
        "frt_mean": Tone.BAD,  # 6.6 h > 4 h
        "frt_median": Tone.WATCH,  # 1.1 h: over 1 h, under 4 h
        "ttr_mean": Tone.GOOD,  # 15.7 h ≤ 24 h
        "csat": Tone.BAD,  # 50 % < 85 %
        "breaches": Tone.BAD,  # 2, up from 0 in the three days before
    }
    assert figures["csat"].target == "≥ 90 %, warning < 85 %"
    assert figures["frt_mean"].target == "≤ 1 h, warning > 4 h"
    assert figures["breaches"].previous == 0.0
    assert figures["created"].tone == Tone.NONE


def test_each_day_counts_what_happened_on_it(history: History) -> None:
    # when
    points = selectors.series(
        window=WINDOW, interval="day", names=("created", "resolved", "breaches", "response_sla", "csat")
    )

    # then
    assert [(point.window.start, _values(point.figures)) for point in points] == [
        (
            MON.date(),
            {"created": 4.0, "resolved": 2.0, "breaches": 2.0, "response_sla": 33.3333, "csat": 100.0},
        ),
        (TUE.date(), {"created": 0.0, "resolved": 0.0, "breaches": 0.0, "response_sla": 100.0, "csat": None}),
        (WED.date(), {"created": 0.0, "resolved": 1.0, "breaches": 0.0, "response_sla": None, "csat": 0.0}),
    ]


def test_a_week_and_a_month_are_the_sums_of_their_days(history: History) -> None:
    # given: the week of 2 March and the month of March hold the same three days
    names = ("created", "resolved", "frt_median", "ttr_p90", "nps")

    # when
    week = selectors.series(
        window=Window(MON.date(), MON.date() + timedelta(days=6)), interval="week", names=names
    )
    month = selectors.series(
        window=Window(date(2026, 3, 1), date(2026, 3, 31)), interval="month", names=names
    )
    days = selectors.summary(window=WINDOW, now=NOW).figures

    # then
    expected = {name: round(days[name].value, 4) for name in names}  # type: ignore[arg-type]
    assert _values(week[0].figures) == expected
    assert _values(month[0].figures) == expected


# --- slices ----------------------------------------------------------------------------------------


def test_breakdown_by_priority_is_the_priority_distribution(history: History) -> None:
    # when
    rows = selectors.breakdown(window=WINDOW, dimension="priority", names=("created", "response_sla"))

    # then
    assert [(row.slice.key, row.slice.label, row.share_of_created, _values(row.figures)) for row in rows] == [
        ("p3", "P3 Medium", 75.0, {"created": 3.0, "response_sla": 66.6667}),
        ("p1", "P1 Critical", 25.0, {"created": 1.0, "response_sla": 0.0}),
    ]


def test_breakdown_by_channel_and_agent(history: History) -> None:
    # when
    channels = selectors.breakdown(window=WINDOW, dimension="channel", names=("created", "frt_mean"))
    agents = selectors.breakdown(window=WINDOW, dimension="agent", names=("resolved", "csat"))

    # then
    assert {row.slice.key: _values(row.figures) for row in channels} == {
        "email": {"created": 2.0, "frt_mean": 3600.0},
        "portal": {"created": 1.0, "frt_mean": 64800.0},
        "chat": {"created": 1.0, "frt_mean": 2400.0},
    }
    assert [(row.slice.label, _values(row.figures)) for row in agents] == [
        ("Milton Waddams", {"resolved": 3.0, "csat": 50.0}),
    ]


def test_nps_is_kept_per_organization_and_tier(history: History) -> None:
    # when
    organization = selectors.summary(
        window=WINDOW, dimension="organization", key=str(history.organization.pk), now=NOW
    )
    tier = selectors.summary(window=WINDOW, dimension="tier", key="business", now=NOW)
    team = selectors.summary(window=WINDOW, dimension="team", key=str(history.team.pk), now=NOW)

    # then
    assert organization.slice.label == "Initech"
    assert organization.figures["nps"].value == 0.0
    assert organization.figures["nps"].sample == 3
    assert tier.figures["nps"].sample == 3
    assert team.figures["nps"].value is None  # NPS asks customers, not a team's tickets
    assert team.figures["created"].value == 4.0


def test_heatmap_places_arrivals_by_weekday_and_local_hour(history: History) -> None:
    # when
    utc = selectors.heatmap(window=WINDOW)
    berlin = selectors.heatmap(window=WINDOW, time_zone="Europe/Berlin")  # UTC+1 in March

    # then
    assert utc.total == berlin.total == 4
    assert (utc.cells[0][9], utc.cells[0][16]) == (3, 1)  # A, C, D at 09:00; B at 16:00
    assert (berlin.cells[0][10], berlin.cells[0][17]) == (3, 1)


def test_live_figures_count_the_open_backlog(history: History) -> None:
    # when
    live = selectors.live()

    # then: D is open, assigned, 2 days 7 hours old, breached and severely breached
    [row] = live.rows
    assert (row.open, row.unassigned, row.breached, row.at_risk, row.severe) == (1, 0, 1, 0, 1)
    assert row.ages == {"under_1d": 0, "1_to_3d": 1, "3_to_7d": 0, "7_to_30d": 0, "over_30d": 0}
    assert row.backlog == 1
    assert row.figures["queue_depth"].tone == Tone.GOOD
    assert row.figures["severe_now"].tone == Tone.BAD
    assert live.computed_at == NOW


# --- pure pieces -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("_case", "counts", "fraction", "expected"),
    [
        ("empty histogram", [], 0.5, None),
        ("one value in [1 h, 1 h 15)", {16: 1}, 0.5, 3600 + 900 * 0.5),
        ("median of two buckets", {0: 1, 16: 1}, 0.5, 60.0),
        ("p90 of ten in one bucket", {19: 10}, 0.9, 7200 + 1800 * 0.9),
        ("open-ended last bucket", {48: 2}, 0.9, 180 * 86400.0),
    ],
)
def test_percentile_interpolates_inside_the_bucket(
    _case: str, counts: dict[int, int] | list[int], fraction: float, expected: float | None
) -> None:
    histogram_counts = histogram.empty()
    for index, count in dict(counts).items() if isinstance(counts, dict) else []:
        histogram_counts[index] = count
    assert histogram.percentile(histogram_counts, fraction) == expected


def test_every_reference_target_is_a_bucket_edge() -> None:
    minutes = 60
    for target in (15 * minutes, H, 4 * H, 8 * H, 24 * H, 72 * H, 120 * H):
        assert target in histogram.EDGES
    assert histogram.bucket_of(H - 1) == histogram.bucket_of(50 * minutes)
    assert histogram.bucket_of(H) == histogram.EDGES.index(H)


@pytest.mark.parametrize(
    ("_case", "rule", "value", "previous", "expected"),
    [
        ("at least the target", DEFAULTS["csat"], 90.0, None, Tone.GOOD),
        ("between warning and target", DEFAULTS["csat"], 87.0, None, Tone.WATCH),
        ("below the warning", DEFAULTS["csat"], 84.9, None, Tone.BAD),
        ("a range target, inside", DEFAULTS["escalation_rate"], 15.0, None, Tone.GOOD),
        ("a range target, under it", DEFAULTS["escalation_rate"], 5.0, None, Tone.WATCH),
        ("a range target, over the warning", DEFAULTS["escalation_rate"], 31.0, None, Tone.BAD),
        ("trending down", DEFAULTS["breaches"], 3.0, 5.0, Tone.GOOD),
        ("trending up", DEFAULTS["breaches"], 6.0, 5.0, Tone.BAD),
        ("zero severe breaches", DEFAULTS["severe_breaches"], 0.0, None, Tone.GOOD),
        ("one severe breach", DEFAULTS["severe_breaches"], 1.0, None, Tone.BAD),
        ("no target", DEFAULTS["backlog"], 120.0, None, Tone.NONE),
        ("no value", DEFAULTS["csat"], None, None, Tone.NONE),
    ],
)
def test_tone_follows_target_and_warning(
    _case: str, rule: TargetRule, value: float | None, previous: float | None, expected: Tone
) -> None:
    assert rule.tone(value, previous=previous) == expected


def _at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 2, hour, minute, tzinfo=UTC)


def test_fcr_needs_one_reply_no_reopen_no_escalation() -> None:
    # given: resolved after exactly one public agent reply (an internal note and an automatic
    # acknowledgement do not count)
    ticket = TicketRow(1, _at(9), "resolved", "", None, None, 7, None, None, "p3", "email", "free", None)
    events = [
        ("created", _at(9), {"status": "new"}),
        ("message_added", _at(9, 1), {"visibility": "public", "author_kind": "agent", "is_automatic": True}),
        ("message_added", _at(9, 30), {"visibility": "internal", "author_kind": "agent"}),
        ("message_added", _at(10), {"visibility": "public", "author_kind": "agent"}),
        ("status_changed", _at(11), {"from": "in_progress", "to": "resolved"}),
    ]

    # when
    fact = ticket_fact(ticket, events, [], {None: CALENDAR_24_7})

    # then
    assert (fact.agent_replies, fact.is_fcr, fact.frt_seconds, fact.ttr_seconds) == (1, True, H, 2 * H)
    assert (fact.response_sla, fact.resolution_sla) == ("", "")  # no clocks, no SLA


def test_a_breached_resolution_period_breaches_the_ticket_even_when_the_next_is_met() -> None:
    # given: period 1 breached, then a reopen and period 2 met
    ticket = TicketRow(1, _at(9), "resolved", "", None, None, None, None, None, "p3", "email", "free", None)
    clock = {"state": "fulfilled", "calendar_id": None, "target_seconds": H, "severely_breached_at": None}
    clocks = [
        ClockRow("resolution", 1, elapsed_seconds=2 * H, ended_at=_at(11), breached_at=_at(10), **clock),
        ClockRow("resolution", 2, elapsed_seconds=H / 2, ended_at=_at(14), breached_at=None, **clock),
    ]

    # when
    fact = ticket_fact(ticket, [("created", _at(9), {"status": "new"})], clocks, {None: CALENDAR_24_7})

    # then
    assert (fact.resolution_sla, fact.resolution_sla_at, fact.resolution_target_used) == (
        "breached",
        _at(10),
        5000,
    )
