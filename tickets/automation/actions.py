"""Rule actions: what a rule can do, each through the existing service (actor None, the
system), validated when the rule is saved and re-checked when it runs.

Every action returns a short result for the `rule_fired` event; an action the ticket's state
refuses (closing an open ticket, escalating a resolved one) is skipped with the reason, and
the rule's other actions still run.

An action's value is checked by `tickets.automation.action_values`.
"""

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model

from agents.models import AgentProfile, Team
from tickets.automation.action_values import canned_responses_available, webhooks_available
from tickets.models import (
    Category,
    RuleAction,
    Ticket,
)

Kind = RuleAction.Kind
User = get_user_model()


REMINDER_TEMPLATE = "rule_reminder"
MANAGER_TEMPLATE = "agent_notice"


class ActionSkipped(Exception):
    """The action cannot run on this ticket now; the message goes into the event."""


@dataclass
class RunContext:
    """What an action knows about the firing: the rule and the event that triggered it."""

    rule: Any
    trigger_key: str


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
