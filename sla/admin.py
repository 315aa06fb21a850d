from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from sla.models import NO_PERIODS_MESSAGE, BusinessCalendar, Holiday, WorkingPeriod


class AtLeastOnePeriodFormSet(BaseInlineFormSet):
    """A calendar with no working time would never reach a deadline."""

    def clean(self) -> None:
        super().clean()
        kept = [
            form
            for form in self.forms
            if (form.has_changed() or form.instance.pk) and not self._should_delete_form(form)
        ]
        if not kept:
            raise ValidationError(NO_PERIODS_MESSAGE)


class WorkingPeriodInline(admin.TabularInline):
    model = WorkingPeriod
    formset = AtLeastOnePeriodFormSet
    fields = ["weekday", "start", "end"]
    extra = 0
    min_num = 1


class HolidayInline(admin.TabularInline):
    model = Holiday
    fields = ["date", "name"]
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "timezone", "holiday_country", "holiday_subdivision"]
    list_filter = ["holiday_country"]
    search_fields = ["name", "timezone", "holiday_country"]
    fieldsets = [
        (None, {"fields": ["name", "timezone"]}),
        ("Public holidays", {"fields": ["holiday_country", "holiday_subdivision"]}),
    ]
    inlines = [WorkingPeriodInline, HolidayInline]
