"""Loading business calendars from rows into pure sla.calendars objects, and editing holidays."""

from __future__ import annotations

import time as monotonic
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from sla import calendars as pure
from sla.models import BusinessCalendar, Holiday

# Calendars change rarely and are read on every re-plan: keep built ones per process, keyed by
# the row's updated_at so an edit anywhere is seen on the next read.
_built: dict[int, tuple[datetime, pure.BusinessCalendar]] = {}
_stamps: dict[int, tuple[float, datetime]] = {}
_default_id: tuple[float, int | None] = (0.0, None)
# How long a process trusts what it knows of calendar rows before asking the database again:
# an edit reaches every clock re-planned after that (re-apply re-plans open tickets at once).
CACHE_SECONDS = 5.0


def _build(row: BusinessCalendar) -> pure.BusinessCalendar:
    if row.is_24_7:
        return pure.BusinessCalendar.always_open(row.time_zone)
    return pure.BusinessCalendar(
        row.time_zone,
        hours=[pure.WeeklyHours(h.weekday, h.start, h.end) for h in row.weekly_hours.all()],
        holidays=frozenset(h.date for h in row.holidays.all()),
        special_hours=[pure.SpecialHours(s.date, s.start, s.end) for s in row.special_hours.all()],
    )


def calendars_load(calendar_ids: Iterable[int | None]) -> dict[int | None, pure.BusinessCalendar]:
    """Return pure calendars by id; None (always present) maps to calendar hours, 24/7 in UTC."""
    result: dict[int | None, pure.BusinessCalendar] = {None: pure.CALENDAR_24_7}
    ids = {pk for pk in calendar_ids if pk is not None}
    if not ids:
        return result
    clock = monotonic.monotonic()
    fresh = {pk: _stamps[pk][1] for pk in ids if pk in _stamps and clock - _stamps[pk][0] < CACHE_SECONDS}
    missing = ids - set(fresh)
    stamps = dict(fresh)
    if missing:
        for pk, stamp in BusinessCalendar.objects.filter(pk__in=missing).values_list("pk", "updated_at"):
            stamps[pk] = stamp
            _stamps[pk] = (clock, stamp)
    stale = [pk for pk, stamp in stamps.items() if pk not in _built or _built[pk][0] != stamp]
    if stale:
        rows = BusinessCalendar.objects.filter(pk__in=stale).prefetch_related(
            "weekly_hours", "holidays", "special_hours"
        )
        for row in rows:
            _built[row.pk] = (row.updated_at, _build(row))
    for pk in stamps:
        result[pk] = _built[pk][1]
    return result


def default_calendar_id() -> int | None:
    """Return the default calendar's id (cached for a few seconds), or None when there is none."""
    global _default_id
    checked, pk = _default_id
    if monotonic.monotonic() - checked > CACHE_SECONDS:
        pk = BusinessCalendar.objects.filter(is_default=True).values_list("pk", flat=True).first()
        _default_id = (monotonic.monotonic(), pk)
    return pk


@transaction.atomic
def calendar_touch(*, calendar_id: int) -> None:
    """Mark a calendar edited so every process rebuilds it."""
    BusinessCalendar.objects.filter(pk=calendar_id).update(updated_at=timezone.now())
    _stamps.pop(calendar_id, None)


@transaction.atomic
def calendar_import_holidays(
    *, calendar_id: int, country: str, subdivision: str = "", years: Iterable[int]
) -> int:
    """Add the public holidays of a country/subdivision for `years`; return how many were new.

    Existing dates are kept as edited. Raises ValueError for an unknown country or subdivision.
    """
    calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar_id)
    import holidays as holidays_package

    table = holidays_package.country_holidays(country, subdiv=subdivision or None, years=list(years))
    existing = set(calendar.holidays.values_list("date", flat=True))
    new = [
        Holiday(calendar=calendar, date=day, name=str(name)[:120])
        for day, name in sorted(table.items())
        if day not in existing
    ]
    Holiday.objects.bulk_create(new, ignore_conflicts=True)
    calendar.holiday_country, calendar.holiday_subdivision = country, subdivision
    calendar.updated_at = timezone.now()
    calendar.save(update_fields=["holiday_country", "holiday_subdivision", "updated_at"])
    return len(new)


def calendar_cache_clear() -> None:
    """Forget every cached calendar in this process (tests, and after bulk edits)."""
    global _default_id
    _built.clear()
    _stamps.clear()
    _default_id = (0.0, None)
