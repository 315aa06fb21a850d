"""Rule actions' values: which actions exist here (canned responses and webhooks are optional
apps) and each value checked and normalised when the rule is saved (`validate_action`).
"""

import importlib
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.text import slugify

from agents.models import Team
from tickets.models import (
    PRIORITY_ALIASES,
    Category,
    Priority,
    RuleAction,
    TicketType,
)

Kind = RuleAction.Kind
User = get_user_model()


MAX_TEXT_LENGTH = 5000


def _optional_module(dotted: str):
    try:
        return importlib.import_module(dotted)
    except ImportError:
        return None


def canned_responses_available() -> bool:
    services = _optional_module("knowledge.services")
    models = _optional_module("knowledge.models")
    return bool(
        services
        and models
        and hasattr(services, "canned_response_send")
        and hasattr(models, "CannedResponse")
    )


def webhooks_available() -> bool:
    webhooks = _optional_module("webhooks.services")
    models = _optional_module("webhooks.models")
    return bool(
        webhooks
        and models
        and hasattr(webhooks, "webhook_send")
        and hasattr(models, "WebhookSubscription")
    )


def _text(value: Any, what: str, *, required: bool = True) -> str:
    if value in (None, "") and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError({"value": f"{what} needs a text value."})
    if len(value) > MAX_TEXT_LENGTH:
        raise ValidationError({"value": f"{what}: at most {MAX_TEXT_LENGTH} characters."})
    return value.strip()


def _priority(value: Any) -> str:
    key = _text(value, "Set priority").lower()
    key = PRIORITY_ALIASES.get(key, key)
    if key not in Priority.values:
        raise ValidationError(
            {"value": f"Unknown priority {value!r}; use {', '.join(Priority.values)}."}
        )
    return key


def _category(value: Any) -> str:
    slug = _text(value, "Set category")
    if not Category.objects.filter(slug=slug, active=True).exists():
        raise ValidationError({"value": f"Unknown or inactive category {slug!r}."})
    return slug


def _team(value: Any) -> str:
    slug = _text(value, "Team")
    if not Team.objects.filter(slug=slug).exists():
        raise ValidationError({"value": f"Unknown team {slug!r}."})
    return slug


def _type(value: Any) -> str:
    key = _text(value, "Set type").lower()
    if key not in TicketType.values:
        raise ValidationError(
            {"value": f"Unknown type {value!r}; use {', '.join(TicketType.values)}."}
        )
    return key


def _tags(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ValidationError({"value": 'Add tags needs a list of tag names, e.g. ["refund"].'})
    tags = []
    for name in value:
        tag = slugify(name)[:50]
        if not tag:
            raise ValidationError({"value": f"{name!r} is not a usable tag name."})
        if tag not in tags:
            tags.append(tag)
    return tags


def _agent(value: Any) -> str:
    username = _text(value, "Assign to an agent")
    if not User.objects.filter(
        username=username, is_active=True, agent_profile__isnull=False
    ).exists():
        raise ValidationError({"value": f"Unknown agent {username!r} (give an agent's username)."})
    return username


def _canned(value: Any) -> str:
    if not canned_responses_available():
        raise ValidationError({"kind": "Canned responses are not available."})
    from knowledge.models import CannedResponse

    slug = _text(value, "Send a canned response")
    if not CannedResponse.objects.filter(slug=slug, active=True).exists():
        raise ValidationError({"value": f"Unknown or inactive canned response {slug!r}."})
    return slug


def _webhook(value: Any) -> int:
    if not webhooks_available():
        raise ValidationError({"kind": "Webhooks are not available."})
    from webhooks.models import WebhookSubscription

    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError({"value": "Fire a webhook needs a webhook subscription id."})
    if not WebhookSubscription.objects.filter(pk=value).exists():
        raise ValidationError({"value": f"Unknown webhook subscription {value}."})
    return value


def _optional_text(what: str) -> Callable[[Any], str]:
    return lambda value: _text(value, what, required=False)


VALIDATORS: dict[str, Callable[[Any], Any]] = {
    Kind.SET_PRIORITY: _priority,
    Kind.SET_CATEGORY: _category,
    Kind.SET_TEAM: _team,
    Kind.ASSIGN_TEAM: _team,
    Kind.SET_TYPE: _type,
    Kind.ADD_TAGS: _tags,
    Kind.ASSIGN_AGENT: _agent,
    Kind.SEND_CANNED_RESPONSE: _canned,
    Kind.ADD_INTERNAL_NOTE: lambda value: _text(value, "Add an internal note"),
    Kind.ESCALATE: _optional_text("Escalate"),
    Kind.NOTIFY_MANAGER: _optional_text("Notify the managers"),
    Kind.FIRE_WEBHOOK: _webhook,
    Kind.REMIND_CUSTOMER: _optional_text("Remind the customer"),
    Kind.CLOSE: _optional_text("Close the ticket"),
}


def validate_action(kind: str, value: Any) -> Any:
    """Check one action's value and return it normalised; raise `ValidationError`."""
    validator = VALIDATORS.get(kind)
    if validator is None:
        raise ValidationError({"kind": f"Unknown action {kind!r}."})
    return validator(value)
