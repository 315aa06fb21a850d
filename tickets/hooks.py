"""Lifecycle hooks: the one documented place where features plug into the ticket verbs.

Every verb in `tickets.services` runs, in this order:

1. its own guard (is the change allowed at all?),
2. the before-hooks registered for the verb, inside the transaction, with the ticket row
   locked. A before-hook receives a `HookContext` and may adjust `ctx.changes` (the field
   values about to be written) or veto the change by raising `ApplicationError`;
3. the write and its audit events;
4. after commit, the after-hooks registered for the verb, each with the same context
   (`ctx.ticket` as saved, `ctx.events` written). After-hooks queue side effects
   (email, SLA recalculation, routing, webhooks, surveys); a failing after-hook is logged
   and never undoes or blocks the change.

A verb that changes nothing (a no-op) writes no event and runs no after-hooks.

Registrations live in `install_default_hooks()`, so the full list is readable in one place.
"""

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)

VERBS = frozenset(
    {
        "create",
        "assign",
        "change_team",
        "transition",
        "change_priority",
        "change_category",
        "change_type",
        "change_tags",
        "reply",
        "note",
        "customer_reply",
        "escalate",
        "auto_answer",
    }
)


@dataclass
class HookContext:
    verb: str
    ticket: Any
    actor: Any = None
    changes: dict[str, Any] = field(default_factory=dict)
    events: list[Any] = field(default_factory=list)
    message: Any = None


Hook = Callable[[HookContext], None]

# The verbs whose events can start, pause, resume, meet or recompute an SLA clock.
SLA_VERBS = ("create", "transition", "reply", "customer_reply", "change_priority", "escalate")

_before: dict[str, list[Hook]] = defaultdict(list)
_after: dict[str, list[Hook]] = defaultdict(list)


def _check_verb(verb: str) -> None:
    if verb not in VERBS:
        raise ValueError(f"Unknown lifecycle verb {verb!r}; known verbs: {sorted(VERBS)}")


def register_before(verb: str, hook: Hook) -> None:
    _check_verb(verb)
    if hook not in _before[verb]:
        _before[verb].append(hook)


def register_after(verb: str, hook: Hook) -> None:
    _check_verb(verb)
    if hook not in _after[verb]:
        _after[verb].append(hook)


def unregister(verb: str, hook: Hook) -> None:
    for registry in (_before, _after):
        if hook in registry[verb]:
            registry[verb].remove(hook)


def run_before(ctx: HookContext) -> None:
    for hook in list(_before[ctx.verb]):
        hook(ctx)


def schedule_after(ctx: HookContext) -> None:
    """Queue the verb's after-hooks to run once the surrounding transaction commits."""
    for hook in list(_after[ctx.verb]):
        transaction.on_commit(_guarded(hook, ctx))


def _guarded(hook: Hook, ctx: HookContext) -> Callable[[], None]:
    def run() -> None:
        try:
            hook(ctx)
        except Exception:
            logger.exception("After-hook %s for %s failed", hook.__qualname__, ctx.verb)

    return run


def install_default_hooks() -> None:
    """Every hook the product installs, in one list. Called once from TicketsConfig.ready()."""
    from agents import routing
    from helpdesk import webhooks
    from knowledge import autoanswer
    from sla import hooks as sla_hooks
    from tickets import classification, notifications
    from tickets.automation import engine as rules
    from tickets.services import related

    # Classification (tickets.classification): category, type, tags and priority the caller
    # left unset, before the reference (which carries the category's prefix) is computed.
    register_before("create", classification.classify_new_ticket)
    # The SLA clock follows every verb whose events can start, pause, resume, meet or
    # recompute it. It runs first so later hooks see the stored SLA state.
    for verb in SLA_VERBS:
        register_after(verb, sla_hooks.on_ticket_changed)
    register_after("create", notifications.on_ticket_created)
    # Related tickets (tickets.services.related): same customer's and similar open tickets.
    register_after("create", related.on_ticket_created)
    register_after("reply", notifications.on_agent_replied)
    # Outbound webhooks (helpdesk.webhooks): created, assigned, escalated, resolved, and
    # public messages. Internal notes are never sent.
    for verb in webhooks.HOOK_VERBS:
        register_after(verb, webhooks.on_ticket_changed)
    # Automation rules (tickets.automation): on created, customer replied and status changed.
    # Before routing, so a rule that sets the team or priority is seen by the router.
    for verb in rules.HOOK_VERBS:
        register_after(verb, rules.on_ticket_event)
    # Routing: a new ticket finds its team and agent; an agent who loses a ticket (reassigned,
    # resolved, closed) gets waiting tickets of their teams.
    register_after("create", routing.on_ticket_created)
    register_after("assign", routing.on_capacity_freed)
    register_after("transition", routing.on_capacity_freed)
    # Last: with no matching pattern and the AI on, the model classifies the ticket in a
    # background job queued after commit (knowledge.tasks.ai_classify_ticket), never in the
    # customer's request.
    register_after("create", classification.queue_ai_classification)
    # The auto-response cascade (knowledge.autoanswer) runs in a background job queued after
    # commit; the customer is told of an automatic answer like of an agent's reply.
    register_after("create", autoanswer.queue_auto_answer)
    register_after("auto_answer", notifications.on_agent_replied)
