"""Reads for tickets, already scoped by who is asking and with their joins prefetched.

Views never build ticket querysets themselves; every page and API list comes through here,
so permission scoping lives in one place.
"""

import base64
import binascii
import hashlib
import json
from dataclasses import astuple, dataclass, field, replace

from django.contrib.auth import get_user_model
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    Func,
    IntegerField,
    Max,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
    prefetch_related_objects,
)
from django.http import Http404
from django.utils.dateparse import parse_datetime

from agents.permissions import display_name_of, is_agent
from tickets.models import (
    PRIORITY_ORDER,
    Attachment,
    Customer,
    SlaState,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketMessage,
)

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
    return _queue_filtered(agent=agent, filters=filters).prefetch_related(
        "tags", Prefetch("assignee", queryset=assignees)
    )


def _queue_filtered(*, agent, filters: QueueFilters) -> QuerySet[Ticket]:
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


# What a queue row shows (tickets.views.desk.queue_rows) and the sort keys: the page query
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
    qs = _queue_filtered(agent=agent, filters=filters)
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


def ticket_for_agent(*, agent, reference: str) -> Ticket:
    """A ticket with everything its desk page's header and sidebar show, or 404.

    The conversation and the activity are not prefetched: a long ticket has hundreds of both,
    and the page shows only the newest of each (`ticket_page_messages`, `ticket_page_events`).
    """
    if not is_agent(agent):
        raise Http404
    assignees = get_user_model().objects.select_related("agent_profile")
    try:
        # The assignee (with profile) and the merge target come in small queries of their
        # own: joined, they more than doubled the time PostgreSQL spends planning this one
        # (about 3.5 ms for eight tables against well under a millisecond to run it).
        return (
            Ticket.objects.select_related("category", "team", "customer", "customer__organization")
            .prefetch_related("tags", Prefetch("assignee", queryset=assignees), "merged_into")
            .get(reference=reference)
        )
    except Ticket.DoesNotExist:
        raise Http404 from None


def ticket_conversation_for_agent(*, ticket: Ticket) -> Ticket:
    """The ticket with its whole conversation prefetched (authors, their agent profiles and
    attachments), for the API's ticket detail: a fixed number of queries at any length."""
    prefetch_related_objects([ticket], Prefetch("messages", queryset=_messages_for_display()))
    return ticket


def _messages_for_display() -> QuerySet[TicketMessage]:
    """Messages with what the desk and the API show beside them: the author, the author's
    agent profile and the attachments in upload order."""
    return TicketMessage.objects.select_related("author", "author__agent_profile").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("id"))
    )


@dataclass
class PageWindow:
    """The newest `rows` of a ticket's conversation or activity, oldest first, and how many
    older ones there are: what the page shows now and what "Show earlier" loads."""

    rows: list
    hidden: int
    # The highest id of every row the filter matched, shown or not: the reply collision check
    # compares ids, and an id order can differ from the time order (merged-in messages).
    newest_id: int = 0

    @property
    def oldest_id(self) -> int | None:
        return self.rows[0].pk if self.rows else None


def _page_window(queryset: QuerySet, *, limit: int | None, before_id: int | None) -> PageWindow:
    """One query: the newest `limit` rows (older than `before_id` when given), with the count
    of every row the filter matched computed alongside by a window function, so the page
    knows how many it left out without a second query."""
    if before_id is not None:
        cursor = queryset.model.objects.filter(pk=before_id).values("created_at")[:1]
        queryset = queryset.filter(
            Q(created_at__lt=cursor) | Q(created_at=cursor, pk__lt=before_id)
        )
    queryset = queryset.annotate(matched=Window(Count("pk")), newest=Window(Max("pk")))
    queryset = queryset.order_by("-created_at", "-id")
    rows = list(queryset[:limit] if limit is not None else queryset)
    rows.reverse()
    if not rows:
        return PageWindow(rows=[], hidden=0)
    return PageWindow(rows=rows, hidden=rows[0].matched - len(rows), newest_id=rows[0].newest)


def ticket_page_messages(
    *, ticket: Ticket, limit: int | None, before_id: int | None = None
) -> PageWindow:
    """The newest `limit` messages of the ticket (all with None), with authors and
    attachments: two queries whatever the length of the conversation."""
    messages = _messages_for_display().filter(ticket=ticket)
    return _page_window(messages, limit=limit, before_id=before_id)


def ticket_page_events(
    *, ticket: Ticket, limit: int | None, before_id: int | None = None
) -> PageWindow:
    """The newest `limit` audit events of the ticket (all with None), with their actors."""
    events = TicketEvent.objects.filter(ticket=ticket).select_related(
        "actor", "actor__agent_profile"
    )
    return _page_window(events, limit=limit, before_id=before_id)


def ticket_links(*, ticket: Ticket) -> list[TicketLink]:
    """The ticket's links in both directions, with both tickets joined: one query. For the
    desk ticket page, whose ticket came from `ticket_for_agent`."""
    return list(
        TicketLink.objects.filter(Q(from_ticket=ticket) | Q(to_ticket=ticket))
        .select_related("from_ticket", "to_ticket")
        .order_by("created_at", "id")
    )


def ticket_for_public_link(*, public_id: str) -> Ticket:
    """The ticket behind a customer's secure link, with public messages only, or 404."""
    public_messages = (
        TicketMessage.objects.filter(is_internal=False)
        .select_related("author", "author__agent_profile")
        .prefetch_related("attachments")
    )
    try:
        return (
            Ticket.objects.select_related(
                "category", "customer", "assignee__agent_profile", "merged_into"
            )
            .prefetch_related(
                Prefetch("messages", queryset=public_messages, to_attr="public_messages")
            )
            .get(public_id=public_id)
        )
    except Ticket.DoesNotExist:
        raise Http404 from None


def ticket_confirmation(*, reference: str) -> Ticket:
    """Just the ticket row, for a confirmation page that shows its reference and subject."""
    try:
        return Ticket.objects.get(reference=reference)
    except Ticket.DoesNotExist:
        raise Http404 from None


def tickets_for_customer(*, customer: Customer) -> QuerySet[Ticket]:
    """The customer's own tickets ("My tickets", the customer API). A ticket someone filed
    under their address without proving it (`sender_unverified`) is left out until the
    customer confirms it: it is not theirs until then."""
    return (
        Ticket.objects.filter(customer=customer, sender_unverified=False)
        .select_related("category")
        .order_by("-created_at", "-id")
    )


def customer_for_user(user) -> Customer | None:
    if not user.is_authenticated:
        return None
    return Customer.objects.filter(user=user).first()


def attachments_of_ticket(*, ticket: Ticket) -> QuerySet[Attachment]:
    """Every file on the ticket, oldest first (what its uploader is told about after filing)."""
    return Attachment.objects.filter(message__ticket=ticket).order_by("id")


def attachment_for_agent(*, agent, attachment_id: int) -> Attachment:
    if not is_agent(agent):
        raise Http404
    try:
        return Attachment.objects.select_related("ticket").get(pk=attachment_id)
    except Attachment.DoesNotExist:
        raise Http404 from None


def attachment_for_public_link(*, public_id: str, attachment_id: int) -> Attachment:
    """An attachment on a public message of the ticket behind this link, or 404."""
    try:
        return Attachment.objects.select_related("ticket").get(
            pk=attachment_id, ticket__public_id=public_id, message__is_internal=False
        )
    except Attachment.DoesNotExist:
        raise Http404 from None


# The live queue counts a view's tickets up to here and then says "1,000+": an exact count of
# a million-ticket view would scan it all on every page and every 10 s poll.
QUEUE_COUNT_LIMIT = 1_000


@dataclass(frozen=True)
class QueueVersion:
    """What the live queue compares to know whether its table is stale."""

    count: int
    token: str
    count_capped: bool = False  # more than QUEUE_COUNT_LIMIT tickets: `count` is the limit


def ticket_queue_version(*, agent, filters: QueueFilters) -> QueueVersion:
    """The queue's "changed since" signal, in one query over the agent's filter.

    Every ticket change goes through `tickets.services`, which stamps `updated_at`, so the
    newest `updated_at` moves whenever a ticket in the view changes; the count moves when one
    enters or leaves it; the SLA state counts move when the sweep marks a ticket at risk or
    breached (it does not touch `updated_at`). The count is also the queue page's total.

    Each figure is a bounded scalar subquery, so the cost does not grow with the view: the
    count stops at QUEUE_COUNT_LIMIT + 1 rows, the newest change is one row off the
    `ticket_updated` or `ticket_open_updated` index, and the at-risk and breached counts
    only see open tickets (the `ticket_sla_state_due` index), in one pass; for a text search
    they are the counts of the view without its words.

    The index probe for the newest change is only taken for a view of more than
    QUEUE_COUNT_LIMIT tickets, where matches are dense along the index. A smaller view (a
    search for a rare word) takes the MAX over its few rows instead: walking `updated_at`
    backwards until a rare match turns up read the whole index (seconds at a million
    tickets). PostgreSQL runs only the CASE branch it needs.
    """
    statement = _version_statement(agent, filters) if is_agent(agent) else None
    if statement is None:
        count, newest, at_risk, breached = 0, None, 0, 0
    else:
        sql, params = statement
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            count, newest, at_risk, breached = cursor.fetchone()
    capped = count > QUEUE_COUNT_LIMIT
    count = min(count, QUEUE_COUNT_LIMIT)
    raw = f"{count}:{newest}:{at_risk}:{breached}"
    token = hashlib.blake2s(raw.encode(), digest_size=8).hexdigest()
    return QueueVersion(count=count, token=token, count_capped=capped)


# Compiled version statements by (agent id, filters). The statement is a function of those
# alone (no clock, no table contents: keep it so), and an agent's live queue asks for the
# same one every 10 seconds: compiling it (four subqueries over the filter, the search's
# customer lookup in three of them) cost more Python than PostgreSQL spends running it.
# Emptied whole when full.
_VERSION_STATEMENTS: dict[tuple, tuple[str, tuple] | None] = {}
VERSION_STATEMENTS_KEPT = 2_000


def _version_statement(agent, filters: QueueFilters) -> tuple[str, tuple] | None:
    key = (agent.pk, *(tuple(v) if isinstance(v, list) else v for v in astuple(filters)))
    try:
        return _VERSION_STATEMENTS[key]
    except KeyError:
        pass
    if len(_VERSION_STATEMENTS) >= VERSION_STATEMENTS_KEPT:
        _VERSION_STATEMENTS.clear()
    statement = _VERSION_STATEMENTS[key] = _compile_version_statement(agent, filters)
    return statement


def _compile_version_statement(agent, filters: QueueFilters) -> tuple[str, tuple] | None:
    """The version statement of an agent's view and its parameters; None when the filter
    can match nothing."""
    qs = _queue_filtered(agent=agent, filters=filters).order_by()
    # The at-risk and breached counts leave a text search out: they only have to move when
    # the sweep changes a ticket's SLA state, and the view without its words moves whenever
    # the view with them would. Counting the matches instead intersected the open alerts
    # with the trigram bitmap of the word (28 ms for one found in a fifth of all subjects).
    unsearched = _queue_filtered(agent=agent, filters=replace(filters, q="")).order_by()
    sla = unsearched.filter(sla_state__in=[SlaState.AT_RISK, SlaState.BREACHED]).values("sla_state")
    counted = qs.order_by("-updated_at", "-id") if filters.q.strip() else qs
    parts = [
        (
            "(SELECT MAX(few.updated_at) FROM ({}) few)",
            qs.values("updated_at")[: QUEUE_COUNT_LIMIT + 1],
        ),
        ("({})", qs.order_by("-updated_at", "-id").values("updated_at")[:1]),
        # A search is counted in the order of an index (`ticket_updated`,
        # `ticket_open_updated`): for a common word PostgreSQL then walks it and stops at the
        # limit, rather than reading the whole trigram bitmap of a word found in a fifth of
        # all subjects. Other filters are counted in no order, so PostgreSQL reads their own
        # index (a team's open tickets from `ticket_team_status`) instead of walking every
        # open ticket by date until it has seen enough of the team's.
        (
            "(SELECT COUNT(*) AS n FROM ({}) capped)",
            counted.values("id")[: QUEUE_COUNT_LIMIT + 1],
        ),
        (
            "(SELECT COUNT(*) FILTER (WHERE alerts.sla_state = %s), "
            "COUNT(*) FILTER (WHERE alerts.sla_state = %s) FROM ({}) alerts)",
            sla,
        ),
    ]
    try:
        compiled, params = [], []
        for template, part in parts:
            sql, part_params = part.query.sql_with_params()
            compiled.append(template.format(sql))
            if part is sla:
                params += [SlaState.AT_RISK, SlaState.BREACHED]
            params.extend(part_params)
    except EmptyResultSet:
        return None
    few_newest_sql, newest_sql, count_sql, sla_sql = compiled
    sql = (
        f"SELECT capped.n, CASE WHEN capped.n <= %s THEN {few_newest_sql} "  # noqa: S608 - compiled ORM SQL, values bound
        f"ELSE {newest_sql} END, sla.* FROM {count_sql} capped, {sla_sql} sla"
    )
    return sql, (QUEUE_COUNT_LIMIT, *params)


def ticket_messages_since(*, ticket: Ticket, after_id: int, exclude_author=None):
    """Public messages on `ticket` newer than message `after_id`: what an agent about to
    reply has not seen yet (the desk's reply collision check). Internal notes and system
    lines do not count; the agent's own messages neither."""
    messages = (
        TicketMessage.objects.filter(ticket=ticket, pk__gt=after_id, is_internal=False)
        .filter(
            author_kind__in=[
                TicketMessage.AuthorKind.CUSTOMER,
                TicketMessage.AuthorKind.AGENT,
                TicketMessage.AuthorKind.AI,
            ]
        )
        .select_related("author", "author__agent_profile")
        .order_by("id")
    )
    if exclude_author is not None:
        messages = messages.exclude(author=exclude_author)
    return list(messages)


def ticket_summary_for_agent(*, agent, reference: str) -> Ticket:
    """Just the ticket row (with its customer), or 404: for the desk's frequent small
    requests (presence heartbeats, the reply collision check) that need no conversation."""
    if not is_agent(agent):
        raise Http404
    try:
        return Ticket.objects.select_related("customer").get(reference=reference)
    except Ticket.DoesNotExist:
        raise Http404 from None
