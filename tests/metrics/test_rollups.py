"""The sweep keeps facts and rollups equal to a rebuild from the event logs, idempotently, once at a time."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from helpdesk import services as account_services
from metrics.models import MetricDirtyTicket, MetricRefreshState, MetricRollup, Survey, TicketFact
from metrics.reporting import formulas, periods, refresh, selectors
from metrics.reporting.aggregate import QUANTILES_KEY, SCALARS
from metrics.reporting.periods import Window
from metrics.reporting.rebuild import metrics_check, metrics_rebuild
from metrics.reporting.refresh import GAP_LIFETIME, advance, metrics_refresh
from tests.metrics.history import MON, NOW, WED, History, at, build_history
from tickets import services as ticket_services
from tickets.models import TicketStatus

LATER = NOW + timedelta(hours=1)


def _rollups() -> list[tuple]:
    return list(
        MetricRollup.objects.order_by("grain", "period_start", "dimension", "key").values_list(
            "grain", "period_start", "dimension", "key", "created", "resolved", "frt_hist", "csat_responses"
        )
    )


@pytest.fixture
def history(db: None) -> History:
    return build_history()


def test_the_sweep_agrees_with_a_rebuild_as_the_history_goes_on(history: History) -> None:
    # given: the sweep ran once
    metrics_refresh(now=NOW)
    assert metrics_check(now=NOW, refresh_first=False).agrees

    # when: A is reopened and resolved again, a late survey answer changes, D is answered
    with time_machine.travel(LATER, tick=False):
        ticket_services.message_create(
            ticket_id=history.tickets["A"].pk, author=history.customer, body="Again."
        )
        ticket_services.message_create(ticket_id=history.tickets["D"].pk, author=history.agent, body="On it.")
        ticket_services.ticket_change_status(
            ticket_id=history.tickets["A"].pk, to=TicketStatus.RESOLVED, actor=history.agent
        )
        Survey.objects.filter(ticket=history.tickets["B"]).update(score=4, updated_at=LATER)
    report = metrics_refresh(now=LATER + timedelta(seconds=30))

    # then
    assert report.ran
    assert report.facts_changed == 2
    check = metrics_check(now=LATER + timedelta(seconds=30), refresh_first=False)
    assert check.lines == []
    figures = selectors.summary(window=Window(MON.date(), LATER.date()), now=LATER).figures
    assert figures["reopen_rate"].value == pytest.approx(200 / 3)  # A and B of three first resolved
    assert figures["csat"].value == 100.0  # B's answer is a 4 now


def test_an_organization_tier_change_reaches_its_facts(history: History) -> None:
    # given
    metrics_refresh(now=NOW)

    # when
    with time_machine.travel(LATER, tick=False):
        account_services.organization_update(organization_id=history.organization.pk, tier="enterprise")
    metrics_refresh(now=LATER)

    # then
    assert set(TicketFact.objects.values_list("tier", flat=True)) == {"enterprise"}
    assert metrics_check(now=LATER, refresh_first=False).agrees


def test_running_the_sweep_twice_changes_nothing(history: History) -> None:
    # given
    metrics_refresh(now=NOW)
    before = _rollups()

    # when
    again = metrics_refresh(now=NOW + timedelta(seconds=30))

    # then
    assert (again.facts_changed, again.days) == (0, 0)
    assert _rollups() == before


def test_a_rebuild_gives_the_rows_the_sweep_kept(history: History) -> None:
    # given
    metrics_refresh(now=NOW)
    kept = _rollups()

    # when
    report = metrics_rebuild(now=NOW)

    # then
    assert (report.tickets, report.days) == (5, 3)
    assert _rollups() == kept


def test_a_large_backlog_is_worked_off_in_batches(history: History) -> None:
    # when
    first = metrics_refresh(now=NOW, ticket_batch=2)
    second = metrics_refresh(now=NOW, ticket_batch=2)
    third = metrics_refresh(now=NOW, ticket_batch=2)

    # then
    assert (first.facts_changed, first.backlog) == (2, 3)
    assert (second.facts_changed, second.backlog) == (2, 1)
    assert (third.facts_changed, third.backlog) == (1, 0)
    assert not MetricDirtyTicket.objects.exists()
    assert metrics_check(now=NOW, refresh_first=False).agrees


def test_a_run_recomputes_a_bounded_number_of_days_newest_first(
    history: History, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: the history touches three days; a run recomputes one
    monkeypatch.setattr(refresh, "DAYS_PER_RUN", 1)

    # when
    first = metrics_refresh(now=NOW)
    recomputed = set(MetricRollup.objects.filter(grain="day").values_list("period_start", flat=True))
    second = metrics_refresh(now=NOW)
    third = metrics_refresh(now=NOW)

    # then
    assert (first.days, first.days_pending) == (1, 2)
    assert recomputed == {WED.date()}
    assert (second.days_pending, third.days_pending) == (1, 0)
    assert metrics_check(now=NOW, refresh_first=False).agrees


def test_check_reports_a_tampered_rollup_and_fails(history: History) -> None:
    # given
    metrics_refresh(now=NOW)
    MetricRollup.objects.filter(grain="day", period_start=MON.date(), dimension="all").update(created=40)
    out = StringIO()

    # when
    with pytest.raises(CommandError) as failure:
        call_command("metrics_rebuild", "--check", stdout=out)

    # then
    assert str(failure.value) == "0 facts and 1 rollup rows differ from a rebuild."
    lines = out.getvalue().splitlines()
    assert "rollup day 2026-03-02 all : created live 40 != rebuilt 4" in lines
    # and nothing was written: the tampered row is still there
    assert MetricRollup.objects.get(grain="day", period_start=MON.date(), dimension="all").created == 40


def test_check_reports_a_tampered_fact(history: History) -> None:
    # given
    metrics_refresh(now=NOW)
    TicketFact.objects.filter(ticket_id=history.tickets["A"].pk).update(frt_seconds=1)

    # when
    report = metrics_check(now=NOW, refresh_first=False)

    # then
    assert report.facts_differing == 1
    assert report.lines[0] == f"fact of ticket #{history.tickets['A'].pk}: frt_seconds live 1 != rebuilt 3600"


def test_check_passes_on_agreeing_rows(history: History) -> None:
    metrics_refresh(now=NOW)
    out = StringIO()

    call_command("metrics_rebuild", "--check", stdout=out)

    assert out.getvalue().strip() == "Metrics agree with a rebuild from the event logs."


@pytest.mark.django_db(transaction=True)
def test_a_run_finding_another_one_in_progress_skips() -> None:
    # given: another worker holds the refresh state row
    MetricRefreshState.objects.create(pk=1)
    holding, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        with transaction.atomic():
            refresh.state_claim()
            holding.set()
            release.wait(10)
        connection.close()

    worker = threading.Thread(target=other_worker)
    worker.start()
    holding.wait(10)

    # when
    try:
        report = metrics_refresh(now=NOW)
    finally:
        release.set()
        worker.join()

    # then
    assert report.ran is False


# --- watermarks and gaps ----------------------------------------------------------------------------

T = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def test_ids_not_visible_yet_become_gaps_and_are_read_again() -> None:
    # given: ids 11 and 13 read, 12 not (its transaction has not committed)
    rows = [(11, 1, T), (13, 2, T)]

    # when
    position, gaps = advance(10, [], rows, now=T)
    later_position, later_gaps = advance(
        position, gaps, [(12, 3, T), (14, 4, T)], now=T + timedelta(seconds=30)
    )

    # then
    assert (position, gaps) == (13, [(12, 12, T.isoformat())])
    assert (later_position, later_gaps) == (14, [])


def test_gaps_are_kept_as_ranges_and_shrink_as_ids_show_up() -> None:
    # given: ids 2-9 used up by conflicting inserts (never visible), 5 in a slow transaction
    position, gaps = advance(1, [], [(1, 1, T), (10, 2, T)], now=T)

    # when
    _, later = advance(position, gaps, [(5, 3, T)], now=T + timedelta(seconds=30))

    # then
    assert gaps == [(2, 9, T.isoformat())]
    assert later == [(2, 4, T.isoformat()), (6, 9, T.isoformat())]


def test_a_gap_never_filled_is_dropped_after_its_lifetime() -> None:
    position, gaps = advance(10, [], [(12, 1, T)], now=T)

    _, later = advance(position, gaps, [], now=T + GAP_LIFETIME + timedelta(seconds=1))

    assert gaps == [(11, 11, T.isoformat())]
    assert later == []


def test_ids_below_an_old_event_are_not_gaps() -> None:
    # given: a first run over old history; 2 was rolled back long ago
    old = T - timedelta(days=3)

    position, gaps = advance(0, [], [(1, 1, old), (3, 2, old)], now=T)

    assert (position, gaps) == (3, [])


def test_rollup_days_are_utc_days(history: History) -> None:
    metrics_refresh(now=NOW)
    days = sorted(set(MetricRollup.objects.filter(grain="day").values_list("period_start", flat=True)))
    assert days == [MON.date(), MON.date() + timedelta(days=1), WED.date()]
    assert at(MON, 0).tzinfo == UTC


# --- the named periods' own rows ---------------------------------------------------------------


def _window_rows(dimension: str = "all") -> dict[tuple[str, date], int]:
    rows = MetricRollup.objects.filter(grain__in=periods.SPAN_GRAINS.values(), dimension=dimension)
    return {
        (grain, start): created
        for grain, start, created in rows.values_list("grain", "period_start", "created")
    }


def _summed_from_parts(window: Window, dimension: str) -> dict[tuple[int, str], dict[str, Any]]:
    # A year on, the window is no longer one the sweep keeps: it is summed from its parts.
    with time_machine.travel(NOW + timedelta(days=400), tick=False):
        return _not_empty(selectors.rollup_sums(dimension=dimension, buckets=[window]))


def _not_empty(rows: dict[tuple[int, str], dict[str, Any]]) -> dict[tuple[int, str], dict[str, Any]]:
    return {key: row for key, row in rows.items() if any(row[name] for name in SCALARS)}


def _comparable(rows: dict[tuple[int, str], dict[str, Any]]) -> dict[tuple[int, str], dict[str, Any]]:
    # A kept row carries its percentiles instead of its histograms: compare what figures read.
    return {
        key: {
            **{name: row[name] for name in (*SCALARS, "arrivals_by_hour")},
            **{name: formulas.FORMULAS[name](row)[0] for name in formulas.HISTOGRAM_OF},
        }
        for key, row in rows.items()
    }


def test_the_sweep_keeps_a_row_per_slice_for_each_named_period_ending_today(history: History) -> None:
    # when
    metrics_refresh(now=NOW)

    # then: the week, month and half-year ending today and the windows before them, each the sum of
    # the rows that make it up (an empty window still has its all-zero "all" row)
    today = NOW.date()
    expected = {(grain, window.start) for grain, window in periods.trailing_windows(today)}
    assert set(_window_rows()) == expected
    assert MetricRefreshState.objects.get().windows_on == today
    for _, window in periods.trailing_windows(today):
        for dimension in ("all", "team", "agent", "priority"):
            with time_machine.travel(NOW, tick=False):
                kept = _not_empty(selectors.rollup_sums(dimension=dimension, buckets=[window]))
            summed = _summed_from_parts(window, dimension)
            assert _comparable(kept) == _comparable(summed)
            assert all(QUANTILES_KEY in row for row in kept.values())
    assert (
        _window_rows()[("p1w", (NOW - timedelta(days=6)).date())] == 4
    )  # A–D; E was merged into D, so it is not counted


def test_a_kept_window_is_read_in_one_statement_and_a_new_day_gets_its_own(
    history: History, django_assert_num_queries: Any
) -> None:
    # given
    metrics_refresh(now=NOW)
    week = periods.window_for("1w", today=NOW.date())

    # then: today's week is one statement (its own rows); a week that is not kept is two (probe, sum)
    with time_machine.travel(NOW, tick=False), django_assert_num_queries(1):
        assert selectors.rollup_sums(dimension="all", buckets=[week])[(0, "")]["created"] == 4
    tomorrow = NOW + timedelta(days=1)
    next_week = periods.window_for("1w", today=tomorrow.date())
    with time_machine.travel(tomorrow, tick=False), django_assert_num_queries(2):
        assert selectors.rollup_sums(dimension="all", buckets=[next_week])[(0, "")]["created"] == 4

    # when: the sweep runs on the next day with nothing new
    report = metrics_refresh(now=tomorrow)

    # then: the windows moved with it, and agree with a rebuild
    assert report.facts_changed == 0
    assert ("p1w", next_week.start) in _window_rows()
    assert ("p1w", week.start) not in _window_rows()
    with time_machine.travel(tomorrow, tick=False), django_assert_num_queries(1):
        assert selectors.rollup_sums(dimension="all", buckets=[next_week])[(0, "")]["created"] == 4
    assert metrics_check(now=tomorrow, refresh_first=False).agrees


def test_a_change_reaches_the_kept_windows_in_the_same_run(history: History) -> None:
    # given
    metrics_refresh(now=NOW)
    month = periods.window_for("1m", today=NOW.date())
    before = _window_rows()[("p1m", month.start)]

    # when: a new ticket arrives and the sweep runs
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        ticket_services.ticket_create(
            subject="One more", description="Hello", requester=history.customer, actor=history.customer
        )
    metrics_refresh(now=NOW + timedelta(minutes=6))

    # then
    assert _window_rows()[("p1m", month.start)] == before + 1
    with time_machine.travel(NOW, tick=False):
        assert selectors.rollup_sums(dimension="all", buckets=[month])[(0, "")]["created"] == before + 1
    assert metrics_check(now=NOW + timedelta(minutes=6), refresh_first=False).agrees
