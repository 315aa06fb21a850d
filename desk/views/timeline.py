"""The ticket page's audit timeline: one entry per event, with who did it and what changed."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from agents.permissions import agent_display_name, is_agent
from agents.routing import explain_assignment
from desk.views.labels import _priority_label, _sentiment_label, _status_label
from desk.views.times import time_ago, timestamp_title
from sla.templatetags.sla_tags import sla_duration
from tickets.models import Channel, Ticket, TicketEvent

EVENT_LABELS = dict(TicketEvent.Kind.choices)
VERIFIED_VIA = {
    "reply": "by replying through the emailed link or from the email",
    "signed_in": "by opening the ticket signed in to their account",
}


@dataclass
class When:
    """A moment as the page prints it, computed once in Python rather than by template
    filters on every row: machine-readable, full (the tooltip) and relative."""

    iso: str
    full: str
    relative: str


def when_of(moment: datetime, now: datetime) -> When:
    local = timezone.localtime(moment)
    return When(iso=local.isoformat(), full=timestamp_title(local), relative=time_ago(moment, now))


@dataclass
class TimelineEntry:
    kind: str
    actor: str
    summary: str
    from_value: str
    to_value: str
    detail: str
    created_at: datetime
    when: When | None = None


def _event_actor(ticket: Ticket, event: TicketEvent) -> str:
    actor = event.actor
    if actor is None:
        if event.kind in (
            TicketEvent.Kind.CREATED,
            TicketEvent.Kind.CUSTOMER_REPLIED,
            TicketEvent.Kind.SATISFACTION_RATED,
            TicketEvent.Kind.SENDER_VERIFIED,
        ):
            return ticket.customer.name
        return "System"
    if not is_agent(actor) and ticket.customer.user_id == actor.pk:
        return ticket.customer.name
    return agent_display_name(actor)


def _ladder_level_timing(data: dict) -> str:
    """When an escalation ladder level was due, and how late it fired (a sweep worker that
    was down fires several overdue levels at once)."""
    try:
        due = datetime.fromisoformat(data["due_at"])
        fired = datetime.fromisoformat(data["fired_at"])
    except (KeyError, TypeError, ValueError):
        return ""
    text = f"level {data.get('level')} due {timezone.localtime(due):%a %-d %b %H:%M}"
    late_minutes = (fired - due).total_seconds() / 60
    if late_minutes >= 1:
        text += f", fired {sla_duration(late_minutes)} late"
    return text


def ticket_timeline(ticket: Ticket, events=None) -> list[TimelineEntry]:
    """The audit trail in words: who did what, from what to what, when, and why."""
    kinds = TicketEvent.Kind
    now = timezone.now()
    entries = []
    for event in ticket.events.all() if events is None else events:
        data = event.data or {}
        old, new = event.from_value, event.to_value
        summary = EVENT_LABELS.get(event.kind, event.kind)
        detail = data.get("reason", "")
        match event.kind:
            case kinds.CREATED:
                summary = "filed the ticket"
                old, new = "", ""
                channel = data.get("channel")
                if channel in Channel.values:
                    detail = f"via {Channel(channel).label}"
            case kinds.ASSIGNED:
                if data.get("via") == "claim":
                    summary, old, new = "claimed the ticket", "", ""
                elif not new:
                    summary, new = "unassigned the ticket", "Unassigned"
                else:
                    summary = "assigned the ticket"
                    old = old or "Unassigned"
                    # Routing's assignments say why: strategy and, when scored, the points.
                    detail = explain_assignment(data) or detail
            case kinds.TEAM_CHANGED:
                summary = "changed the team"
                old, new = old or "No team", new or "No team"
            case kinds.STATUS_CHANGED:
                summary = "changed the status"
                old, new = _status_label(old), _status_label(new)
                if data.get("resolution"):
                    detail = f"Resolution: {data['resolution']}"
            case kinds.PRIORITY_CHANGED:
                summary = "changed the priority"
                old, new = _priority_label(old), _priority_label(new)
            case kinds.CATEGORY_CHANGED:
                summary = "changed the category"
                old, new = old or "None", new or "None"
            case kinds.TAGS_CHANGED:
                summary = "changed the tags"
                old, new = "", ""
                parts = []
                if data.get("added"):
                    parts.append("added " + ", ".join(data["added"]))
                if data.get("removed"):
                    parts.append("removed " + ", ".join(data["removed"]))
                detail = "; ".join(parts)
            case kinds.REPLIED:
                summary, old, new = "replied to the customer", "", ""
            case kinds.CUSTOMER_REPLIED:
                summary, old, new = "replied", "", ""
            case kinds.NOTE_ADDED:
                summary, old, new = "added an internal note", "", ""
            case kinds.ESCALATED:
                summary = "escalated the ticket"
                old, new = f"Level {old or 0}", f"Level {new}"
            case kinds.SENTIMENT_CHANGED:
                summary = "recorded the customer's sentiment"
                old, new = _sentiment_label(old), _sentiment_label(new)
                if data.get("source") == "ai":
                    detail = "as the AI classification read it"
            case kinds.AUTO_ANSWERED:
                summary, old, new = "answered automatically", "", ""
            case kinds.AUTO_ANSWER_NOT_HELPFUL:
                summary, old, new = "said the automatic answer did not help", "", ""
            case kinds.SATISFACTION_RATED:
                summary = f"rated the support {new}/5"
                old, new = "", ""
                detail = data.get("comment", "")
            case kinds.SENDER_VERIFIED:
                summary, old, new = "confirmed the email address", "", ""
                detail = VERIFIED_VIA.get(data.get("via"), "")
            case kinds.ATTACHMENT_QUARANTINED:
                summary = f"quarantined the attachment {data.get('filename', new)}"
                old, new = "", ""
                detail = (
                    f"The virus scanner found {data.get('signature', 'a virus')}; "
                    "the file was removed and cannot be downloaded."
                )
            case kinds.MERGED:
                if data.get("into"):
                    summary = f"merged this ticket into {data['into']}"
                else:
                    summary = f"merged {data.get('from', old)} into this ticket"
                old, new = "", ""
                notes = [f"{data.get('messages', 0)} message(s) moved"]
                if data.get("reason"):
                    notes.append(data["reason"])
                detail = "; ".join(notes)
        if timing := _ladder_level_timing(data):
            detail = f"{detail} · {timing}" if detail else timing
        entries.append(
            TimelineEntry(
                kind=event.kind,
                actor=_event_actor(ticket, event),
                summary=summary,
                from_value=old,
                to_value=new,
                detail=str(detail),
                created_at=event.created_at,
                when=when_of(event.created_at, now),
            )
        )
    return entries
