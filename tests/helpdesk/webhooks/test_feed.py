"""The feed's gap bookkeeping: ids that commit late are read, ids that never will are let go."""

from __future__ import annotations

from helpdesk.webhooks.feed import Advanced, FeedState, Gap, advance


def _advance(state: FeedState, found: list[int], read_through: int | None, **kwargs: float) -> Advanced:
    options = {"oldest_running_xid": 100, "next_xid": 120, "now": 1000.0, "max_gap_age": 3600.0}
    options.update(kwargs)
    return advance(state, found=found, read_through=read_through, **options)  # type: ignore[arg-type]


def test_contiguous_ids_move_the_position_and_leave_no_gap() -> None:
    result = _advance(FeedState(10), [11, 12, 13], 13)

    assert result.state == FeedState(13, ())
    assert result.abandoned == ()


def test_missing_ids_below_the_last_read_become_gaps_without_a_horizon() -> None:
    result = _advance(FeedState(10), [11, 14, 17], 17)

    assert result.state == FeedState(17, (Gap(12, 13, None, 1000.0), Gap(15, 16, None, 1000.0)))


def test_a_gap_gets_its_horizon_on_the_next_read_and_shrinks_when_ids_show_up() -> None:
    # given a gap seen in an earlier read
    state = FeedState(17, (Gap(12, 16, None, 1000.0),))

    # when id 14 commits and is read (nothing new above the position)
    result = _advance(state, [14], None, next_xid=130, now=1002.0)

    # then the rest stays open, with the snapshot's xmax as horizon
    assert result.state == FeedState(17, (Gap(12, 13, 130, 1000.0), Gap(15, 16, 130, 1000.0)))


def test_a_gap_closes_once_every_transaction_before_its_horizon_ended() -> None:
    state = FeedState(17, (Gap(12, 13, 130, 1000.0), Gap(15, 16, 150, 1000.0)))

    result = _advance(state, [], None, oldest_running_xid=140, now=1004.0)

    assert result.state == FeedState(17, (Gap(15, 16, 150, 1000.0),))
    assert result.abandoned == ()


def test_a_gap_older_than_the_limit_is_abandoned_and_reported() -> None:
    state = FeedState(17, (Gap(12, 13, 130, 1000.0),))

    result = _advance(state, [], None, oldest_running_xid=120, now=1000.0 + 3601)

    assert result.state == FeedState(17, ())
    assert result.abandoned == (Gap(12, 13, 130, 1000.0),)


def test_gaps_round_trip_through_json() -> None:
    gap = Gap(5, 9, None, 12.5)

    assert Gap.from_json(gap.to_json()) == gap
