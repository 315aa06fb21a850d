"""Business calendars: when the SLA clock runs.

A calendar is a time zone, working periods per weekday (several periods on one day express
breaks such as lunch) and days off: explicit holidays plus, optionally, a country's public
holidays from the `holidays` library. The arithmetic lives in `sla.business_time`, which works
on a `Schedule` value object built by `sla.selectors.schedule_for_calendar`.
"""

import functools
import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

NO_PERIODS_MESSAGE = (
    "A calendar needs at least one working period; a policy that never stops the clock "
    "should run 24/7 instead of on a calendar."
)


@functools.cache
def _known_timezones() -> frozenset[str]:
    # Scanning the tz database takes a few milliseconds; it does not change while running.
    return frozenset(zoneinfo.available_timezones())


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class BusinessCalendar(models.Model):
    name = models.CharField(max_length=100, unique=True)
    timezone = models.CharField(
        max_length=64,
        default="UTC",
        help_text="IANA time zone name, e.g. Europe/Berlin or America/New_York.",
    )
    holiday_country = models.CharField(
        max_length=3,
        blank=True,
        help_text="Country code whose public holidays are days off, e.g. DE. Leave blank for "
        "none; explicit holidays below always apply.",
    )
    holiday_subdivision = models.CharField(
        max_length=10,
        blank=True,
        help_text="Optional state or region of that country, e.g. BY for Bavaria.",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "business calendar"
        verbose_name_plural = "business calendars"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.timezone not in _known_timezones():
            errors["timezone"] = (
                f"“{self.timezone}” is not a known time zone; use an IANA name such as "
                "Europe/Berlin or America/New_York."
            )
        if self.holiday_subdivision and not self.holiday_country:
            errors["holiday_subdivision"] = "A subdivision needs a holiday country."
        elif self.holiday_country:
            errors.update(self._country_errors())
        # A new calendar's periods arrive with it (the admin inline requires one); a saved
        # calendar must keep at least one, or no deadline could ever be reached.
        if self.pk is not None and not self.periods.exists():
            errors["__all__"] = NO_PERIODS_MESSAGE
        if errors:
            raise ValidationError(errors)

    def _country_errors(self) -> dict[str, str]:
        import holidays  # imported here: loading it costs time that most requests never need

        supported = holidays.list_supported_countries()
        if self.holiday_country not in supported:
            return {
                "holiday_country": f"No public holidays are known for “{self.holiday_country}”; "
                "use an ISO 3166 country code such as DE or US."
            }
        if (
            self.holiday_subdivision
            and self.holiday_subdivision not in (supported[self.holiday_country])
        ):
            choices = ", ".join(supported[self.holiday_country]) or "none"
            return {
                "holiday_subdivision": f"“{self.holiday_subdivision}” is not a subdivision of "
                f"{self.holiday_country} (known: {choices})."
            }
        return {}


class WorkingPeriod(models.Model):
    """One stretch of working time on a weekday, in the calendar's local wall time."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="periods")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["weekday", "start", "id"]
        verbose_name = "working period"
        verbose_name_plural = "working periods"
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lt=F("end")),
                name="sla_period_starts_before_it_ends",
                violation_error_message="A working period must end after it starts, on the "
                "same day.",
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6),
                name="sla_period_weekday_in_range",
                violation_error_message="Weekday must be 0 (Monday) to 6 (Sunday).",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class Holiday(models.Model):
    """A day off on one calendar, on top of its country's public holidays."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField()
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = "holiday"
        verbose_name_plural = "holidays"
        constraints = [
            models.UniqueConstraint(
                fields=["calendar", "date"],
                name="sla_holiday_once_per_calendar_and_date",
                violation_error_message="This calendar already has a holiday on that date.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}".rstrip()
