"""Agent desk forms: the queue filters and one small form per ticket action.

They parse and validate only. The views hand the cleaned values to one service each, which
checks everything again (allowed transitions, closed tickets, who may be assigned) and writes.
"""

from dataclasses import dataclass
from typing import NamedTuple

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import CharField, F, Q, QuerySet, Value
from django.db.models.functions import Cast, Coalesce, NullIf

from agents.models import AgentProfile, Team
from common.config_cache import ConfigCache
from tickets.models import OPEN_STATUSES, Category, Priority, SlaState, Status
from tickets.queue_selectors import DEFAULT_QUEUE_SORT, QueueFilters
from tickets.services.messages import MAX_MESSAGE_LENGTH

User = get_user_model()

SORT_CHOICES = [
    ("deadline", "Next deadline"),
    ("priority", "Priority"),
    ("newest", "Newest"),
    ("oldest", "Oldest"),
    ("updated", "Recently updated"),
]

# What /desk/ shows when opened without any query string: the tickets still to work on.
DEFAULT_QUEUE_QUERY = {"status": [str(value) for value in OPEN_STATUSES]}


def agents_for_desk() -> QuerySet:
    """Everyone a ticket can be assigned to (see `agents.permissions.is_agent`), by name.

    One query: the profile is joined for the display name.
    """
    return (
        User.objects.filter(Q(agent_profile__isnull=False) | Q(is_superuser=True), is_active=True)
        .select_related("agent_profile")
        .order_by(Coalesce("agent_profile__display_name", "username"), "pk")
    )


@dataclass(frozen=True)
class DeskChoices:
    """The options the desk's selects offer, read once per page (one query each)."""

    agents: list
    teams: list[Team]
    categories: list[Category]


def desk_choices() -> DeskChoices:
    return DeskChoices(
        agents=list(agents_for_desk()),
        teams=list(Team.objects.order_by("name")),
        categories=list(Category.objects.order_by("name")),
    )


@dataclass(frozen=True)
class QueueFilterChoices:
    """The queue filter bar's select options as (value, label) pairs: agents by id, teams and
    categories by slug."""

    agents: list[tuple[str, str]]
    teams: list[tuple[str, str]]
    categories: list[tuple[str, str]]


def _read_queue_filter_choices() -> QueueFilterChoices:
    """The filter bar's options in one query (a UNION ALL of the three lists, plain values,
    no model instances): the 100-agent list was the larger part of the page's Python time
    as model objects."""
    rows = (
        agents_for_desk()
        .annotate(
            kind=Value(0),
            choice=Cast("pk", CharField()),
            # The display name, else the username (a superuser without a profile).
            label=Coalesce(NullIf("agent_profile__display_name", Value("")), "username"),
            sort_name=Coalesce("agent_profile__display_name", "username"),
        )
        .values_list("kind", "choice", "label", "sort_name", "pk")
        .order_by()
        .union(
            Team.objects.annotate(
                kind=Value(1), choice=F("slug"), label=F("name"), sort_name=F("name")
            )
            .values_list("kind", "choice", "label", "sort_name", "pk")
            .order_by(),
            Category.objects.annotate(
                kind=Value(2), choice=F("slug"), label=F("name"), sort_name=F("name")
            )
            .values_list("kind", "choice", "label", "sort_name", "pk")
            .order_by(),
            all=True,
        )
        .order_by("kind", "sort_name", "pk")
    )
    lists: tuple[list, list, list] = ([], [], [])
    for kind, choice, label, _sort_name, _pk in rows:
        lists[kind].append((choice, label))
    return QueueFilterChoices(agents=lists[0], teams=lists[1], categories=lists[2])


# The queue shows the filter bar on every full page load; agents, teams and categories change
# rarely: a per-process copy (common.config_cache), emptied at once in the process that
# saves one of them, within CONFIG_CACHE_SECONDS in the others.
_filter_choices = ConfigCache(
    "queue-filter-choices",
    _read_queue_filter_choices,
    models=[User, AgentProfile, Team, Category],
)


def queue_filter_choices() -> QueueFilterChoices:
    """The filter bar's agents, teams and categories as (value, label) pairs. Shared by every
    request of the process: read, never change."""
    return _filter_choices.get()


class Option(NamedTuple):
    """One option of the ticket page's sidebar selects."""

    pk: int
    name: str
    active: bool = True


@dataclass(frozen=True)
class TicketEditChoices:
    """The ticket page's assignee, team and category options, by primary key (what the
    sidebar's forms post), agents and teams by name, categories with their active flag."""

    agents: list[Option]
    teams: list[Option]
    categories: list[Option]


def _read_ticket_edit_choices() -> TicketEditChoices:
    agents = [
        Option(pk, display_name or username)
        for pk, display_name, username in agents_for_desk().values_list(
            "pk", "agent_profile__display_name", "username"
        )
    ]
    teams = [Option(*row) for row in Team.objects.order_by("name").values_list("pk", "name")]
    categories = [
        Option(*row)
        for row in Category.objects.order_by("name").values_list("pk", "name", "active")
    ]
    return TicketEditChoices(agents=agents, teams=teams, categories=categories)


# Every ticket page shows these selects: the same per-process copy as the queue's filter bar.
# The forms they post to validate against the tables, so an option at most
# CONFIG_CACHE_SECONDS stale is refused with a form error, never applied.
_edit_choices = ConfigCache(
    "ticket-edit-choices",
    _read_ticket_edit_choices,
    models=[User, AgentProfile, Team, Category],
)


def ticket_edit_choices() -> TicketEditChoices:
    """The ticket page's sidebar options. Shared by every request of the process: read, never
    change."""
    return _edit_choices.get()


class QueueFilterForm(forms.Form):
    """The queue's GET parameters. A value that does not parse is ignored, never an error page:
    URLs get shared and bookmarked, and a stale one must still open the queue."""

    status = forms.MultipleChoiceField(choices=Status.choices, required=False)
    priority = forms.MultipleChoiceField(choices=Priority.choices, required=False)
    sla = forms.MultipleChoiceField(
        choices=[(value, label) for value, label in SlaState.choices if value], required=False
    )
    category = forms.SlugField(required=False)
    team = forms.SlugField(required=False)
    tag = forms.CharField(required=False, max_length=50)
    assignee = forms.RegexField(regex=r"^(me|unassigned|\d{1,18})$", required=False)
    q = forms.CharField(required=False, max_length=200)
    sort = forms.ChoiceField(choices=SORT_CHOICES, required=False)
    page = forms.IntegerField(required=False, min_value=1)

    def to_filters(self) -> QueueFilters:
        self.is_valid()
        data = self.cleaned_data  # holds only the fields that parsed
        return QueueFilters(
            status=list(data.get("status") or []),
            priority=list(data.get("priority") or []),
            sla=list(data.get("sla") or []),
            category=data.get("category") or "",
            team=data.get("team") or "",
            tag=(data.get("tag") or "").strip().lower(),
            assignee=data.get("assignee") or "",
            q=(data.get("q") or "").strip(),
            sort=data.get("sort") or DEFAULT_QUEUE_SORT,
        )

    @property
    def page_number(self) -> int:
        self.is_valid()
        return self.cleaned_data.get("page") or 1


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input. Size and type are checked by the service, so a refused file
    is reported the same way from the desk, the portal and the API."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class ReplyForm(forms.Form):
    body = forms.CharField(
        max_length=MAX_MESSAGE_LENGTH,
        strip=True,
        error_messages={"required": "Write a reply before sending it."},
    )
    files = MultipleFileField()


class NoteForm(forms.Form):
    body = forms.CharField(
        max_length=MAX_MESSAGE_LENGTH,
        strip=True,
        error_messages={"required": "Write the note before adding it."},
    )


class ClaimForm(forms.Form):
    """Claiming takes no input: the agent is the one asking."""


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Unassigned"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = agents_for_desk()


class TeamForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.all(), required=False)


class StatusForm(forms.Form):
    # Every status parses; the lifecycle service decides which moves are allowed, so a
    # refused move gets the service's own explanation.
    status = forms.ChoiceField(choices=Status.choices)
    reason = forms.CharField(required=False, max_length=500)


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(choices=Priority.choices)


class CategoryForm(forms.Form):
    category = forms.ModelChoiceField(queryset=Category.objects.all(), required=False)


class TagsForm(forms.Form):
    tags = forms.CharField(required=False, max_length=1000)

    def clean_tags(self) -> list[str]:
        return [name.strip() for name in self.cleaned_data["tags"].split(",") if name.strip()]


class EscalateForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        error_messages={"required": "Say why this ticket needs escalating."},
    )


class MergeForm(forms.Form):
    target = forms.CharField(
        max_length=30,
        error_messages={"required": "Enter the reference of the ticket to merge into."},
    )
    reason = forms.CharField(max_length=500, required=False)

    def clean_target(self) -> str:
        return self.cleaned_data["target"].strip().upper()


class ResolveForm(forms.Form):
    resolution = forms.CharField(
        max_length=MAX_MESSAGE_LENGTH,
        error_messages={"required": "Describe the resolution; the customer will see it."},
    )
