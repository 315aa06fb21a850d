"""Template helpers for the desk's ticket page, where a plain `{% url %}` per form and a
template loop over every agent were a fifth of the page's rendering time."""

from functools import cache, lru_cache
from urllib.parse import quote

from django import template
from django.urls import get_script_prefix, reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@cache
def _url_pattern(name: str, script_prefix: str) -> str:
    return reverse(f"desk:{name}", args=["REF0"]).replace("REF0", "{}")


@register.filter
def desk_url(reference: str, name: str) -> str:
    """`{{ ticket.reference|desk_url:"ticket_reply" }}` gives what `{% url 'desk:ticket_reply'
    ticket.reference %}` gives, for desk URLs whose only argument is a ticket reference; each
    pattern is reversed once per process. The queue's rows call it from Python too."""
    return _url_pattern(name, get_script_prefix()).format(quote(str(reference)))


@register.filter
def assignee_options(choices, me: int) -> SafeString:
    """The assignee select's `<option>`s (`choices` is the view's TicketChoices): the current
    assignee selected, the viewing agent marked "(you)". Escaped by format_html; the same
    agents, assignee and viewer give the same markup, so it is remembered."""
    return _assignee_options(tuple(choices.agents), choices.assignee_id, me)


@lru_cache(maxsize=512)
def _assignee_options(agents: tuple, selected: int | None, me: int) -> SafeString:
    return format_html_join(
        "",
        '<option value="{}"{}>{}{}</option>',
        (
            (
                agent.pk,
                mark_safe(" selected") if agent.pk == selected else "",  # noqa: S308
                agent.name,
                " (you)" if agent.pk == me else "",
            )
            for agent in agents
        ),
    )
