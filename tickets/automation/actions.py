"""Rule actions: what a rule can do, each through the existing service (actor None, the
system), validated when the rule is saved and re-checked when it runs.

Every action returns a short result for the `rule_fired` event; an action the ticket's state
refuses (closing an open ticket, escalating a resolved one) is skipped with the reason, and
the rule's other actions still run.
"""

import importlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.text import slugify

from agents.models import AgentProfile, Team
from tickets.models import (
    PRIORITY_ALIASES,
    Category,
    Priority,
    RuleAction,
    Ticket,
    TicketType,
)

Kind = RuleAction.Kind
User = get_user_model()

MAX_TEXT_LENGTH = 5000
REMINDER_TEMPLATE = "rule_reminder"
MANAGER_TEMPLATE = "agent_notice"


class ActionSkipped(Exception):
    """The action cannot run on this ticket now; the message goes into the event."""


@dataclass
class RunContext:
    """What an action knows about the firing: the rule and the event that triggered it."""

    rule: Any
    trigger_key: str


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


# ---------------------------------------------------------------------------------------------
# Validation: value -> normalised value, or ValidationError
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------


def _reason(run: RunContext, value: str = "") -> str:
    return value or f"Rule {run.rule.name}"


def _category_team_leads(ticket: Ticket):
    """The leads of the teams that handle the ticket's category, first team first: rules on a
    new ticket run before routing gives it its team (tickets.hooks)."""
    if ticket.category_id is None:
        return
    teams = Team.objects.filter(categories=ticket.category_id, lead__isnull=False)
    for team in teams.select_related("lead").order_by("pk"):
        yield team.lead


def _agent_actor(ticket: Ticket):
    """Who sends on the system's behalf when a service needs an agent: the assignee, else the
    team lead, else the lead of a team that handles the ticket's category, else nobody."""
    team_lead = ticket.team.lead if ticket.team_id else None
    # The category's teams are read only when neither the assignee nor the team lead can sign.
    for user in itertools.chain((ticket.assignee, team_lead), _category_team_leads(ticket)):
        if user is not None and user.is_active and hasattr(user, "agent_profile"):
            return user
    return None


def _run_set_priority(ticket, value, run):
    from tickets.services import ticket_change_priority

    ticket_change_priority(ticket=ticket, priority=value, actor=None, reason=_reason(run))
    return value


def _run_set_category(ticket, value, run):
    from tickets.services import ticket_change_category

    category = Category.objects.filter(slug=value).first()
    if category is None:
        raise ActionSkipped(f"category {value!r} no longer exists")
    ticket_change_category(ticket=ticket, category=category, actor=None)
    return value


def _run_set_team(ticket, value, run):
    from tickets.services import ticket_change_team

    team = Team.objects.filter(slug=value).first()
    if team is None:
        raise ActionSkipped(f"team {value!r} no longer exists")
    ticket_change_team(ticket=ticket, team=team, actor=None)
    return value


def _run_set_type(ticket, value, run):
    from tickets.services import ticket_change_type

    ticket_change_type(ticket=ticket, type=value, actor=None)
    return value


def _run_add_tags(ticket, value, run):
    from tickets.services import ticket_set_tags

    current = list(ticket.tags.values_list("name", flat=True))
    ticket_set_tags(ticket=ticket, tags=[*current, *value], actor=None)
    return value


def _run_assign_agent(ticket, value, run):
    from tickets.services import ticket_assign

    agent = User.objects.filter(username=value, is_active=True, agent_profile__isnull=False).first()
    if agent is None:
        raise ActionSkipped(f"agent {value!r} is not an active agent")
    ticket_assign(ticket=ticket, assignee=agent, actor=None, via="rule")
    return value


def _run_send_canned_response(ticket, value, run):
    if not canned_responses_available():
        raise ActionSkipped("canned responses are not available")
    from knowledge.models import CannedResponse
    from knowledge.services import canned_response_send

    response = CannedResponse.objects.filter(slug=value, active=True).first()
    if response is None:
        raise ActionSkipped(f"canned response {value!r} is missing or inactive")
    sender = _agent_actor(ticket)
    if sender is None:
        raise ActionSkipped("no assignee or team lead to send it as")
    canned_response_send(response=response, ticket=ticket, actor=sender)
    return {"response": value, "sent_as": sender.get_username()}


def _run_add_internal_note(ticket, value, run):
    from tickets.services import ticket_add_note

    message = ticket_add_note(ticket=ticket, actor=None, body=value)
    return {"message_id": message.pk}


def _run_escalate(ticket, value, run):
    from tickets.services import ticket_escalate

    ticket_escalate(ticket=ticket, actor=None, reason=_reason(run, value))
    return _reason(run, value)


def _run_notify_manager(ticket, value, run):
    from tickets.notifications import notify

    managers = list(
        User.objects.filter(
            is_active=True, agent_profile__seniority=AgentProfile.Seniority.MANAGER
        ).order_by("pk")
    )
    if not managers:
        raise ActionSkipped("no active manager")
    notify(
        kind="rule_manager_notice",
        recipients=managers,
        ticket=ticket,
        template=MANAGER_TEMPLATE,
        context={
            "headline": f"Rule “{run.rule.name}” needs a manager on {ticket.reference}",
            "text": value
            or f"The automation rule “{run.rule.name}” asked for a manager to look at "
            f"{ticket.reference}.",
        },
        dedupe=[f"rule:{run.rule.pk}", run.trigger_key],
    )
    return [user.get_username() for user in managers]


def _run_fire_webhook(ticket, value, run):
    if not webhooks_available():
        raise ActionSkipped("webhooks are not available")
    from webhooks.models import WebhookSubscription
    from webhooks.services import webhook_send

    subscription = WebhookSubscription.objects.filter(pk=value).first()
    if subscription is None:
        raise ActionSkipped(f"webhook subscription {value} no longer exists")
    webhook_send(
        subscription=subscription,
        event="rule.fired",
        data={
            "rule": {"id": run.rule.pk, "name": run.rule.name},
            "ticket": {"reference": ticket.reference, "id": ticket.pk},
        },
        source_key=f"rule:{run.rule.pk}:ticket:{ticket.pk}:{run.trigger_key}",
        ticket=ticket,
    )
    return value


def _run_remind_customer(ticket, value, run):
    from tickets.notifications import notify

    sent = notify(
        kind="reminder",
        recipients=[ticket.customer],
        ticket=ticket,
        template=REMINDER_TEMPLATE,
        context={"text": value},
        dedupe=[f"rule:{run.rule.pk}", run.trigger_key],
    )
    if not sent:
        raise ActionSkipped("already reminded")
    return ticket.customer.email


def _run_close(ticket, value, run):
    from tickets.services import ticket_close

    ticket_close(ticket=ticket, actor=None, reason=_reason(run, value))
    return "closed"


RUNNERS: dict[str, Callable[[Ticket, Any, RunContext], Any]] = {
    Kind.SET_PRIORITY: _run_set_priority,
    Kind.SET_CATEGORY: _run_set_category,
    Kind.SET_TEAM: _run_set_team,
    Kind.ASSIGN_TEAM: _run_set_team,
    Kind.SET_TYPE: _run_set_type,
    Kind.ADD_TAGS: _run_add_tags,
    Kind.ASSIGN_AGENT: _run_assign_agent,
    Kind.SEND_CANNED_RESPONSE: _run_send_canned_response,
    Kind.ADD_INTERNAL_NOTE: _run_add_internal_note,
    Kind.ESCALATE: _run_escalate,
    Kind.NOTIFY_MANAGER: _run_notify_manager,
    Kind.FIRE_WEBHOOK: _run_fire_webhook,
    Kind.REMIND_CUSTOMER: _run_remind_customer,
    Kind.CLOSE: _run_close,
}
