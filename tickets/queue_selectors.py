"""Reads for the desk's queue: its filters, sorts and keyset-paginated pages of rows, scoped
by who is asking.
"""

import base64
import binascii
import json
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    F,
    Func,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils.dateparse import parse_datetime

from agents.permissions import display_name_of, is_agent
from tickets.models import PRIORITY_ORDER, Customer, Ticket

PRIORITY_RANK = Case(
    *[When(priority=value, then=Value(rank)) for rank, value in enumerate(PRIORITY_ORDER)],
    output_field=IntegerField(),
)

QUEUE_SORTS = {
    # The next SLA deadline first; tickets without a running target after them. Served by the
    # ticket_sla_due index on (sla_due_at, id).
    "deadline": (F("sla_due_at").asc(nulls_last=True), "id"),
    "newest": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
    "updated": ("-updated_at", "-id"),
    "priority": ("-priority_rank", "created_at", "id"),
}
DEFAULT_QUEUE_SORT = "deadline"


@dataclass
class QueueFilters:
    status: list[str] = field(default_factory=list)
    priority: list[str] = field(default_factory=list)
    category: str = ""
    team: str = ""
    tag: str = ""
    assignee: str = ""  # "me", "unassigned", "" for anyone, or a user id
    sla: list[str] = field(default_factory=list)  # SlaState values, e.g. at_risk, breached
    q: str = ""
    sort: str = DEFAULT_QUEUE_SORT


def ticket_queue_for_agent(*, agent, filters: QueueFilters) -> QuerySet[Ticket]:
    """The desk queue: every ticket an agent may work, filtered and sorted, as the API lists
    it: whole tickets, with category, team and customer joined, the tags and the assignees
    with their profiles prefetched.

    The assignees are not joined: two more outer joins tripled the time PostgreSQL spends
    planning the page query (about 3 ms against 1 at a million tickets).
    """
    assignees = get_user_model().objects.select_related("agent_profile")
    return queue_filtered(agent=agent, filters=filters).prefetch_related(
        "tags", Prefetch("assignee", queryset=assignees)
    )


def queue_filtered(*, agent, filters: QueueFilters) -> QuerySet[Ticket]:
    if not is_agent(agent):
        return Ticket.objects.none()
    qs = Ticket.objects.select_related("category", "team", "customer")
    if filters.status:
        qs = qs.filter(status__in=filters.status)
    if filters.priority:
        qs = qs.filter(priority__in=filters.priority)
    if filters.sla:
        qs = qs.filter(sla_state__in=filters.sla)
    if filters.category:
        qs = qs.filter(category__slug=filters.category)
    if filters.team:
        qs = qs.filter(team__slug=filters.team)
    if filters.tag:
        qs = qs.filter(tags__name=filters.tag)
    if filters.assignee == "me":
        qs = qs.filter(assignee=agent)
    elif filters.assignee == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    elif filters.assignee.isdigit():
        qs = qs.filter(assignee_id=int(filters.assignee))
    text = filters.q.strip()
    if text:
        qs = qs.filter(_queue_text_match(text))
    order = QUEUE_SORTS.get(filters.sort, QUEUE_SORTS[DEFAULT_QUEUE_SORT])
    if filters.sort == "priority":
        qs = qs.annotate(priority_rank=PRIORITY_RANK)
    return qs.order_by(*order)


class _AnyOfSubquery(Func):
    """`column = ANY(ARRAY(subquery))` (PostgreSQL): the subquery runs once, first, and its
    ids become an array the column's b-tree can look up inside a BitmapOr, where a plain
    `IN (subquery)` next to other OR arms is a per-row filter that forces a scan."""

    output_field = BooleanField()
    conditional = True

    def as_sql(self, compiler, connection, **extra):
        column, subquery = self.get_source_expressions()
        column_sql, column_params = compiler.compile(column)
        subquery_sql, subquery_params = compiler.compile(subquery)
        return f"{column_sql} = ANY(ARRAY{subquery_sql})", (*column_params, *subquery_params)


def _queue_text_match(text: str) -> Q:
    """The queue search: a reference or customer email exactly, or a word in the subject or
    the customer's name, case-insensitively.

    The customer arm looks the customers up first (their trigram and UPPER(email) indexes)
    rather than testing a condition across the join, so every arm is a condition on the ticket
    row with an index of its own (tickets migration 0017: trigram on UPPER(subject), b-tree on
    UPPER(reference), and the customer_id index): PostgreSQL can answer a rare word from a
    BitmapOr of the three, and walk the sort order's index for a common one, instead of
    joining every customer to every candidate ticket. `icontains` escapes `%` and `_`, so the
    text is always a literal.
    """
    customers = Customer.objects.filter(Q(email__iexact=text) | Q(name__icontains=text)).order_by()
    if connection.vendor == "postgresql":
        by_customer = Q(_AnyOfSubquery(F("customer_id"), Subquery(customers.values("pk"))))
    else:
        by_customer = Q(customer_id__in=customers.values("pk"))
    return Q(reference__iexact=text) | Q(subject__icontains=text) | by_customer


# Keyset pagination: each sort's keys (field, descending), ending in the unique id, so a page
# is "the next N rows after this row" whatever the depth: no COUNT and no OFFSET over a
# million tickets, and the same two queries (tickets, tags) for any page size. Ascending keys
# sort NULLs last, descending ones first: the order a plain btree index gives either way.
QUEUE_KEYS = {
    "deadline": (("sla_due_at", False), ("id", False)),
    "newest": (("created_at", True), ("id", True)),
    "oldest": (("created_at", False), ("id", False)),
    "updated": (("updated_at", True), ("id", True)),
    "priority": (("priority_rank", True), ("created_at", False), ("id", False)),
}
_DATETIME_KEYS = {"sla_due_at", "created_at", "updated_at"}


@dataclass
class QueuePage:
    """One page of the queue. Cursors are opaque strings for `after=` / `before=`; an empty
    `previous_cursor` with `has_previous` means the previous page is the first one."""

    object_list: list  # named tuples of QUEUE_ROW_FIELDS
    has_next: bool
    has_previous: bool
    tag_names: dict[int, list[str]] = field(default_factory=dict)  # by ticket id
    assignee_names: dict[int, str] = field(default_factory=dict)  # by user id
    next_cursor: str = ""
    previous_cursor: str = ""
    start_index: int = 0  # 1-based position of the first row, for "26–50 of 1,204"
    count: int | None = None  # the total, when the caller knows it
    count_capped: bool = False  # `count` is a lower bound ("1,000+")

    @property
    def end_index(self) -> int:
        return self.start_index + len(self.object_list) - 1 if self.object_list else 0

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous


def _encode_cursor(sort: str, ticket: Ticket, keys, position: int) -> str:
    values = []
    for name, _ in keys:
        value = getattr(ticket, name)
        values.append(value.isoformat() if hasattr(value, "isoformat") else value)
    raw = json.dumps({"s": sort, "k": values, "n": position}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(token: str, sort: str, keys) -> dict | None:
    """The cursor's key values and position, or None for anything that does not parse or
    belongs to another sort (the first page is shown instead, never an error)."""
    if not token or len(token) > 500:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        values, position = data["k"], int(data["n"])
        if data["s"] != sort or len(values) != len(keys) or position < 0:
            return None
        parsed = []
        for (name, _), value in zip(keys, values, strict=True):
            if value is not None and name in _DATETIME_KEYS:
                value = parse_datetime(value)
                if value is None:
                    return None
            elif value is not None and not isinstance(value, int):
                return None
            parsed.append(value)
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
        return None
    return {"values": parsed, "position": position}


def _keyset_order(keys, backwards: bool) -> list:
    order = []
    for name, descending in keys:
        if descending != backwards:
            order.append(F(name).desc(nulls_first=True))
        else:
            order.append(F(name).asc(nulls_last=True))
    return order


def _keyset_beyond(keys, values, backwards: bool) -> Q:
    """Rows strictly past `values` in the (possibly reversed) order of `keys`."""
    beyond_all = Q(pk__in=[])
    same_so_far = Q()
    for (name, descending), value in zip(keys, values, strict=True):
        descending = descending != backwards
        if value is None:
            # NULLs come last ascending (nothing non-null after them), first descending.
            beyond = Q(**{f"{name}__isnull": False}) if descending else Q(pk__in=[])
            same = Q(**{f"{name}__isnull": True})
        else:
            beyond = Q(**{f"{name}__{'lt' if descending else 'gt'}": value})
            if not descending:
                beyond |= Q(**{f"{name}__isnull": True})
            same = Q(**{name: value})
        beyond_all |= same_so_far & beyond
        same_so_far &= same
    # A plain bound on the leading non-null key lets the index start at the cursor.
    (lead, descending), lead_value = keys[0], values[0]
    if lead_value is not None and lead not in ("sla_due_at",):
        beyond_all &= Q(**{f"{lead}__{'lte' if descending != backwards else 'gte'}": lead_value})
    return beyond_all


# What a queue row shows (desk.views.queue_rows) and the sort keys: the page query
# reads nothing else, as plain tuples with these names as attributes (`category__name` is None
# without a category; the sort "priority" adds `priority_rank`).
QUEUE_ROW_FIELDS = (
    "id",
    "reference",
    "subject",
    "status",
    "priority",
    "sla_state",
    "sla_due_at",
    "escalation_level",
    "assignee_id",
    "created_at",
    "updated_at",
    "category__name",
    "team__name",
    "customer__name",
    "customer__plan_tier",
    "sender_unverified",
)


def ticket_queue_page(
    *, agent, filters: QueueFilters, size: int, after: str = "", before: str = ""
) -> QueuePage:
    """One page of the desk queue by keyset: the `size` tickets after the `after` cursor (or
    before the `before` one), as named tuples of `QUEUE_ROW_FIELDS`, with the page's
    `tag_names` (sorted, by ticket id) and `assignee_names` (by user id). One query for the
    tickets and their joins, one for the tags and one for the assignees' names (none when
    nobody on the page is assigned), whatever the page size or depth. Lean on purpose: model
    instances, and Django's prefetch machinery, cost more than the queries themselves on a
    page shown this often."""
    sort = filters.sort if filters.sort in QUEUE_KEYS else DEFAULT_QUEUE_SORT
    keys = QUEUE_KEYS[sort]
    cursor = _decode_cursor(before or after, sort, keys)
    backwards = bool(before) and cursor is not None
    qs = queue_filtered(agent=agent, filters=filters)
    if cursor is not None:
        qs = qs.filter(_keyset_beyond(keys, cursor["values"], backwards))
    fields = [*QUEUE_ROW_FIELDS, *(["priority_rank"] if sort == "priority" else [])]
    qs = qs.order_by(*_keyset_order(keys, backwards)).values_list(*fields, named=True)
    rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
        start = max(cursor["position"] - len(rows), 0)
        has_previous, has_next = more and start > 0, True
    else:
        start = cursor["position"] if cursor else 0
        has_previous, has_next = cursor is not None and start > 0, more
    page = QueuePage(rows, has_next=has_next, has_previous=has_previous, start_index=start + 1)
    page.tag_names = _tag_names([row.id for row in rows])
    page.assignee_names = _assignee_names({row.assignee_id for row in rows if row.assignee_id})
    if rows and has_next:
        page.next_cursor = _encode_cursor(sort, rows[-1], keys, start + len(rows))
    if rows and has_previous and start > size:
        page.previous_cursor = _encode_cursor(sort, rows[0], keys, start)
    return page


def _tag_names(ticket_ids: list[int]) -> dict[int, list[str]]:
    """Each ticket's tag names, sorted (an empty list for a ticket without tags)."""
    names: dict[int, list[str]] = {ticket_id: [] for ticket_id in ticket_ids}
    if names:
        pairs = (
            Ticket.tags.through.objects.filter(ticket_id__in=names)
            .order_by("tag__name")
            .values_list("ticket_id", "tag__name")
        )
        for ticket_id, name in pairs:
            names[ticket_id].append(name)
    return names


def _assignee_names(user_ids: set[int]) -> dict[int, str]:
    """What `agent_display_name` gives for each user, read as plain values (the display
    name is required, so None means no agent profile)."""
    if not user_ids:
        return {}
    user_model = get_user_model()
    rows = user_model.objects.filter(pk__in=user_ids).values_list(
        "pk",
        "agent_profile__display_name",
        "first_name",
        "last_name",
        user_model.USERNAME_FIELD,
    )
    return {
        pk: display_name_of(
            profile_name, full_name=f"{first_name} {last_name}".strip(), username=username
        )
        for pk, profile_name, first_name, last_name, username in rows
    }
