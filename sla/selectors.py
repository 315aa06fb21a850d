"""Reads for the SLA engine."""

from collections import defaultdict
from zoneinfo import ZoneInfo

from sla.business_time import Period, Schedule
from sla.models import BusinessCalendar


def schedule_for_calendar(calendar: BusinessCalendar) -> Schedule:
    """The `Schedule` value of `calendar`, for `sla.business_time`.

    Two queries (periods, holidays), or none when both were prefetched with
    `prefetch_related("periods", "holidays")`. Country holidays are not loaded here: the
    schedule expands them per year when a computation reaches that year. Raises ValueError
    for a calendar without working periods (its `clean()` refuses that).
    """
    periods: defaultdict[int, list[Period]] = defaultdict(list)
    for period in calendar.periods.all():
        periods[period.weekday].append((period.start, period.end))
    return Schedule(
        tz=ZoneInfo(calendar.timezone),
        periods={weekday: tuple(day) for weekday, day in periods.items()},
        holidays=frozenset(holiday.date for holiday in calendar.holidays.all()),
        holiday_country=calendar.holiday_country,
        holiday_subdivision=calendar.holiday_subdivision,
    )
