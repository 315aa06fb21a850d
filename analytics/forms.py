"""The dashboard and daily report filters: a date range, a team, a category; all in the URL."""

from datetime import datetime, timedelta

from django import forms
from django.utils import timezone

from agents.models import Team
from tickets.models import Category

DEFAULT_DAYS = 30
MAX_DAYS = 366
QUICK_RANGES = [7, 30, 90]


class AnalyticsFilterForm(forms.Form):
    start = forms.DateField(required=False, label="From")
    end = forms.DateField(required=False, label="To")
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, to_field_name="slug", empty_label="All teams"
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.all(),
        required=False,
        to_field_name="slug",
        empty_label="All categories",
    )

    def __init__(self, *args, teams=None, **kwargs):
        """`teams`: the teams this viewer may see (None: every team)."""
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = (
            Team.objects.all() if teams is None else Team.objects.filter(pk__in=teams)
        )

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        end = data.get("end") or today
        start = data.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise forms.ValidationError("The start date must be on or before the end date.")
        if (end - start).days + 1 > MAX_DAYS:
            raise forms.ValidationError(f"Choose a range of at most {MAX_DAYS} days.")
        data["start"], data["end"] = start, end
        return data

    def period(self) -> tuple[datetime, datetime]:
        """[start 00:00, day after end 00:00) in the desk's time zone."""
        start = self.cleaned_data["start"]
        end = self.cleaned_data["end"] + timedelta(days=1)
        aware = timezone.make_aware
        return (
            aware(datetime.combine(start, datetime.min.time())),
            aware(datetime.combine(end, datetime.min.time())),
        )
