"""Admin for teams and agents. A user becomes an agent by getting an agent profile, which
can also be added right on the user's page."""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Count
from django.utils import timezone

from agents.models import AgentProfile, OnCallShift, Team
from tickets.models import Priority

User = get_user_model()


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "lead", "assignment_strategy", "member_count"]
    list_filter = ["assignment_strategy"]
    list_select_related = ["lead"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["lead"]
    filter_horizontal = ["categories"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("members"))

    @admin.display(description="members", ordering="member_count")
    def member_count(self, obj):
        return obj.member_count


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = [
        "display_name",
        "user",
        "seniority",
        "status",
        "expertise",
        "capacity",
        "team_names",
    ]
    list_filter = ["seniority", "status", "teams"]
    list_select_related = ["user"]
    search_fields = ["display_name", "user__username", "user__email"]
    autocomplete_fields = ["user"]
    filter_horizontal = ["teams", "skills"]
    fieldsets = [
        (None, {"fields": ["user", "display_name", "seniority", "status", "teams"]}),
        (
            "Routing",
            {
                "fields": [
                    "skills",
                    "languages",
                    "expertise",
                    "capacity",
                    "timezone",
                    "work_starts",
                    "work_ends",
                ],
                "description": "Skill-scored routing weighs skills, languages, expertise, load "
                "and working hours (Monday to Friday); capacity caps open tickets.",
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("teams")

    @admin.display(description="teams")
    def team_names(self, obj):
        return ", ".join(team.name for team in obj.teams.all())


class AgentProfileInline(admin.StackedInline):
    model = AgentProfile
    can_delete = True
    extra = 0
    max_num = 1
    filter_horizontal = ["teams", "skills"]
    verbose_name_plural = "agent profile (makes this user an agent)"


if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class HelpdeskUserAdmin(UserAdmin):
    inlines = [*UserAdmin.inlines, AgentProfileInline]
    list_display = [*UserAdmin.list_display, "is_agent"]
    list_select_related = ["agent_profile"]

    @admin.display(description="agent", boolean=True)
    def is_agent(self, obj):
        return hasattr(obj, "agent_profile")


class OnCallShiftForm(forms.ModelForm):
    priorities = forms.MultipleChoiceField(
        choices=Priority.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[p.value for p in Priority],
        help_text="The ticket priorities this shift covers.",
    )

    class Meta:
        model = OnCallShift
        fields = ["agent", "team", "starts_at", "ends_at", "priorities", "note"]


class ShiftTimeFilter(admin.SimpleListFilter):
    title = "when"
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return [("now", "On call now"), ("upcoming", "Upcoming"), ("past", "Past")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "now":
            return queryset.filter(starts_at__lte=now, ends_at__gt=now)
        if self.value() == "upcoming":
            return queryset.filter(starts_at__gt=now)
        if self.value() == "past":
            return queryset.filter(ends_at__lte=now)
        return queryset


@admin.register(OnCallShift)
class OnCallShiftAdmin(admin.ModelAdmin):
    """The on-call rota: who is reached first when a ticket escalates outside the queue."""

    form = OnCallShiftForm
    list_display = ["agent", "team", "starts_at", "ends_at", "covers", "note"]
    list_filter = [ShiftTimeFilter, "team", "agent"]
    list_select_related = ["agent", "team"]
    search_fields = ["agent__display_name", "agent__user__username", "team__name", "note"]
    autocomplete_fields = ["agent", "team"]
    date_hierarchy = "starts_at"

    @admin.display(description="priorities")
    def covers(self, obj):
        labels = dict(Priority.choices)
        return ", ".join(str(labels.get(value, value)) for value in obj.priorities)
