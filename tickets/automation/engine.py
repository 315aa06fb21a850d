"""Running the rules: which rules a lifecycle event triggers, and firing them.

`rules_run(ticket=…, trigger=…, trigger_key=…)` evaluates the active rules of one trigger in
`position` order against the ticket as it is now. A rule whose conditions match runs its
actions in order through the ticket services (actor None, the system) and writes ONE
`rule_fired` event naming the rule and what each action did. `stop_processing` ends the run.

Loops are guarded twice:

- while rules run, a context variable makes the after-hooks of the actions' own changes
  (a status change by `close`, say) skip the engine;
- each `rule_fired` event lists the events its actions wrote (`caused_event_ids`); an
  after-hook whose events were all caused by a rule does not evaluate rules, wherever and
  whenever it runs (the on-commit callbacks may run after the context variable is reset).

A rule fires at most once per ticket and triggering event (`trigger_key`: the id of the
created, customer_replied or status_changed event, or the status entry for hourly rules):
the check runs with the ticket row locked, so two workers cannot both fire it.
"""

import contextvars
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from common.config_cache import ConfigCache
from common.exceptions import ApplicationError
from tickets.automation.actions import RUNNERS, ActionSkipped, RunContext
from tickets.automation.conditions import TicketFacts, rule_matches
from tickets.hooks import HookContext
from tickets.models import Rule, RuleAction, RuleCondition, Ticket, TicketEvent
from tickets.services._common import lock_ticket, record_event

logger = logging.getLogger(__name__)

Trigger = Rule.Trigger

_running: contextvars.ContextVar[bool] = contextvars.ContextVar("rules_running", default=False)


@contextmanager
def rules_guard() -> Iterator[None]:
    """Mark the code inside as performed by rules: rule hooks triggered meanwhile do nothing."""
    token = _running.set(True)
    try:
        yield
    finally:
        _running.reset(token)


def rules_running() -> bool:
    return _running.get()


@dataclass
class Firing:
    rule: Rule
    event: TicketEvent
    actions: list[dict[str, Any]] = field(default_factory=list)


def _read_active_rules() -> dict[str, list[Rule]]:
    by_trigger: dict[str, list[Rule]] = {}
    rules = (
        Rule.objects.filter(active=True)
        .prefetch_related("conditions", "actions")
        .order_by("position", "id")
    )
    for rule in rules:
        by_trigger.setdefault(rule.trigger, []).append(rule)
    return by_trigger


# Every ticket event asks for the active rules of its trigger: a per-process copy
# (common.config_cache), emptied at once by a save in the same process.
_active_rules = ConfigCache(
    "automation-rules", _read_active_rules, models=[Rule, RuleCondition, RuleAction]
)


def active_rules(trigger: str) -> list[Rule]:
    """The active rules of `trigger` in order, with their conditions and actions. Shared by
    the process: read, never change."""
    return _active_rules.get().get(trigger, [])


def rules_run(
    *,
    ticket: Ticket | int,
    trigger: str,
    trigger_key: str,
    rules: list[Rule] | None = None,
    entered_at=None,
) -> list[Firing]:
    """Evaluate the trigger's rules on the ticket; return the rules that fired.

    Does nothing when called from inside rule actions (the loop guard).
    """
    if rules_running():
        return []
    pk = ticket.pk if isinstance(ticket, Ticket) else ticket
    rules = active_rules(trigger) if rules is None else rules
    fired: list[Firing] = []
    with rules_guard():
        for rule in rules:
            firing = rule_fire_if_matching(
                rule=rule, ticket_id=pk, trigger_key=trigger_key, entered_at=entered_at
            )
            if firing is None:
                continue
            fired.append(firing)
            if rule.stop_processing:
                break
    return fired


def already_fired(*, rule: Rule, ticket_id: int, trigger_key: str) -> bool:
    return TicketEvent.objects.filter(
        ticket_id=ticket_id,
        kind=TicketEvent.Kind.RULE_FIRED,
        data__rule_id=rule.pk,
        data__trigger_key=trigger_key,
    ).exists()


@transaction.atomic
def rule_fire_if_matching(
    *, rule: Rule, ticket_id: int, trigger_key: str, entered_at=None
) -> Firing | None:
    """Lock the ticket, and unless this rule already fired for this trigger, check its
    conditions on the current ticket and run its actions. Writes one `rule_fired` event."""
    lock_ticket(ticket_id)
    if already_fired(rule=rule, ticket_id=ticket_id, trigger_key=trigger_key):
        return None
    ticket = Ticket.objects.select_related("customer", "category", "team__lead", "assignee").get(
        pk=ticket_id
    )
    if not rule_matches(rule, TicketFacts(ticket, entered_at=entered_at)):
        return None
    last_event_id = ticket.events.order_by("-pk").values_list("pk", flat=True).first() or 0
    run = RunContext(rule=rule, trigger_key=trigger_key)
    results = []
    for action in rule.actions.all():
        results.append(_run_action(action, ticket_id, run))
    caused = list(
        TicketEvent.objects.filter(ticket_id=ticket_id, pk__gt=last_event_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    event = record_event(
        Ticket(pk=ticket_id),
        TicketEvent.Kind.RULE_FIRED,
        actor=None,
        to_value=rule.name,
        data={
            "rule_id": rule.pk,
            "rule": rule.name,
            "trigger": rule.trigger,
            "trigger_key": trigger_key,
            "actions": results,
            "caused_event_ids": caused,
        },
    )
    logger.info("Rule %s fired on ticket %s", rule.name, ticket_id)
    return Firing(rule=rule, event=event, actions=results)


def _run_action(action, ticket_id: int, run: RunContext) -> dict[str, Any]:
    result: dict[str, Any] = {"kind": action.kind}
    # Each action re-reads the ticket: the previous action may have changed it.
    ticket = Ticket.objects.select_related("customer", "team__lead", "assignee").get(pk=ticket_id)
    try:
        with transaction.atomic():
            outcome = RUNNERS[action.kind](ticket, action.value, run)
    except ActionSkipped as exc:
        result["skipped"] = str(exc)
    except ApplicationError as exc:
        result["skipped"] = exc.message
    except ValidationError as exc:
        result["skipped"] = " ".join(exc.messages)
    else:
        result["done"] = outcome
    return result


# ---------------------------------------------------------------------------------------------
# The after-hooks
# ---------------------------------------------------------------------------------------------


def caused_by_rules(ctx: HookContext) -> bool:
    """Whether every event of this change was written by a rule's actions."""
    ids = {event.pk for event in ctx.events if event is not None}
    if not ids:
        return False
    caused: set[int] = set()
    for data in TicketEvent.objects.filter(
        ticket_id=ctx.ticket.pk, kind=TicketEvent.Kind.RULE_FIRED, pk__gt=min(ids)
    ).values_list("data", flat=True):
        caused.update(data.get("caused_event_ids", []))
    return ids <= caused


def _status_changes(ctx: HookContext) -> list[TicketEvent]:
    return [e for e in ctx.events if e is not None and e.kind == TicketEvent.Kind.STATUS_CHANGED]


def on_ticket_event(ctx: HookContext) -> None:
    """After-hook for create, customer_reply, transition and reply: run the rules of the
    trigger(s) the change stands for."""
    if rules_running() or caused_by_rules(ctx):
        return
    if ctx.verb == "create":
        created = next(e for e in ctx.events if e.kind == TicketEvent.Kind.CREATED)
        rules_run(ticket=ctx.ticket, trigger=Trigger.TICKET_CREATED, trigger_key=f"e{created.pk}")
    if ctx.verb == "customer_reply":
        replied = next(e for e in ctx.events if e.kind == TicketEvent.Kind.CUSTOMER_REPLIED)
        rules_run(ticket=ctx.ticket, trigger=Trigger.CUSTOMER_REPLIED, trigger_key=f"e{replied.pk}")
    for change in _status_changes(ctx):
        rules_run(ticket=ctx.ticket, trigger=Trigger.STATUS_CHANGED, trigger_key=f"e{change.pk}")


HOOK_VERBS = ("create", "customer_reply", "transition", "reply")
