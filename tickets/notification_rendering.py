"""Rendering a notification's content once for every channel.

Templates: `templates/emails/<template>_subject.txt`, `<template>.txt` and `<template>.html`
for email; an optional `<template>_short.txt` (a line or two) for the desk and the webhook,
which otherwise use the start of the text body. The `.txt` templates are plain text, rendered
without HTML escaping (`render_plain_text`); the `.html` part is escaped as any page.
"""

from dataclasses import dataclass
from typing import Any

from django.template import Context, Engine, TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.utils.text import Truncator

from tickets.models import Notification, Ticket

SHORT_TEXT_LENGTH = 280


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _template_exists(name: str) -> bool:
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return False
    return True


def render_plain_text(name: str, context: dict[str, Any]) -> str:
    """A plain-text template (email subjects and bodies, desk and webhook text) rendered with
    autoescaping off: `&` stays `&` in a subject or a text body, where HTML entities would
    show as written. What shows these texts in a page escapes them there; HTML email parts
    are rendered with `render_to_string` and stay escaped."""
    return Engine.get_default().get_template(name).render(Context(context, autoescape=False))


@dataclass
class Rendered:
    subject: str
    short: str
    text: str = ""
    html: str = ""


def render_notification(
    template: str, context: dict[str, Any], *, ticket: Ticket | None, email: bool
) -> Rendered:
    base = f"emails/{template}"
    subject = _one_line(render_plain_text(f"{base}_subject.txt", context))
    if ticket is not None:
        subject = f"[{ticket.reference}] {subject}"
    subject = Truncator(subject).chars(Notification._meta.get_field("subject").max_length)
    text = render_plain_text(f"{base}.txt", context)
    if _template_exists(f"{base}_short.txt"):
        short = render_plain_text(f"{base}_short.txt", context).strip()
    else:
        short = Truncator(_one_line(text)).chars(SHORT_TEXT_LENGTH)
    html = render_to_string(f"{base}.html", context) if email else ""
    return Rendered(subject=subject, short=short, text=text, html=html)
