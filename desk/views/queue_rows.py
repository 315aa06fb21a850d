"""The queue table's rows, as HTML built in Python: the queue page's hot loop.

A page holds up to `DESK_PAGE_SIZE` rows of some thirty values each. Printed by the template
language, each value cost a variable lookup, a localisation check and an escape inside the
loop: most of the page's time at 100 rows. Here each row is one `str.format` over values
prepared once and escaped once each by `_html` (what `format_html` does, without its per-value
lazy-string checks, which cost more than the escaping at some 3,000 values a page).

The markup is what `templates/desk/queue.html` printed per row (its `<thead>` names the
columns): change the two together. `desk.js` reads the row's `data-*` attributes.
"""

import html
from datetime import datetime
from functools import cache

from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeData, SafeString, mark_safe

from desk.templatetags.desk_tags import desk_url
from desk.views.times import time_ago, timestamp_title
from sla.templatetags.sla_tags import countdown_text, sla_badge
from tickets.models import Customer, Priority, Status
from tickets.queue_selectors import QueuePage

_STATUS_LABELS = dict(Status.choices)
_PRIORITY_LABELS = dict(Priority.choices)
_TIER_LABELS = dict(Customer._meta.get_field("plan_tier").flatchoices)
_EMPTY = mark_safe("")  # noqa: S308 - an empty string

ROW = (
    '<tr class="queue-row priority-row-{priority}{sla_row}" data-ref="{reference}"'
    ' data-updated="{updated_stamp}" data-href="{url}"{claim}>\n'
    '<td class="cell-ref"><a href="{url}">{reference}</a></td>\n'
    '<td class="cell-subject">\n'
    '<a class="subject-link" href="{url}">{subject}</a>{escalation}{tags}\n'
    "</td>\n"
    '<td class="cell-customer">\n'
    '<span class="customer-name">{customer_name}</span>{tier}{unverified}\n'
    "</td>\n"
    '<td><span class="badge status-{status}">{status_label}</span></td>\n'
    '<td><span class="badge priority-{priority}">{priority_label}</span></td>\n'
    '<td class="cell-sla">\n{sla}{due}\n</td>\n'
    '<td class="cell-assignee">{assignee}</td>\n'
    '<td class="cell-routing">\n'
    '<span class="routing-category">{category_name}</span>\n'
    '<span class="routing-team">{team_name}</span>\n'
    "</td>\n"
    '<td class="cell-time">\n'
    '<time class="time-updated" datetime="{updated_iso}" title="Updated {updated_title}">'
    "{updated_ago}</time>\n"
    '<span class="time-created">opened <time datetime="{created_iso}"'
    ' title="Created {created_title}">{created_ago}</time></span>\n'
    "</td>\n"
    "</tr>\n"
)
ESCALATION = '\n<span class="badge escalated" title="Escalation level {0}">L{0}</span>'
TAG = '<a class="tag" href="{}" title="Only tickets tagged {}">{}</a>'
TIER = '\n<span class="tier tier-{}">{}</span>'
UNVERIFIED_SENDER = mark_safe(  # noqa: S308 - constant
    '\n<span class="badge unverified-sender" title="Filed signed out with the address of a'
    ' customer who has an account; not confirmed by them yet">Unverified sender</span>'
)
DUE = (
    '\n<time class="sla-countdown{}" datetime="{}" data-deadline="{}"'
    ' title="Next SLA deadline {}">{}</time>'
)
ASSIGNEE_ME = mark_safe('<span class="assignee-me">You</span>')  # noqa: S308 - constant
UNASSIGNED = mark_safe('<span class="muted">Unassigned</span>')  # noqa: S308 - constant
NO_SLA = mark_safe('<span class="muted">No SLA</span>')  # noqa: S308 - constant


def _html(template: str, *args, **kwargs) -> SafeString:
    """`format_html` for the hot loop: every value not already safe is escaped by
    `html.escape` (which Django's `escape` calls too), then the markup is marked safe."""
    args = [a if isinstance(a, SafeData) else html.escape(str(a)) for a in args]
    kwargs = {k: v if isinstance(v, SafeData) else html.escape(str(v)) for k, v in kwargs.items()}
    return mark_safe(template.format(*args, **kwargs))  # noqa: S308 - every value escaped


class QueueRows:
    """Renders the page's tickets (as `ticket_queue_page` returns them) for one agent."""

    def __init__(self, *, agent, now: datetime, query: QueryDict) -> None:
        self.agent_id = agent.pk
        self.now = now
        self.query = query
        self.queue_url = reverse("desk:queue")
        self.tag_urls: dict[str, str] = {}
        self.tz = timezone.get_current_timezone()

    def tag_url(self, name: str) -> str:
        """This view with the tag filter set to `name`."""
        if name not in self.tag_urls:
            query = self.query.copy()
            query["tag"] = name
            self.tag_urls[name] = f"{self.queue_url}?{query.urlencode()}"
        return self.tag_urls[name]

    def html(self, page: QueuePage) -> list[SafeString]:
        return [
            self.row(
                ticket,
                tags=page.tag_names.get(ticket.id, ()),
                assignee_name=page.assignee_names.get(ticket.assignee_id, ""),
            )
            for ticket in page.object_list
        ]

    def row(self, ticket, *, tags, assignee_name: str) -> SafeString:
        """One `<tr>`; `ticket` is a row of `ticket_queue_page` (QUEUE_ROW_FIELDS)."""
        updated = ticket.updated_at.astimezone(self.tz)
        created = ticket.created_at.astimezone(self.tz)
        tier = ticket.customer__plan_tier
        return _html(
            ROW,
            priority=ticket.priority,
            sla_row=f" sla-row-{ticket.sla_state}" if ticket.sla_state else "",
            reference=ticket.reference,
            updated_stamp=f"{int(updated.timestamp())}.{updated.microsecond:06d}",
            url=desk_url(ticket.reference, "ticket"),
            claim=self._claim(ticket),
            subject=ticket.subject,
            escalation=_html(ESCALATION, ticket.escalation_level)
            if ticket.escalation_level
            else _EMPTY,
            tags=self._tags(tags),
            customer_name=ticket.customer__name,
            tier=_html(TIER, tier, _TIER_LABELS.get(tier, tier)) if tier else _EMPTY,
            unverified=UNVERIFIED_SENDER if ticket.sender_unverified else _EMPTY,
            status=ticket.status,
            status_label=_STATUS_LABELS.get(ticket.status, ticket.status),
            priority_label=_PRIORITY_LABELS.get(ticket.priority, ticket.priority),
            sla=sla_badge_html(ticket.sla_state) if ticket.sla_state else NO_SLA,
            due=self._due(ticket.sla_due_at),
            assignee=self._assignee(ticket.assignee_id, assignee_name),
            category_name=ticket.category__name or "No category",
            team_name=ticket.team__name or "No team",
            updated_iso=updated.isoformat(),
            updated_title=timestamp_title(updated),
            updated_ago=time_ago(updated, self.now),
            created_iso=created.isoformat(),
            created_title=timestamp_title(created),
            created_ago=time_ago(created, self.now),
        )

    def _claim(self, ticket) -> SafeString:
        if ticket.assignee_id or ticket.status == Status.CLOSED:
            return _EMPTY
        return _html(' data-claim-url="{}"', desk_url(ticket.reference, "ticket_claim"))

    def _tags(self, names) -> SafeString:
        if not names:
            return _EMPTY
        links = "".join(_html(TAG, self.tag_url(name), name, name) for name in names)
        return _html('\n<div class="row-tags">{}</div>', mark_safe(links))  # noqa: S308

    def _due(self, due_at: datetime | None) -> SafeString:
        if not due_at:
            return _EMPTY
        due = due_at.astimezone(self.tz)
        iso = due.isoformat()
        overdue = mark_safe(" is-overdue") if due_at <= self.now else _EMPTY  # noqa: S308
        text = countdown_text(due_at, self.now)
        return _html(DUE, overdue, iso, iso, timestamp_title(due), text)

    def _assignee(self, assignee_id: int | None, name: str) -> SafeString | str:
        if assignee_id and assignee_id == self.agent_id:
            return ASSIGNEE_ME
        return (name if assignee_id else "") or UNASSIGNED


@cache
def sla_badge_html(state: str) -> SafeString:
    return sla_badge(state)
