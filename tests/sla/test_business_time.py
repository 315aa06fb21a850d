"""Business-time arithmetic: weekends, breaks, holidays and daylight saving, and
`business_minutes_between` as the exact inverse of `add_business_minutes`."""

import random
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sla.business_time import (
    Schedule,
    add_business_minutes,
    business_minutes_between,
    country_holidays,
    next_business_moment,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
MICROSECOND_IN_MINUTES = 1 / 60_000_000

# Mon-Fri 09:00-17:00 with lunch 12:30-13:30: 7 working hours a day.
OFFICE_HOURS = {day: ((time(9), time(12, 30)), (time(13, 30), time(17))) for day in range(5)}


def office(tz=BERLIN, **kwargs) -> Schedule:
    return Schedule(tz=tz, periods=OFFICE_HOURS, **kwargs)


def sundays(*periods: tuple[time, time], tz=BERLIN) -> Schedule:
    return Schedule(tz=tz, periods={6: periods})


def at(tz, *args) -> datetime:
    return datetime(*args, tzinfo=tz)


# --- 24/7 -----------------------------------------------------------------------------------


def test_always_adds_plain_minutes_and_returns_utc():
    deadline = add_business_minutes(Schedule.always(), at(BERLIN, 2026, 1, 2, 10), 90)

    assert deadline == at(BERLIN, 2026, 1, 2, 11, 30)
    assert deadline.tzinfo is UTC


def test_always_counts_real_time_across_daylight_saving():
    start = at(BERLIN, 2026, 10, 25, 0)  # clocks go back at 03:00: this night has 25 hours

    assert add_business_minutes(Schedule.always(), start, 240) == at(BERLIN, 2026, 10, 25, 3)
    assert business_minutes_between(Schedule.always(), start, at(BERLIN, 2026, 10, 26)) == 1500


def test_always_measures_fractional_minutes_and_is_open_at_any_moment():
    start = at(UTC, 2026, 5, 1, 12)

    assert business_minutes_between(Schedule.always(), start, start + timedelta(seconds=90)) == 1.5
    assert next_business_moment(Schedule.always(), start) == start


# --- office hours with a lunch break --------------------------------------------------------


def test_start_before_opening_counts_from_opening():
    # Monday 2026-01-05
    assert add_business_minutes(office(), at(BERLIN, 2026, 1, 5, 7), 30) == at(
        BERLIN, 2026, 1, 5, 9, 30
    )


def test_start_during_lunch_counts_from_end_of_lunch():
    assert add_business_minutes(office(), at(BERLIN, 2026, 1, 5, 12, 45), 30) == at(
        BERLIN, 2026, 1, 5, 14
    )


def test_lunch_break_does_not_count():
    assert add_business_minutes(office(), at(BERLIN, 2026, 1, 5, 12), 60) == at(
        BERLIN, 2026, 1, 5, 14
    )
    assert (
        business_minutes_between(office(), at(BERLIN, 2026, 1, 5, 12), at(BERLIN, 2026, 1, 5, 14))
        == 60
    )


def test_friday_afternoon_rolls_over_the_weekend():
    friday = at(BERLIN, 2026, 1, 9, 16)

    assert add_business_minutes(office(), friday, 120) == at(BERLIN, 2026, 1, 12, 10)


def test_deadline_reached_at_closing_time_is_closing_time():
    assert add_business_minutes(office(), at(BERLIN, 2026, 1, 5, 16), 60) == at(
        BERLIN, 2026, 1, 5, 17
    )


def test_zero_minutes_from_closing_time_is_the_next_opening():
    closing = at(BERLIN, 2026, 1, 9, 17)  # Friday

    assert add_business_minutes(office(), closing, 0) == at(BERLIN, 2026, 1, 12, 9)
    assert next_business_moment(office(), closing) == at(BERLIN, 2026, 1, 12, 9)


def test_next_business_moment_is_the_moment_itself_during_working_time():
    moment = at(BERLIN, 2026, 1, 5, 10, 15, 30, 123)

    assert next_business_moment(office(), moment) == moment
    assert next_business_moment(office(), at(BERLIN, 2026, 1, 5, 12, 30)) == at(
        BERLIN, 2026, 1, 5, 13, 30
    )


def test_a_full_week_is_35_hours():
    monday = at(BERLIN, 2026, 1, 5)

    assert business_minutes_between(office(), monday, monday + timedelta(days=7)) == 35 * 60
    assert add_business_minutes(office(), monday, 35 * 60) == at(BERLIN, 2026, 1, 9, 17)


def test_explicit_holiday_is_a_day_off():
    schedule = office(holidays=frozenset({date(2026, 6, 10)}))  # a Wednesday

    assert add_business_minutes(schedule, at(BERLIN, 2026, 6, 9, 16), 120) == at(
        BERLIN, 2026, 6, 11, 10
    )
    assert add_business_minutes(schedule, at(BERLIN, 2026, 6, 10, 10), 60) == at(
        BERLIN, 2026, 6, 11, 10
    )


def test_country_holidays_close_christmas():
    german = office(holiday_country="DE")
    christmas_eve = at(BERLIN, 2026, 12, 24, 16)  # Thursday; the 25th is a Friday

    assert add_business_minutes(german, christmas_eve, 120) == at(BERLIN, 2026, 12, 28, 10)
    assert add_business_minutes(office(), christmas_eve, 120) == at(BERLIN, 2026, 12, 25, 10)


def test_country_holidays_are_seen_years_ahead():
    german = office(holiday_country="DE")
    christmas_eve = at(BERLIN, 2031, 12, 24, 16)  # Wednesday; 25th and 26th are Thu and Fri

    assert add_business_minutes(german, christmas_eve, 120) == at(BERLIN, 2031, 12, 29, 10)


def test_subdivision_holidays_apply_only_there():
    epiphany = at(BERLIN, 2026, 1, 6, 10)  # Tuesday; a holiday in Bavaria, not in Berlin

    assert date(2026, 1, 6) in country_holidays("DE", "BY", 2026)
    assert add_business_minutes(office(holiday_country="DE"), epiphany, 60) == at(
        BERLIN, 2026, 1, 6, 11
    )
    assert add_business_minutes(
        office(holiday_country="DE", holiday_subdivision="BY"), epiphany, 60
    ) == at(BERLIN, 2026, 1, 7, 10)


def test_a_german_working_year_has_254_days():
    # 2026: 261 weekdays, 7 of them public holidays in DE (3 October and 26 December are Saturdays).
    minutes = business_minutes_between(
        office(holiday_country="DE"), at(BERLIN, 2026, 1, 1), at(BERLIN, 2027, 1, 1)
    )

    assert minutes == 254 * 7 * 60


# --- daylight saving ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "day", "minutes"),
    [
        # Berlin springs forward 2026-03-29 02:00 -> 03:00, falls back 2026-10-25 03:00 -> 02:00.
        ((time(1), time(4)), date(2026, 3, 22), 180),
        ((time(1), time(4)), date(2026, 3, 29), 120),
        ((time(1), time(4)), date(2026, 10, 25), 240),
        ((time(2), time(3)), date(2026, 3, 29), 0),  # the hour does not exist
        ((time(2), time(3)), date(2026, 10, 25), 120),  # 02:00 CEST to 03:00 CET
        ((time(2, 30), time(5)), date(2026, 3, 29), 120),  # opens when the gap ends, 03:00
        ((time(0), time(2, 30)), date(2026, 3, 29), 120),  # closes when the gap ends, 03:00
        ((time(2, 15), time(2, 45)), date(2026, 10, 25), 30),  # the first 02:15 to 02:45 only
    ],
)
def test_periods_spanning_a_clock_change_count_real_time(period, day, minutes):
    start = datetime.combine(day, time(0), BERLIN)

    assert business_minutes_between(sundays(period), start, start + timedelta(days=1)) == minutes


def test_period_inside_the_spring_forward_gap_is_skipped():
    saturday = at(BERLIN, 2026, 3, 28, 12)

    assert next_business_moment(sundays((time(2), time(3))), saturday) == at(BERLIN, 2026, 4, 5, 2)


def test_opening_inside_the_gap_moves_to_the_end_of_the_gap():
    saturday = at(BERLIN, 2026, 3, 28, 12)
    schedule = sundays((time(2, 30), time(5)))

    assert next_business_moment(schedule, saturday) == at(UTC, 2026, 3, 29, 1)  # 03:00 CEST
    assert add_business_minutes(schedule, saturday, 60) == at(BERLIN, 2026, 3, 29, 4)


def test_office_hours_across_spring_forward_weekend():
    friday = at(BERLIN, 2026, 3, 27, 16)  # CET, UTC+1
    deadline = add_business_minutes(office(), friday, 120)

    assert deadline == at(UTC, 2026, 3, 30, 8)  # Monday 10:00 CEST, UTC+2
    assert business_minutes_between(office(), friday, deadline) == 120


def test_office_hours_across_fall_back_weekend():
    friday = at(BERLIN, 2026, 10, 23, 16)  # CEST, UTC+2

    assert add_business_minutes(office(), friday, 120) == at(UTC, 2026, 10, 26, 9)  # 10:00 CET


@pytest.mark.parametrize(
    ("period", "day", "minutes"),
    [
        # New York springs forward 2026-03-08 02:00 -> 03:00, falls back 2026-11-01 02:00 -> 01:00.
        ((time(1), time(4)), date(2026, 3, 8), 120),
        ((time(0), time(3)), date(2026, 11, 1), 240),
        ((time(1), time(2)), date(2026, 11, 1), 120),  # 01:00 EDT to 02:00 EST
    ],
)
def test_new_york_clock_changes(period, day, minutes):
    start = datetime.combine(day, time(0), NEW_YORK)
    schedule = sundays(period, tz=NEW_YORK)

    assert business_minutes_between(schedule, start, start + timedelta(days=1)) == minutes


def test_new_york_office_across_spring_forward():
    friday = at(NEW_YORK, 2026, 3, 6, 16)  # EST, UTC-5

    assert add_business_minutes(office(NEW_YORK), friday, 120) == at(UTC, 2026, 3, 9, 14)


def _brute_force_minutes(schedule: Schedule, start: datetime, end: datetime) -> int:
    """Working minutes on a one-minute grid, straight from the rule in the module docstring:
    an instant is working time when the highest wall time shown so far lies in a period."""
    shown = None
    minutes = 0
    instant = start - timedelta(days=1)
    while instant < end:
        wall = instant.astimezone(schedule.tz).replace(tzinfo=None)
        shown = wall if shown is None or wall > shown else shown
        if instant >= start and shown.date() not in schedule.holidays:
            periods = schedule.periods.get(shown.weekday(), ())
            minutes += any(opens <= shown.time() < closes for opens, closes in periods)
        instant += timedelta(minutes=1)
    return minutes


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        ("Europe/Berlin", date(2026, 3, 29)),
        ("Europe/Berlin", date(2026, 10, 25)),
        ("America/New_York", date(2026, 3, 8)),
        ("America/New_York", date(2026, 11, 1)),
        ("Australia/Lord_Howe", date(2026, 10, 4)),  # a 30-minute shift
        ("America/Sao_Paulo", date(2018, 11, 4)),  # midnight does not exist
    ],
)
def test_matches_a_minute_by_minute_count_around_clock_changes(zone, day):
    rng = random.Random(f"{zone}{day}")
    for _ in range(5):
        periods = {}
        for weekday in range(7):
            edges = sorted(rng.sample(range(0, 24 * 60, 15), rng.choice([2, 4, 6])))
            periods[weekday] = tuple(
                (time(*divmod(opens, 60)), time(*divmod(closes, 60)))
                for opens, closes in zip(edges[::2], edges[1::2], strict=True)
            )
        schedule = Schedule(tz=ZoneInfo(zone), periods=periods)
        start = datetime.combine(day - timedelta(days=1), time(0), UTC)
        start += timedelta(minutes=rng.randrange(600))
        end = start + timedelta(minutes=rng.randrange(3 * 24 * 60))

        assert business_minutes_between(schedule, start, end) == _brute_force_minutes(
            schedule, start, end
        )


# --- inverse, order, speed ------------------------------------------------------------------

SCHEDULES = {
    "always": Schedule.always(),
    "berlin office with DE holidays": office(
        holiday_country="DE", holidays=frozenset({date(2026, 6, 10), date(2026, 12, 31)})
    ),
    "new york office with US holidays": office(NEW_YORK, holiday_country="US"),
    "berlin sunday nights": sundays((time(1), time(4)), (time(22), time(23, 59))),
}


@pytest.mark.parametrize("name", SCHEDULES)
def test_measuring_what_was_added_gives_the_same_minutes_back(name):
    schedule = SCHEDULES[name]
    rng = random.Random(name)
    first = at(UTC, 2025, 12, 1)
    for _ in range(400):
        start = first + timedelta(seconds=rng.randrange(400 * 24 * 3600), microseconds=7)
        minutes = rng.choice([0, 1, 59.5, 420, 1440, 10_000]) * rng.random()

        deadline = add_business_minutes(schedule, start, minutes)

        assert deadline >= start
        measured = business_minutes_between(schedule, start, deadline)
        assert measured == pytest.approx(minutes, abs=MICROSECOND_IN_MINUTES)


@pytest.mark.parametrize("name", SCHEDULES)
def test_adding_what_was_measured_reaches_the_end_again(name):
    schedule = SCHEDULES[name]
    rng = random.Random(name)
    first = at(UTC, 2026, 1, 1)
    for _ in range(300):
        start = first + timedelta(seconds=rng.randrange(365 * 24 * 3600))
        end = next_business_moment(schedule, start + timedelta(minutes=rng.randrange(20_000)))
        if end == start:
            continue
        # A deadline that lands on an opening is reported as the previous closing time.
        end += timedelta(seconds=1)
        if next_business_moment(schedule, end) != end:
            continue

        minutes = business_minutes_between(schedule, start, end)

        assert add_business_minutes(schedule, start, minutes) == end


def test_adding_in_steps_equals_adding_at_once():
    schedule = office(holiday_country="DE")
    start = at(BERLIN, 2026, 3, 26, 11, 17)
    for first_step in (1, 60, 203, 420, 3000):
        stepwise = add_business_minutes(
            schedule, add_business_minutes(schedule, start, first_step), 5000 - first_step
        )
        assert stepwise == add_business_minutes(schedule, start, 5000)


def test_end_before_start_measures_zero():
    later, earlier = at(BERLIN, 2026, 1, 5, 11), at(BERLIN, 2026, 1, 5, 10)

    assert business_minutes_between(office(), later, earlier) == 0
    assert business_minutes_between(office(), later, later) == 0


def test_large_durations_are_fast():
    schedule = office(holiday_country="DE")
    country_holidays("DE", "", 2026)  # loading the holidays library is not what is timed
    started = clock.perf_counter()

    deadline = add_business_minutes(schedule, at(BERLIN, 2026, 1, 5, 9), 200_000)
    measured = business_minutes_between(schedule, at(BERLIN, 2026, 1, 5, 9), deadline)
    sparse_deadline = add_business_minutes(sundays((time(9), time(10))), deadline, 200_000)

    assert clock.perf_counter() - started < 1.0
    assert measured == 200_000
    assert sparse_deadline == at(BERLIN, 2091, 10, 7, 9, 20)  # 3,334 Sunday mornings later


# --- value object and guards ----------------------------------------------------------------


def test_schedules_are_hashable_values():
    assert office() == office()
    assert hash(office(holiday_country="DE")) == hash(office(holiday_country="DE"))
    assert office() != office(NEW_YORK)
    assert len({office(), office(), Schedule.always()}) == 2


def test_overlapping_and_touching_periods_merge():
    schedule = Schedule(
        tz=BERLIN, periods={0: [(time(13), time(17)), (time(9), time(12)), (time(11), time(13))]}
    )

    assert schedule.periods == {0: ((time(9), time(17)),)}


def test_schedule_without_working_periods_is_refused():
    with pytest.raises(ValueError, match="at least one working period"):
        Schedule(tz=BERLIN, periods={})
    with pytest.raises(ValueError, match="at least one working period"):
        Schedule(tz=BERLIN, periods={0: ()})


def test_period_ending_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="must end after it starts"):
        Schedule(tz=BERLIN, periods={0: ((time(17), time(9)),)})


def test_weekday_out_of_range_is_refused():
    with pytest.raises(ValueError, match="Weekday must be 0"):
        Schedule(tz=BERLIN, periods={7: ((time(9), time(17)),)})


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_minutes(office(), datetime(2026, 1, 5, 9), 10)
    with pytest.raises(ValueError, match="timezone-aware"):
        business_minutes_between(office(), at(BERLIN, 2026, 1, 5), datetime(2026, 1, 6))


@pytest.mark.parametrize("minutes", [-1, float("nan"), float("inf")])
def test_minutes_must_be_finite_and_not_negative(minutes):
    with pytest.raises(ValueError, match="minutes must be"):
        add_business_minutes(office(), at(BERLIN, 2026, 1, 5, 9), minutes)
