"""Business calendars in the database and in admin, and the schedule built from them."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from sla.business_time import Schedule, add_business_minutes
from sla.models import BusinessCalendar, Holiday, Weekday, WorkingPeriod
from sla.selectors import schedule_for_calendar

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


def make_calendar(**kwargs) -> BusinessCalendar:
    calendar = BusinessCalendar.objects.create(
        **{"name": "Berlin office", "timezone": "Europe/Berlin", **kwargs}
    )
    for weekday in range(5):
        WorkingPeriod.objects.create(
            calendar=calendar, weekday=weekday, start=time(9), end=time(12, 30)
        )
        WorkingPeriod.objects.create(
            calendar=calendar, weekday=weekday, start=time(13, 30), end=time(17)
        )
    return calendar


# --- validation -----------------------------------------------------------------------------


def test_valid_calendar_passes_full_clean():
    make_calendar(holiday_country="DE", holiday_subdivision="BY").full_clean()


def test_unknown_timezone_is_refused_with_a_clear_message():
    calendar = BusinessCalendar(name="Typo", timezone="Europe/Berln")

    with pytest.raises(ValidationError) as refused:
        calendar.full_clean()

    assert refused.value.message_dict["timezone"] == [
        "“Europe/Berln” is not a known time zone; use an IANA name such as Europe/Berlin or "
        "America/New_York."
    ]


def test_unknown_holiday_country_is_refused():
    with pytest.raises(ValidationError) as refused:
        BusinessCalendar(name="Nowhere", timezone="UTC", holiday_country="XX").full_clean()

    assert (
        "No public holidays are known for “XX”" in refused.value.message_dict["holiday_country"][0]
    )


def test_unknown_subdivision_is_refused():
    calendar = BusinessCalendar(
        name="Germany", timezone="Europe/Berlin", holiday_country="DE", holiday_subdivision="ZZ"
    )

    with pytest.raises(ValidationError) as refused:
        calendar.full_clean()

    assert "“ZZ” is not a subdivision of DE" in refused.value.message_dict["holiday_subdivision"][0]


def test_subdivision_without_country_is_refused():
    calendar = BusinessCalendar(name="Bavaria", timezone="UTC", holiday_subdivision="BY")

    with pytest.raises(ValidationError) as refused:
        calendar.full_clean()

    assert refused.value.message_dict["holiday_subdivision"] == [
        "A subdivision needs a holiday country."
    ]


def test_saved_calendar_without_periods_is_refused():
    calendar = BusinessCalendar.objects.create(name="Empty", timezone="UTC")

    with pytest.raises(ValidationError, match="at least one working period"):
        calendar.full_clean()


@pytest.mark.parametrize("end", [time(9), time(8)])
def test_period_must_end_after_it_starts(end):
    calendar = make_calendar()
    period = WorkingPeriod(calendar=calendar, weekday=Weekday.MONDAY, start=time(9), end=end)

    with pytest.raises(ValidationError) as refused:
        period.full_clean()

    assert refused.value.messages == ["A working period must end after it starts, on the same day."]


def test_database_refuses_a_backwards_period():
    calendar = make_calendar()

    with pytest.raises(IntegrityError), transaction.atomic():
        WorkingPeriod.objects.create(calendar=calendar, weekday=0, start=time(17), end=time(9))


def test_holiday_is_unique_per_calendar_and_date():
    calendar = make_calendar()
    Holiday.objects.create(calendar=calendar, date=date(2026, 6, 10), name="Team day")
    other = BusinessCalendar.objects.create(name="Other", timezone="UTC")
    Holiday(calendar=other, date=date(2026, 6, 10)).full_clean()

    with pytest.raises(ValidationError) as refused:
        Holiday(calendar=calendar, date=date(2026, 6, 10), name="Again").full_clean()

    assert refused.value.messages == ["This calendar already has a holiday on that date."]


def test_str():
    calendar = make_calendar()

    assert str(calendar) == "Berlin office"
    assert str(calendar.periods.first()) == "Monday 09:00–12:30"
    assert str(Holiday(calendar=calendar, date=date(2026, 6, 10), name="Team day")) == (
        "2026-06-10 Team day"
    )


# --- schedule_for_calendar ------------------------------------------------------------------


def test_schedule_for_calendar_takes_two_queries(django_assert_num_queries):
    calendar = make_calendar(holiday_country="DE")
    Holiday.objects.create(calendar=calendar, date=date(2026, 6, 10), name="Team day")
    Holiday.objects.create(calendar=calendar, date=date(2026, 6, 11), name="Team day 2")
    calendar = BusinessCalendar.objects.get(pk=calendar.pk)

    with django_assert_num_queries(2):
        schedule = schedule_for_calendar(calendar)

    assert schedule == Schedule(
        tz=BERLIN,
        periods={day: ((time(9), time(12, 30)), (time(13, 30), time(17))) for day in range(5)},
        holidays=frozenset({date(2026, 6, 10), date(2026, 6, 11)}),
        holiday_country="DE",
    )


def test_schedule_for_prefetched_calendar_takes_no_query(django_assert_num_queries):
    make_calendar()
    calendar = BusinessCalendar.objects.prefetch_related("periods", "holidays").get()

    with django_assert_num_queries(0):
        schedule_for_calendar(calendar)


def test_schedule_from_calendar_sees_country_and_own_holidays():
    calendar = make_calendar(holiday_country="DE")
    Holiday.objects.create(calendar=calendar, date=date(2030, 12, 27), name="Between the years")
    schedule = schedule_for_calendar(calendar)

    # Christmas Eve is a working day in Germany; the 25th and 26th (Wed, Thu) are public
    # holidays and Friday the 27th is the calendar's own day off.
    deadline = add_business_minutes(schedule, datetime(2030, 12, 23, 16, tzinfo=BERLIN), 180)

    assert deadline == datetime(2030, 12, 24, 11, tzinfo=BERLIN)
    assert add_business_minutes(
        schedule, datetime(2030, 12, 24, 16, tzinfo=BERLIN), 120
    ) == datetime(2030, 12, 30, 10, tzinfo=BERLIN)


def test_schedule_for_calendar_without_periods_raises():
    calendar = BusinessCalendar.objects.create(name="Empty", timezone="UTC")

    with pytest.raises(ValueError, match="at least one working period"):
        schedule_for_calendar(calendar)


# --- admin ----------------------------------------------------------------------------------


def _admin_form(**fields) -> dict:
    data = {
        "name": "Berlin office",
        "timezone": "Europe/Berlin",
        "holiday_country": "DE",
        "holiday_subdivision": "",
        "periods-TOTAL_FORMS": "0",
        "periods-INITIAL_FORMS": "0",
        "periods-MIN_NUM_FORMS": "1",
        "periods-MAX_NUM_FORMS": "1000",
        "holidays-TOTAL_FORMS": "0",
        "holidays-INITIAL_FORMS": "0",
        "holidays-MIN_NUM_FORMS": "0",
        "holidays-MAX_NUM_FORMS": "1000",
    }
    data.update(fields)
    return data


def test_admin_creates_a_calendar_with_periods_and_holidays(admin_client):
    response = admin_client.post(
        "/admin/sla/businesscalendar/add/",
        _admin_form(
            **{
                "periods-TOTAL_FORMS": "2",
                "periods-0-weekday": "0",
                "periods-0-start": "09:00",
                "periods-0-end": "12:30",
                "periods-1-weekday": "0",
                "periods-1-start": "13:30",
                "periods-1-end": "17:00",
                "holidays-TOTAL_FORMS": "1",
                "holidays-0-date": "2026-06-10",
                "holidays-0-name": "Team day",
            }
        ),
    )

    assert response.status_code == 302
    calendar = BusinessCalendar.objects.get()
    assert [str(period) for period in calendar.periods.all()] == [
        "Monday 09:00–12:30",
        "Monday 13:30–17:00",
    ]
    assert calendar.holidays.get().name == "Team day"


def test_admin_refuses_a_calendar_without_periods(admin_client):
    response = admin_client.post("/admin/sla/businesscalendar/add/", _admin_form())

    assert response.status_code == 200
    assert "at least one working period" in response.text
    assert not BusinessCalendar.objects.exists()


def test_admin_refuses_deleting_the_last_period(admin_client):
    calendar = BusinessCalendar.objects.create(name="Berlin office", timezone="Europe/Berlin")
    period = WorkingPeriod.objects.create(calendar=calendar, weekday=0, start=time(9), end=time(17))

    response = admin_client.post(
        f"/admin/sla/businesscalendar/{calendar.pk}/change/",
        _admin_form(
            **{
                "periods-TOTAL_FORMS": "1",
                "periods-INITIAL_FORMS": "1",
                "periods-0-id": str(period.pk),
                "periods-0-calendar": str(calendar.pk),
                "periods-0-weekday": "0",
                "periods-0-start": "09:00",
                "periods-0-end": "17:00",
                "periods-0-DELETE": "on",
            }
        ),
    )

    assert response.status_code == 200
    assert "at least one working period" in response.text
    assert calendar.periods.exists()


def test_admin_refuses_an_unknown_timezone(admin_client):
    response = admin_client.post(
        "/admin/sla/businesscalendar/add/",
        _admin_form(
            timezone="Mars/Olympus",
            **{
                "periods-TOTAL_FORMS": "1",
                "periods-0-weekday": "0",
                "periods-0-start": "09:00",
                "periods-0-end": "17:00",
            },
        ),
    )

    assert response.status_code == 200
    assert "is not a known time zone" in response.text
    assert not BusinessCalendar.objects.exists()


def test_admin_lists_and_searches_calendars(admin_client):
    make_calendar()
    make_calendar(name="New York office", timezone="America/New_York")

    response = admin_client.get("/admin/sla/businesscalendar/", {"q": "york"})

    assert response.status_code == 200
    assert "New York office" in response.text
    assert "Berlin office" not in response.text
