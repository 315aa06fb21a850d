"""The live queue's staleness probe: one aggregate query over a view's filter that says whether
its table changed (docs/desk.md).
"""

import hashlib
from dataclasses import astuple, dataclass, replace

from django.core.exceptions import EmptyResultSet
from django.db import connection

from agents.permissions import is_agent
from tickets.models import SlaState
from tickets.queue_selectors import QueueFilters, queue_filtered

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
    qs = queue_filtered(agent=agent, filters=filters).order_by()
    # The at-risk and breached counts leave a text search out: they only have to move when
    # the sweep changes a ticket's SLA state, and the view without its words moves whenever
    # the view with them would. Counting the matches instead intersected the open alerts
    # with the trigram bitmap of the word (28 ms for one found in a fifth of all subjects).
    unsearched = queue_filtered(agent=agent, filters=replace(filters, q="")).order_by()
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
