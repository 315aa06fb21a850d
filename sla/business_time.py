"""Business-time arithmetic for SLA deadlines. Pure functions; no database access.

Everything works on a `Schedule`: a time zone, working periods per weekday in local wall time
(0 = Monday; several periods on one day express breaks) and days off (explicit dates plus,
optionally, a country's public holidays, expanded lazily per year). `Schedule.always()` is the
24/7 schedule. `sla.selectors.schedule_for_calendar` builds one from a `BusinessCalendar`.

- `add_business_minutes(schedule, start, minutes)`: the instant `minutes` of working time after
  `start`. Time before the next opening does not count; a deadline that is reached exactly at
  closing time is that closing time.
- `business_minutes_between(schedule, start, end)`: working minutes in `[start, end)`; 0 when
  `end <= start`. It is the inverse of `add_business_minutes`.
- `next_business_moment(schedule, at)`: `at` itself during working time, else the next opening.

All take timezone-aware datetimes and return aware datetimes in UTC.

Wall time and daylight saving
-----------------------------
Periods are read in the schedule's local wall time on each local date, but every duration is
measured between real (UTC) instants. Each wall time maps to **the first instant at which the
local clock shows that time or later**:

- a normal wall time is its one instant;
- an ambiguous wall time (the repeated hour when clocks go back) is its first occurrence,
  which is zoneinfo's ``fold=0``;
- a wall time that does not exist (skipped when clocks go forward) moves forward to the end of
  the gap, the transition instant itself. zoneinfo's ``fold=0`` would move it forward by the
  length of the gap instead (02:30 -> 03:30); that can push a period's end past a later
  period's start, so this module stops at the transition (02:30 -> 03:00).

The mapping never goes backwards, so periods never overlap and each counts its real length. On
the Europe/Berlin spring-forward day a 01:00-04:00 period is 2 real hours and a 02:00-03:00
period is empty; on the fall-back day a 01:00-04:00 period is 4 real hours.

Efficiency
----------
For each (schedule, local year) the working intervals of that year are laid out once, as UTC
instants with running totals, and cached; `Schedule` is an immutable, hashable value, so an
edited calendar is simply a new key. Adding or measuring is then a binary search inside a year
plus one step per year crossed: nothing loops over minutes, and repeated calls for the same
calendar do not even loop over days.
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

_ZERO = timedelta(0)
_MINUTE = timedelta(minutes=1)
_MICROSECOND = timedelta(microseconds=1)
# The first and last local years are left out so converting their bounds cannot overflow.
_FIRST_YEAR = 2
_LAST_YEAR = 9998

Period = tuple[time, time]


@dataclass(frozen=True, eq=True)
class Schedule:
    """When the SLA clock runs. Immutable and hashable, so results can be cached per schedule.

    `periods` maps a weekday (0 = Monday .. 6 = Sunday) to `(start, end)` wall times with
    `start < end`; overlapping or touching periods on one day are merged. `holidays` are local
    dates with no working time; `holiday_country` (and optional `holiday_subdivision`) add that
    country's public holidays for every year from the `holidays` library.
    """

    tz: ZoneInfo
    periods: Mapping[int, tuple[Period, ...]]
    holidays: frozenset[date] = frozenset()
    holiday_country: str = ""
    holiday_subdivision: str = ""
    always_open: bool = False
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        periods = _normalise_periods(self.periods)
        if self.always_open:
            if periods or self.holidays or self.holiday_country:
                raise ValueError("A 24/7 schedule has no periods or holidays.")
        elif not periods:
            raise ValueError(
                "A schedule needs at least one working period; without one no deadline could "
                "ever be reached. Use Schedule.always() for 24/7."
            )
        if self.holiday_subdivision and not self.holiday_country:
            raise ValueError("A holiday subdivision needs a holiday country.")
        object.__setattr__(self, "periods", MappingProxyType(periods))
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        key = (
            self.tz,
            tuple(sorted(periods.items())),
            self.holidays,
            self.holiday_country,
            self.holiday_subdivision,
            self.always_open,
        )
        object.__setattr__(self, "_hash", hash(key))

    def __hash__(self) -> int:
        return self._hash

    @classmethod
    def always(cls) -> Schedule:
        """The 24/7 schedule: every instant is working time."""
        return cls(tz=ZoneInfo("UTC"), periods={}, always_open=True)

    def days_off(self, year: int) -> frozenset[date]:
        """Explicit and public holidays that fall in `year`."""
        public = (
            country_holidays(self.holiday_country, self.holiday_subdivision, year)
            if self.holiday_country
            else frozenset()
        )
        return public | {day for day in self.holidays if day.year == year}


def _normalise_periods(
    periods: Mapping[int, Iterable[Period]],
) -> dict[int, tuple[Period, ...]]:
    normalised: dict[int, tuple[Period, ...]] = {}
    for weekday, day_periods in periods.items():
        if weekday not in range(7):
            raise ValueError(f"Weekday must be 0 (Monday) to 6 (Sunday), not {weekday!r}.")
        merged: list[Period] = []
        for start, end in sorted(day_periods):
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("Working periods are local wall times without a tzinfo.")
            if not start < end:
                raise ValueError(f"A working period must end after it starts: {start}-{end}.")
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        if merged:
            normalised[weekday] = tuple(merged)
    return normalised


@functools.lru_cache(maxsize=1024)
def country_holidays(country: str, subdivision: str, year: int) -> frozenset[date]:
    """Public holidays of `country` (and `subdivision`, if given) that fall in `year`.

    Observed days count (a holiday moved to a Monday closes that Monday). Neighbouring years
    are expanded too, so an observed day that crosses New Year is not lost.
    """
    import holidays  # imported here: most schedules never need it

    found = holidays.country_holidays(
        country, subdiv=subdivision or None, years=range(year - 1, year + 2)
    )
    return frozenset(day for day in found if day.year == year)


def _wall_to_utc(tz: ZoneInfo, wall: datetime) -> datetime:
    """The first instant at which the clock in `tz` shows `wall` (naive) or later."""
    first = wall.replace(tzinfo=tz).astimezone(UTC)  # fold=0: first occurrence if ambiguous
    if first.astimezone(tz).replace(tzinfo=None) == wall:
        return first
    # `wall` is in a gap. fold=0 read it with the offset from before the gap, which lands
    # after the transition; fold=1 reads it with the offset after, which lands before it.
    # Bisect down to the transition: the first instant whose wall time is `wall` or later.
    before = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    after = first
    while after - before > _MICROSECOND:
        middle = before + (after - before) // 2
        if middle.astimezone(tz).replace(tzinfo=None) >= wall:
            after = middle
        else:
            before = middle
    return after


@dataclass(frozen=True, slots=True)
class _Year:
    """The working intervals of one local year, as UTC instants, with running totals."""

    year: int
    begin: datetime  # first instant of the local year
    end: datetime  # first instant of the next local year
    starts: tuple[datetime, ...]
    ends: tuple[datetime, ...]
    done_before: tuple[timedelta, ...]  # working time in this year before interval i starts
    done_after: tuple[timedelta, ...]  # ... and when it ends
    total: timedelta

    def done_at(self, at: datetime) -> timedelta:
        """Working time in this year before `at` (which lies in this year)."""
        i = bisect.bisect_right(self.ends, at)
        if i == len(self.ends):
            return self.total
        return self.done_before[i] + max(_ZERO, at - self.starts[i])


@functools.lru_cache(maxsize=256)
def _year(schedule: Schedule, year: int) -> _Year:
    if not _FIRST_YEAR <= year <= _LAST_YEAR:
        raise ValueError(f"Business time is only computed for years {_FIRST_YEAR}-{_LAST_YEAR}.")
    tz = schedule.tz
    days_off = schedule.days_off(year)
    starts: list[datetime] = []
    ends: list[datetime] = []
    done_before: list[timedelta] = []
    done_after: list[timedelta] = []
    done = _ZERO
    day = date(year, 1, 1)
    one_day = timedelta(days=1)
    while day.year == year:
        if day not in days_off:
            for start_wall, end_wall in schedule.periods.get(day.weekday(), ()):
                start = _wall_to_utc(tz, datetime.combine(day, start_wall))
                end = _wall_to_utc(tz, datetime.combine(day, end_wall))
                if end > start:  # empty when the whole period falls in a DST gap
                    starts.append(start)
                    ends.append(end)
                    done_before.append(done)
                    done += end - start
                    done_after.append(done)
        day += one_day
    return _Year(
        year=year,
        begin=_wall_to_utc(tz, datetime(year, 1, 1)),
        end=_wall_to_utc(tz, datetime(year + 1, 1, 1)),
        starts=tuple(starts),
        ends=tuple(ends),
        done_before=tuple(done_before),
        done_after=tuple(done_after),
        total=done,
    )


def _year_containing(schedule: Schedule, at: datetime) -> _Year:
    year = _year(schedule, at.astimezone(schedule.tz).year)
    # The local year of `at` is right except around a clock change at New Year.
    while at < year.begin:
        year = _year(schedule, year.year - 1)
    while at >= year.end:
        year = _year(schedule, year.year + 1)
    return year


def _require_aware(**values: datetime) -> None:
    for name, value in values.items():
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}.")


def next_business_moment(schedule: Schedule, at: datetime) -> datetime:
    """`at` if it is working time, else the next opening; in UTC."""
    _require_aware(at=at)
    at = at.astimezone(UTC)
    if schedule.always_open:
        return at
    year = _year_containing(schedule, at)
    while True:
        i = bisect.bisect_right(year.ends, at)
        if i < len(year.ends):
            return max(at, year.starts[i])
        year = _year(schedule, year.year + 1)


def add_business_minutes(schedule: Schedule, start: datetime, minutes: float) -> datetime:
    """The instant `minutes` of working time after `start`, in UTC.

    Outside working time the clock starts at the next opening. Zero minutes gives
    `next_business_moment(start)`; a deadline reached exactly at a closing time is that
    closing time, not the next opening. Precision is one microsecond.
    """
    _require_aware(start=start)
    if not math.isfinite(minutes) or minutes < 0:
        raise ValueError(f"minutes must be a finite number >= 0, got {minutes!r}.")
    remaining = timedelta(minutes=minutes)
    if remaining == _ZERO:
        return next_business_moment(schedule, start)
    start = start.astimezone(UTC)
    if schedule.always_open:
        return start + remaining
    year = _year_containing(schedule, start)
    target = year.done_at(start) + remaining  # working time into `year` at the deadline
    while target > year.total:
        target -= year.total
        year = _year(schedule, year.year + 1)
    i = bisect.bisect_left(year.done_after, target)
    return year.starts[i] + (target - year.done_before[i])


def business_minutes_between(schedule: Schedule, start: datetime, end: datetime) -> float:
    """Working minutes in `[start, end)`; 0 when `end <= start`."""
    _require_aware(start=start, end=end)
    # In UTC: Python compares and subtracts datetimes that share a tzinfo by wall time.
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return 0.0
    if schedule.always_open:
        return (end - start) / _MINUTE
    first = _year_containing(schedule, start)
    last = _year_containing(schedule, end)
    elapsed = last.done_at(end) - first.done_at(start)
    for year in range(first.year, last.year):
        elapsed += _year(schedule, year).total
    return elapsed / _MINUTE
