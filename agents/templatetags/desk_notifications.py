"""The desk bell's unread count, computed only where the bell is rendered (one query)."""

from django import template

from agents.selectors import unread_desk_notification_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_desk_notifications(context) -> int:
    """The signed-in agent's unread desk notifications. A page that already counted them
    passes `desk_unread` in its context, so the bell does not count again."""
    if context.get("desk_unread") is not None:
        return context["desk_unread"]
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return 0
    return unread_desk_notification_count(agent=request.user)
