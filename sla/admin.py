from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from sla.models import (
    NO_PERIODS_MESSAGE,
    BusinessCalendar,
    DailySlaReport,
    EscalationLadder,
    EscalationLevel,
    EscalationStep,
    Holiday,
    SlaClock,
    SlaEvent,
    SlaPolicy,
    SlaTarget,
    TicketEscalation,
    WorkingPeriod,
)


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


class SlaTargetInline(admin.TabularInline):
    model = SlaTarget
    fields = [
        "priority",
        "plan_tier",
        "first_response_minutes",
        "next_response_minutes",
        "resolution_minutes",
    ]
    extra = 0


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "category", "calendar", "active"]
    list_filter = ["active", "calendar"]
    list_select_related = ["organization", "category", "calendar"]
    search_fields = ["name", "organization__name", "category__name"]
    autocomplete_fields = ["organization"]
    fieldsets = [
        (None, {"fields": ["name", "description", "active"]}),
        ("Scope (empty: the default policy)", {"fields": ["organization", "category"]}),
        ("Clock", {"fields": ["calendar", "pause_statuses"]}),
    ]
    inlines = [SlaTargetInline]


class EscalationLevelInline(admin.StackedInline):
    model = EscalationLevel
    extra = 0
    fields = [
        ("position", "after_minutes"),
        ("notify_assignee", "notify_team_lead", "notify_manager", "notify_on_call"),
        ("reassign_to", "reassign_only_if_uncovered"),
        ("escalate", "raise_priority"),
    ]


@admin.register(EscalationLadder)
class EscalationLadderAdmin(admin.ModelAdmin):
    list_display = ["name", "trigger", "policy", "metric", "active"]
    list_filter = ["trigger", "active", "metric"]
    search_fields = ["name"]
    inlines = [EscalationLevelInline]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by the SLA engine: visible for audits, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SlaClock)
class SlaClockAdmin(ReadOnlyAdmin):
    list_display = [
        "ticket",
        "metric",
        "cycle",
        "status",
        "target_minutes",
        "deadline",
        "warned",
        "breached",
        "met_at",
    ]
    list_filter = ["metric", "status", "warned", "breached"]
    list_select_related = ["ticket"]
    search_fields = ["ticket__reference"]
    raw_id_fields = ["ticket"]


@admin.register(SlaEvent)
class SlaEventAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "kind", "clock", "generation", "at"]
    list_filter = ["kind"]
    list_select_related = ["ticket", "clock"]
    search_fields = ["ticket__reference"]
    date_hierarchy = "at"


class EscalationStepInline(admin.TabularInline):
    model = EscalationStep
    fields = ["position", "due_at", "fired_at", "actions"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(TicketEscalation)
class TicketEscalationAdmin(ReadOnlyAdmin):
    list_display = [
        "ticket",
        "ladder",
        "level",
        "started_at",
        "next_fire_at",
        "acknowledged_at",
        "acknowledged_by",
    ]
    list_filter = ["ladder", ("acknowledged_at", admin.EmptyFieldListFilter)]
    list_select_related = ["ticket", "ladder", "acknowledged_by"]
    search_fields = ["ticket__reference"]
    inlines = [EscalationStepInline]


@admin.register(DailySlaReport)
class DailySlaReportAdmin(ReadOnlyAdmin):
    list_display = ["date", "team", "period_start", "period_end", "created_at"]
    list_filter = ["team"]
    list_select_related = ["team"]
    date_hierarchy = "date"
