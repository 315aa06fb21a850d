"""How the desk writes SLA times: `{% load sla_tags %}`.

- `{{ minutes|sla_duration }}`: 37 -> "37m", 190 -> "3h 10m", 1740 -> "1d 5h" (business
  time: `sla_duration(1740, in_days=False)` -> "29h").
- `{{ ticket.sla_due_at|sla_countdown:now }}`: "in 42m", "3h 10m overdue", "due now". Wall
  time, cheap enough for every row of a list; static/js/desk.js keeps it ticking in the
  browser with the same wording (elements carrying `data-deadline`; `data-countdown="left"`
  for the "42m left" style).
- `{% sla_badge state %}`: the state as a badge that reads the same without colour.
"""

import math
from datetime import datetime

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from tickets.models import SlaState

register = template.Library()

# A glyph per state, so the badges differ by shape as well as by colour.
STATE_GLYPHS = {
    SlaState.ON_TRACK: "●",
    SlaState.AT_RISK: "▲",
    SlaState.BREACHED: "✕",
    SlaState.PAUSED: "❚❚",
    SlaState.MET: "✓",
}


@register.filter
def sla_duration(minutes: float | None, in_days: bool = True) -> str:
    """Whole minutes, rounded down, in at most two units. Business time passes `in_days=False`:
    1,440 business minutes are "24h", not "1d", which would read as one working day."""
    if minutes is None:
        return ""
    total = max(0, math.floor(minutes))
    days, rest = divmod(total, 1440) if in_days else (0, total)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {mins}m" if mins else f"{hours}h"
    return f"{mins}m"


def countdown_text(deadline: datetime, now: datetime, *, style: str = "in") -> str:
    """Wall time until `deadline` ("in 42m", or "42m left" in the "left" style), or how long
    ago it passed ("3h 10m overdue"). desk.js writes the same words."""
    seconds = (deadline - now).total_seconds()
    if abs(seconds) < 60:
        return "due now"
    if seconds < 0:
        return f"{sla_duration(-seconds / 60)} overdue"
    if style == "left":
        return f"{sla_duration(seconds / 60)} left"
    return f"in {sla_duration(seconds / 60)}"


@register.filter
def sla_countdown(deadline: datetime | None, now: datetime) -> str:
    """Time left until `deadline`, or how long ago it passed, in wall time."""
    if deadline is None or now is None:
        return ""
    return countdown_text(deadline, now)


@register.simple_tag
def sla_badge(state: str) -> str:
    if state not in SlaState.values or state == SlaState.NONE:
        return mark_safe('<span class="badge sla-badge sla-none">No SLA</span>')  # noqa: S308
    return format_html(
        '<span class="badge sla-badge sla-{}"><span class="sla-glyph" aria-hidden="true">{}'
        "</span> {}</span>",
        state,
        STATE_GLYPHS[SlaState(state)],
        SlaState(state).label,
    )
