"""Business calendars: exact edge cases, then properties against the minute-by-minute reference."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.calendars import (
    CALENDAR_24_7,
    BusinessCalendar,
    CalendarNeverOpensError,
    SpecialHours,
    WeeklyHours,
    add_business_time,
    business_time_between,
    holidays_for,
    is_open,
    next_open,
    open_intervals,
    weekday_hours,
)
from tests.sla.conftest import MINUTE, TRANSITION_DATES, Scenario, iter_open_minutes, open_minutes, scenarios

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
CHATHAM = ZoneInfo("Pacific/Chatham")
KOLKATA = ZoneInfo("Asia/Kolkata")
HOUR = timedelta(hours=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def every_day(zone: str, start: time, end: time) -> BusinessCalendar:
    return BusinessCalendar(zone, hours=weekday_hours(start, end, range(7)))


# --- DST with a 24/7 calendar: business time is real time -------------------------------------


@pytest.mark.parametrize(
    ("_case", "zone", "start", "expected_local"),
    [
        ("New York spring forward", NEW_YORK, datetime(2025, 3, 8, 23), datetime(2025, 3, 9, 4)),
        ("New York fall back", NEW_YORK, datetime(2025, 11, 1, 23), datetime(2025, 11, 2, 2)),
        ("Berlin spring forward", BERLIN, datetime(2025, 3, 29, 23), datetime(2025, 3, 30, 4)),
        ("Berlin fall back", BERLIN, datetime(2025, 10, 25, 23), datetime(2025, 10, 26, 2)),
        ("Lord Howe 30-minute spring", LORD_HOWE, datetime(2025, 10, 4, 23), datetime(2025, 10, 5, 3, 30)),
        ("Chatham 45-minute zone spring", CHATHAM, datetime(2025, 9, 27, 23), datetime(2025, 9, 28, 4)),
    ],
)
def test_four_hours_on_24_7_across_a_dst_night_are_four_real_hours(
    _case: str, zone: ZoneInfo, start: datetime, expected_local: datetime
) -> None:
    # given
    calendar = BusinessCalendar.always_open(zone.key)
    start_aware = start.replace(tzinfo=zone)

    # when
    due = add_business_time(calendar, start_aware, 4 * HOUR)

    # then
    assert due == start_aware.astimezone(UTC) + 4 * HOUR
    assert due.astimezone(zone).replace(tzinfo=None) == expected_local
    assert business_time_between(calendar, start_aware, due) == 4 * HOUR


@pytest.mark.parametrize(
    ("_case", "zone", "night", "start", "end", "expected"),
    [
        ("NY spring: 02:00-03:00 never happens", "America/New_York", date(2025, 3, 9), 1, 4, 2 * HOUR),
        ("NY fall: 01:00-02:00 happens twice", "America/New_York", date(2025, 11, 2), 1, 2, 2 * HOUR),
        ("NY fall: 01:00-04:00", "America/New_York", date(2025, 11, 2), 1, 4, 4 * HOUR),
        ("Berlin spring: 02:00-03:00 never happens", "Europe/Berlin", date(2025, 3, 30), 1, 4, 2 * HOUR),
        ("Berlin fall: 02:00-03:00 happens twice", "Europe/Berlin", date(2025, 10, 26), 1, 4, 4 * HOUR),
        ("Lord Howe spring: 02:00-02:30 skipped", "Australia/Lord_Howe", date(2025, 10, 5), 1, 4, 2.5 * HOUR),
        ("Lord Howe fall: 01:30-02:00 twice", "Australia/Lord_Howe", date(2025, 4, 6), 1, 4, 3.5 * HOUR),
        ("Chatham spring: 02:45-03:45 skipped", "Pacific/Chatham", date(2025, 9, 28), 2, 5, 2 * HOUR),
        ("Chatham fall: 02:45-03:45 twice", "Pacific/Chatham", date(2025, 4, 6), 2, 5, 4 * HOUR),
    ],
)
def test_shift_containing_a_dst_change_lasts_the_real_time_its_wall_clock_is_inside(
    _case: str, zone: str, night: date, start: int, end: int, expected: timedelta
) -> None:
    # given
    calendar = every_day(zone, time(start), time(end))
    local_midnight = datetime.combine(night, time(), tzinfo=ZoneInfo(zone))

    # when
    result = business_time_between(calendar, local_midnight, local_midnight + timedelta(hours=12))

    # then
    assert result == expected


def test_spring_forward_shift_maps_to_exact_utc_intervals_in_new_york() -> None:
    # given: 01:00-04:00 daily; on 9 March 2025 the clock jumps from 02:00 EST to 03:00 EDT
    calendar = every_day("America/New_York", time(1), time(4))

    # when
    result = open_intervals(calendar, utc(2025, 3, 9), utc(2025, 3, 10))

    # then: 01:00-02:00 EST is 06:00-07:00Z and 03:00-04:00 EDT is 07:00-08:00Z
    assert result == [(utc(2025, 3, 9, 6), utc(2025, 3, 9, 8))]


def test_fall_back_repeated_hour_counts_both_passes_in_berlin() -> None:
    # given: 02:00-03:00 daily; on 26 October 2025 02:00-03:00 is lived in CEST and again in CET
    calendar = every_day("Europe/Berlin", time(2), time(3))

    # when
    result = open_intervals(calendar, utc(2025, 10, 25, 12), utc(2025, 10, 26, 12))

    # then: 02:00 CEST is 00:00Z, 03:00 CET is 02:00Z
    assert result == [(utc(2025, 10, 26, 0), utc(2025, 10, 26, 2))]
    assert is_open(calendar, utc(2025, 10, 26, 1, 30)) is True


def test_business_week_with_a_dst_sunday_keeps_its_hours_in_berlin(berlin_9_to_17: BusinessCalendar) -> None:
    # given: Friday 28 March to Monday 31 March 2025 spans the spring-forward Sunday
    start = datetime(2025, 3, 28, 15, tzinfo=BERLIN)
    end = datetime(2025, 3, 31, 11, tzinfo=BERLIN)

    # when
    result = business_time_between(berlin_9_to_17, start, end)

    # then
    assert result == 4 * HOUR


# --- Odd offsets ----------------------------------------------------------------------------


def test_kolkata_half_hour_offset_business_day_in_utc() -> None:
    # given: 09:00-17:00 IST (+05:30)
    calendar = BusinessCalendar("Asia/Kolkata", hours=weekday_hours(time(9), time(17)))

    # when
    result = open_intervals(calendar, utc(2025, 6, 2), utc(2025, 6, 3))

    # then
    assert result == [(utc(2025, 6, 2, 3, 30), utc(2025, 6, 2, 11, 30))]


def test_chatham_holiday_is_the_local_date_not_the_utc_date() -> None:
    # given: 24/7 in Chatham (+13:45 in December) with Christmas Day off
    calendar = BusinessCalendar(
        "Pacific/Chatham", hours=weekday_hours(time(0), time(0), range(7)), holidays={date(2025, 12, 25)}
    )

    # when
    intervals = open_intervals(calendar, utc(2025, 12, 24), utc(2025, 12, 26))

    # then: 25 December local is 24 Dec 10:15Z .. 25 Dec 10:15Z
    assert intervals == [
        (utc(2025, 12, 24), utc(2025, 12, 24, 10, 15)),
        (utc(2025, 12, 25, 10, 15), utc(2025, 12, 26)),
    ]
    assert is_open(calendar, utc(2025, 12, 24, 10, 14)) is True
    assert is_open(calendar, utc(2025, 12, 24, 12)) is False


def test_lord_howe_business_day_on_the_fall_back_sunday() -> None:
    # given: 00:00-12:00 daily; on 6 April 2025 the clock goes from 02:00 (+11) back to 01:30 (+10:30)
    calendar = every_day("Australia/Lord_Howe", time(0), time(12))

    # when
    result = open_intervals(calendar, utc(2025, 4, 5, 12), utc(2025, 4, 6, 12))

    # then: 00:00 +11 is 13:00Z, 12:00 +10:30 is 01:30Z
    assert result == [(utc(2025, 4, 5, 13), utc(2025, 4, 6, 1, 30))]
    assert business_time_between(calendar, utc(2025, 4, 5, 12), utc(2025, 4, 6, 12)) == 12.5 * HOUR


# --- Midnight, overnight shifts, holidays and special hours ---------------------------------


def test_24_7_is_open_across_midnight_as_one_interval() -> None:
    # given
    start = datetime(2025, 6, 1, 23, tzinfo=BERLIN)
    end = datetime(2025, 6, 2, 1, tzinfo=BERLIN)
    calendar = BusinessCalendar.always_open("Europe/Berlin")

    # when
    result = open_intervals(calendar, start, end)

    # then
    assert result == [(utc(2025, 6, 1, 21), utc(2025, 6, 1, 23))]
    assert is_open(calendar, datetime(2025, 6, 2, 0, tzinfo=BERLIN)) is True
    assert is_open(CALENDAR_24_7, utc(2025, 6, 2)) is True


@pytest.fixture
def friday_night_shift() -> BusinessCalendar:
    return BusinessCalendar("Europe/Berlin", hours=[WeeklyHours(4, time(22), time(6))])


@pytest.mark.parametrize(
    ("_case", "local", "expected"),
    [
        ("before the shift on Friday", datetime(2025, 6, 6, 21, 59), False),
        ("opens Friday 22:00", datetime(2025, 6, 6, 22), True),
        ("open after midnight on Saturday", datetime(2025, 6, 7, 3), True),
        ("closed at Saturday 06:00 (half-open)", datetime(2025, 6, 7, 6), False),
        ("closed Saturday night", datetime(2025, 6, 7, 23), False),
    ],
)
def test_overnight_friday_shift_is_open_until_saturday_morning(
    friday_night_shift: BusinessCalendar, _case: str, local: datetime, expected: bool
) -> None:
    assert is_open(friday_night_shift, local.replace(tzinfo=BERLIN)) is expected


@pytest.mark.parametrize(
    ("_case", "holidays", "expected"),
    [
        ("no holiday", set(), 8 * HOUR),
        ("Saturday holiday stops the shift at midnight", {date(2025, 6, 7)}, 2 * HOUR),
        ("Friday holiday cancels the shift starting on it", {date(2025, 6, 6)}, timedelta(0)),
    ],
)
def test_holiday_rules_for_an_overnight_shift(_case: str, holidays: set[date], expected: timedelta) -> None:
    # given
    calendar = BusinessCalendar("Europe/Berlin", hours=[WeeklyHours(4, time(22), time(6))], holidays=holidays)

    # when
    result = business_time_between(
        calendar, datetime(2025, 6, 2, tzinfo=BERLIN), datetime(2025, 6, 9, tzinfo=BERLIN)
    )

    # then
    assert result == expected


def test_special_hours_shorten_a_day(berlin_9_to_17: BusinessCalendar) -> None:
    # given: Christmas Eve 2025 (a Wednesday) only 09:00-12:00
    calendar = BusinessCalendar(
        "Europe/Berlin",
        hours=berlin_9_to_17.hours,
        special_hours=[SpecialHours(date(2025, 12, 24), time(9), time(12))],
    )
    christmas_eve = datetime(2025, 12, 24, 9, tzinfo=BERLIN)

    # when
    due = add_business_time(calendar, christmas_eve, 4 * HOUR)

    # then: 3 h on the 24th, then the next day (the 25th; no holidays in this calendar) 09:00 + 1 h
    assert business_time_between(calendar, christmas_eve, christmas_eve + HOUR * 12) == 3 * HOUR
    assert due == datetime(2025, 12, 25, 10, tzinfo=BERLIN)


def test_special_hours_open_a_holiday_and_a_saturday(berlin_9_to_17: BusinessCalendar) -> None:
    # given
    calendar = BusinessCalendar(
        "Europe/Berlin",
        hours=berlin_9_to_17.hours,
        holidays={date(2025, 6, 9)},
        special_hours=[
            SpecialHours(date(2025, 6, 7), time(10), time(12)),  # Saturday
            SpecialHours(date(2025, 6, 9), time(13), time(15)),  # the holiday
        ],
    )

    # when
    result = business_time_between(
        calendar, datetime(2025, 6, 7, tzinfo=BERLIN), datetime(2025, 6, 10, tzinfo=BERLIN)
    )

    # then
    assert result == 4 * HOUR


def test_holiday_in_berlin_is_skipped(berlin_9_to_17: BusinessCalendar) -> None:
    # given: Whit Monday, 9 June 2025
    calendar = BusinessCalendar("Europe/Berlin", hours=berlin_9_to_17.hours, holidays={date(2025, 6, 9)})

    # when
    result = next_open(calendar, datetime(2025, 6, 6, 17, tzinfo=BERLIN))

    # then
    assert result == datetime(2025, 6, 10, 9, tzinfo=BERLIN)


# --- add_business_time ----------------------------------------------------------------------


def test_friday_afternoon_4_hour_target_is_due_monday_1230(berlin_9_to_17: BusinessCalendar) -> None:
    # given: 30 minutes left on Friday, 3 h 30 min on Monday
    created = datetime(2025, 6, 13, 16, 30, tzinfo=BERLIN)

    # when
    due = add_business_time(berlin_9_to_17, created, 4 * HOUR)

    # then
    assert due == datetime(2025, 6, 16, 12, 30, tzinfo=BERLIN)
    assert due.tzinfo is UTC


def test_p5_five_business_days_skip_weekend_and_whit_monday() -> None:
    # given: 9-17 Mon-Fri with Berlin's public holidays; "5 business days" is 5 x 8 h
    calendar = BusinessCalendar(
        "Europe/Berlin", hours=weekday_hours(time(9), time(17)), holidays=holidays_for("DE", "BE", [2025])
    )
    created = datetime(2025, 6, 2, 10, tzinfo=BERLIN)

    # when
    due = add_business_time(calendar, created, 5 * 8 * HOUR)

    # then: Monday 9 June is Whit Monday, so the fifth day ends on Tuesday at 10:00
    assert due == datetime(2025, 6, 10, 10, tzinfo=BERLIN)


def test_full_day_ends_at_closing_time_not_next_opening(berlin_9_to_17: BusinessCalendar) -> None:
    # when
    due = add_business_time(berlin_9_to_17, datetime(2025, 6, 2, 9, tzinfo=BERLIN), 8 * HOUR)

    # then
    assert due == datetime(2025, 6, 2, 17, tzinfo=BERLIN)


def test_exactly_one_week_of_business_time_from_a_weekend_ends_at_friday_closing(
    berlin_9_to_17: BusinessCalendar,
) -> None:
    # given: Saturday noon; 40 h is exactly the calendar's week
    start = datetime(2025, 6, 7, 12, tzinfo=BERLIN)

    # when
    due = add_business_time(berlin_9_to_17, start, 40 * HOUR)

    # then
    assert due == datetime(2025, 6, 13, 17, tzinfo=BERLIN)


def test_two_weeks_on_24_7_across_spring_forward_are_one_hour_short_in_wall_time() -> None:
    # given: 1 to 15 March 2025 local midnight in New York; the 9th has 23 hours
    calendar = BusinessCalendar.always_open("America/New_York")
    start, end = datetime(2025, 3, 1, tzinfo=NEW_YORK), datetime(2025, 3, 15, tzinfo=NEW_YORK)

    # when
    result = business_time_between(calendar, start, end)

    # then
    assert result == timedelta(days=14) - HOUR


def test_zero_amount_returns_start_even_when_closed(berlin_9_to_17: BusinessCalendar) -> None:
    # given: a Sunday
    start = datetime(2025, 6, 1, 12, tzinfo=BERLIN)

    # when
    due = add_business_time(berlin_9_to_17, start, timedelta(0))

    # then
    assert due == start


def test_long_amounts_jump_whole_weeks_exactly(berlin_9_to_17: BusinessCalendar) -> None:
    # given: 30 days of calendar time in New York across the spring-forward night
    start = datetime(2025, 3, 1, 12, tzinfo=NEW_YORK)

    # when
    on_24_7 = add_business_time(BusinessCalendar.always_open("America/New_York"), start, timedelta(days=30))
    fifty_days = add_business_time(berlin_9_to_17, datetime(2025, 6, 6, 16, 30, tzinfo=BERLIN), 400 * HOUR)

    # then
    assert on_24_7 == start.astimezone(UTC) + timedelta(days=30)
    assert fifty_days == datetime(2025, 8, 15, 16, 30, tzinfo=BERLIN)


def test_calendar_without_hours_never_opens() -> None:
    # given
    calendar = BusinessCalendar("Europe/Berlin")

    # when / then
    with pytest.raises(CalendarNeverOpensError):
        add_business_time(calendar, utc(2025, 1, 1), MINUTE)
    assert next_open(calendar, utc(2025, 1, 1)) is None


def test_special_hours_beyond_the_horizon_are_not_searched() -> None:
    # given: the only open day is three years away
    calendar = BusinessCalendar("UTC", special_hours=[SpecialHours(date(2028, 1, 3), time(9), time(10))])

    # when / then
    with pytest.raises(CalendarNeverOpensError):
        add_business_time(calendar, utc(2025, 1, 1), MINUTE)
    assert add_business_time(calendar, utc(2027, 6, 1), MINUTE) == utc(2028, 1, 3, 9, 1)


# --- Validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("_case", "call"),
    [
        ("naive start", lambda c: business_time_between(c, datetime(2025, 1, 1), utc(2025, 1, 2))),
        ("naive end", lambda c: open_intervals(c, utc(2025, 1, 1), datetime(2025, 1, 2))),
        ("naive add", lambda c: add_business_time(c, datetime(2025, 1, 1), HOUR)),
        ("naive is_open", lambda c: is_open(c, datetime(2025, 1, 1))),
        ("naive next_open", lambda c: next_open(c, datetime(2025, 1, 1))),
        ("end before start", lambda c: business_time_between(c, utc(2025, 1, 2), utc(2025, 1, 1))),
        ("negative amount", lambda c: add_business_time(c, utc(2025, 1, 1), -HOUR)),
    ],
)
def test_invalid_arguments_raise_value_error(berlin_9_to_17: BusinessCalendar, _case: str, call) -> None:
    with pytest.raises(ValueError, match=r"naive|before|negative"):
        call(berlin_9_to_17)


@pytest.mark.parametrize(
    ("_case", "build"),
    [
        ("unknown zone", lambda: BusinessCalendar("Mars/Olympus_Mons")),
        ("weekday 7", lambda: WeeklyHours(7, time(9), time(17))),
        ("aware time", lambda: WeeklyHours(0, time(9, tzinfo=UTC), time(17))),
        ("microseconds", lambda: WeeklyHours(0, time(9, 0, 0, 5), time(17))),
        ("datetime as a holiday", lambda: BusinessCalendar("UTC", holidays={utc(2025, 1, 1)})),
        ("datetime as a special day", lambda: SpecialHours(utc(2025, 1, 1), time(9), time(17))),
    ],
)
def test_invalid_calendar_rows_raise_value_error(_case: str, build) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        build()


def test_calendar_from_lists_equals_calendar_from_tuples_and_hashes_alike() -> None:
    # given
    rows = [WeeklyHours(0, time(9), time(17))]

    # when
    from_lists = BusinessCalendar("UTC", hours=rows, holidays={date(2025, 1, 1)})
    from_tuples = BusinessCalendar("UTC", hours=tuple(rows), holidays=frozenset({date(2025, 1, 1)}))

    # then
    assert from_lists == from_tuples
    assert hash(from_lists) == hash(from_tuples)


def test_holidays_for_imports_state_holidays() -> None:
    # when
    berlin = holidays_for("DE", "BE", [2025])

    # then: Women's Day is a holiday in Berlin only
    assert {date(2025, 1, 1), date(2025, 3, 8), date(2025, 12, 25)} <= berlin
    assert date(2025, 3, 8) not in holidays_for("DE", "BY", [2025])
    with pytest.raises(ValueError, match="no holiday data"):
        holidays_for("XX", None, [2025])


@pytest.mark.parametrize("zone", [zone for zone in TRANSITION_DATES if zone != "Asia/Kolkata"])
def test_anchor_dates_are_real_offset_changes(zone: str) -> None:
    # The hypothesis strategies rely on this table; check it against tzdata.
    tz = ZoneInfo(zone)
    for day in TRANSITION_DATES[zone]:
        midnight = datetime.combine(day, time(), tzinfo=tz)
        assert midnight.utcoffset() != (midnight + timedelta(days=1)).utcoffset(), day


# --- Properties against the brute-force reference ------------------------------------------

durations = st.integers(0, 10 * 24 * 60)


@settings(max_examples=120, deadline=None)
@given(scenario=scenarios(), minutes=durations)
def test_open_intervals_and_business_time_match_brute_force(scenario: Scenario, minutes: int) -> None:
    # given
    start, end = scenario.start, scenario.start + minutes * MINUTE
    expected = open_minutes(scenario.raw, start, minutes)

    # when
    intervals = open_intervals(scenario.calendar, start, end)
    total = business_time_between(scenario.calendar, start, end)

    # then
    actual = [False] * minutes
    for interval_start, interval_end in intervals:
        for index in range((interval_start - start) // MINUTE, (interval_end - start) // MINUTE):
            actual[index] = True
    assert actual == expected
    assert total == sum(expected) * MINUTE
    assert all(a_end < b_start for (_, a_end), (b_start, _) in itertools.pairwise(intervals))
    assert all(start <= a < b <= end and a.tzinfo is UTC for a, b in intervals)


@settings(max_examples=120, deadline=None)
@given(scenario=scenarios(), amount=st.integers(1, 3 * 24 * 60))
def test_add_business_time_matches_brute_force(scenario: Scenario, amount: int) -> None:
    # given: the reference's earliest minute end at which `amount` open minutes have passed
    window = 21 * 24 * 60
    counted, expected = 0, None
    for index, flag in enumerate(iter_open_minutes(scenario.raw, scenario.start, window)):
        counted += flag
        if counted == amount:
            expected = scenario.start + (index + 1) * MINUTE
            break

    # when
    try:
        due = add_business_time(scenario.calendar, scenario.start, amount * MINUTE)
    except CalendarNeverOpensError:
        due = None

    # then
    if expected is not None:
        assert due == expected
        assert business_time_between(scenario.calendar, scenario.start, due) == amount * MINUTE
        assert is_open(scenario.calendar, due - MINUTE)
    else:
        assert due is None or due > scenario.start + window * MINUTE


@settings(max_examples=300, deadline=None)
@given(scenario=scenarios(), minutes=durations)
def test_add_business_time_inverts_business_time_between(scenario: Scenario, minutes: int) -> None:
    # given
    end = scenario.start + minutes * MINUTE
    between = business_time_between(scenario.calendar, scenario.start, end)

    # when
    due = add_business_time(scenario.calendar, scenario.start, between)

    # then
    assert due <= end
    assert business_time_between(scenario.calendar, scenario.start, due) == between
    if between:
        assert is_open(scenario.calendar, due - MINUTE)


@settings(max_examples=25, deadline=None)
@given(scenario=scenarios(), minutes=st.integers(7 * 24 * 60, 36 * 24 * 60))
def test_long_ranges_that_skip_whole_weeks_match_brute_force(scenario: Scenario, minutes: int) -> None:
    # given: long enough for the week-at-a-time shortcut, across DST changes and holidays
    flags = open_minutes(scenario.raw, scenario.start, minutes)
    expected_total = sum(flags)
    last_open = max((index for index, flag in enumerate(flags) if flag), default=None)

    # when
    total = business_time_between(scenario.calendar, scenario.start, scenario.start + minutes * MINUTE)
    due = add_business_time(scenario.calendar, scenario.start, expected_total * MINUTE)

    # then
    assert total == expected_total * MINUTE
    if last_open is not None:
        assert due == scenario.start + (last_open + 1) * MINUTE


@settings(max_examples=120, deadline=None)
@given(scenario=scenarios(), offset=st.integers(0, 24 * 60))
def test_is_open_and_next_open_match_brute_force(scenario: Scenario, offset: int) -> None:
    # given
    at = scenario.start + offset * MINUTE
    window = 14 * 24 * 60
    flags = iter_open_minutes(scenario.raw, at, window)
    first_open = next((at + index * MINUTE for index, flag in enumerate(flags) if flag), None)
    expected_is_open = first_open == at

    # when
    result_is_open = is_open(scenario.calendar, at)
    result_next_open = next_open(scenario.calendar, at)

    # then
    assert result_is_open is expected_is_open
    if first_open is not None:
        assert result_next_open == first_open
    else:
        assert result_next_open is None or result_next_open >= at + window * MINUTE
