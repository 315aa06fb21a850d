"""Lifecycle hooks: the one documented place where features plug into the ticket verbs.

Every verb in `tickets.services` runs, in this order:

1. its own guard (is the change allowed at all?),
2. the before-hooks registered for the verb, inside the transaction, with the ticket row
   locked. A before-hook receives a `HookContext` and may adjust `ctx.changes` (the field
   values about to be written) or veto the change by raising `ApplicationError`;
3. the write and its audit events;
4. the in-transaction hooks registered for the verb, right after the write, in the verb's
   transaction (each in a savepoint of its own): for derived records that must commit with
   the change or not at all (a new ticket's SLA clocks). A failing one is logged and rolled
   back to its savepoint; the change still commits;
5. after commit, the after-hooks registered for the verb, each with the same context
   (`ctx.ticket` as saved, `ctx.events` written). After-hooks queue side effects
   (email, SLA recalculation, routing, webhooks, surveys); a failing after-hook is logged
   and never undoes or blocks the change.

An after-hook registered with `deferred=True` does not run in the request: all the deferred
hooks of one change run, in registration order and after the immediate ones, in ONE
background task (`tickets.tasks.run_deferred_hooks`), queued with the change (its row
commits with it on the database broker; otherwise it is queued on commit), with the context
rebuilt from ids (the ticket, events, message and actor re-read). One queued row instead of
one per side effect keeps a busy verb (a portal ticket) cheap for the customer waiting on
it. Deferred hooks must be module-level functions (the task finds them by dotted path) and
idempotent (a task may run twice).

A verb that changes nothing (a no-op) writes no event and runs no after-hooks.

Each app registers its own hooks in its `AppConfig.ready()` (the core names no feature):
`install_ticket_hooks()` below for the features still inside `tickets`, and the `apps.py` of
`sla`, `agents`, `knowledge` and `webhooks` for theirs. The order of one verb's hooks does
not depend on the order the apps load in: every hook is registered at a `Stage` and runs
after the hooks of lower stages (ties in registration order); a hook registered without a
stage runs last.
"""

import logging
from collections import defaultdict
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from enum import IntEnum
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


class Stage(IntEnum):
    """Where a hook runs among the other hooks of its verb: lower stages first."""

    CLASSIFY = 10  # fills in what the caller left unset, before the reference is computed
    SLA = 20  # the SLA clock: first, so later hooks see the stored SLA state
    NOTIFY = 30  # the customer's email
    RELATED = 40  # related-ticket links
    WEBHOOKS = 50
    RULES = 60  # automation rules: before routing, so a rule's team or priority counts
    ROUTING = 70
    AI_CLASSIFY = 80  # the model classifies what no pattern matched, in the background
    AUTO_ANSWER = 85
    FOLLOW_UP = 90  # what a finished change sets off later (surveys)
    LAST = 100  # the default: after every hook the product installs


_before: dict[str, list[Hook]] = defaultdict(list)
_in_transaction: dict[str, list[Hook]] = defaultdict(list)
_after: dict[str, list[Hook]] = defaultdict(list)
# (verb, hook) pairs whose after-hook runs in the background task. Kept across `unregister`,
# so a hook detached and registered again (the demo seeder) stays deferred.
_deferred: set[tuple[str, Hook]] = set()
# The stage of each (verb, hook), kept across `unregister` like `_deferred`.
_stages: dict[tuple[str, Hook], int] = {}


def _check_verb(verb: str) -> None:
    if verb not in VERBS:
        raise ValueError(f"Unknown lifecycle verb {verb!r}; known verbs: {sorted(VERBS)}")


def _insert(registry: dict[str, list[Hook]], verb: str, hook: Hook, stage: int | None) -> None:
    """Put `hook` among the verb's hooks after every hook of a lower or equal stage."""
    _check_verb(verb)
    if stage is not None:
        _stages[(verb, hook)] = stage
    stage = _stages.setdefault((verb, hook), Stage.LAST)
    hooks = registry[verb]
    if hook in hooks:
        return
    position = next(
        (i for i, other in enumerate(hooks) if _stages.get((verb, other), Stage.LAST) > stage),
        len(hooks),
    )
    hooks.insert(position, hook)


def register_before(verb: str, hook: Hook, *, stage: int | None = None) -> None:
    _insert(_before, verb, hook, stage)


def register_in_transaction(verb: str, hook: Hook, *, stage: int | None = None) -> None:
    _insert(_in_transaction, verb, hook, stage)


def register_after(
    verb: str, hook: Hook, *, stage: int | None = None, deferred: bool = False
) -> None:
    _check_verb(verb)
    if deferred:
        hook_path(hook)  # refuses, now, a hook the background task could not find
        _deferred.add((verb, hook))
    _insert(_after, verb, hook, stage)


def hook_path(hook: Hook) -> str:
    """The dotted path the background task imports a deferred hook by."""
    path = f"{hook.__module__}.{hook.__qualname__}"
    if "<" in path:
        raise ValueError(f"A deferred hook must be a module-level function, not {path}")
    return path


def unregister(verb: str, hook: Hook) -> bool:
    """Detach a hook from a verb; returns whether it ran in the transaction (for
    `register_again`)."""
    in_transaction = hook in _in_transaction[verb]
    for registry in (_before, _in_transaction, _after):
        if hook in registry[verb]:
            registry[verb].remove(hook)
    return in_transaction


def register_again(verb: str, hook: Hook, *, in_transaction: bool) -> None:
    """Put back an after-hook detached by `unregister`, where it ran before (same phase,
    same stage)."""
    if in_transaction:
        register_in_transaction(verb, hook)
    else:
        register_after(verb, hook)


def run_before(ctx: HookContext) -> None:
    for hook in list(_before[ctx.verb]):
        hook(ctx)


def schedule_after(ctx: HookContext) -> None:
    """Run the verb's in-transaction hooks now, then queue its after-hooks to run once the
    surrounding transaction commits: the immediate ones each on commit, then the deferred
    ones together in one queued task (its queue row written in the transaction when the
    broker is this database)."""
    for hook in list(_in_transaction[ctx.verb]):
        _run_in_savepoint(hook, ctx)
    deferred = []
    for hook in list(_after[ctx.verb]):
        if (ctx.verb, hook) in _deferred:
            deferred.append(hook_path(hook))
        else:
            transaction.on_commit(_guarded(hook, ctx))
    if deferred:
        if _queue_rows_commit_with_change():
            _guarded_queue(deferred, ctx, savepoint=True)()
        else:
            transaction.on_commit(_guarded_queue(deferred, ctx))


def _queue_rows_commit_with_change() -> bool:
    """Whether the deferred task's queue row can be written inside the change's transaction:
    with the database broker on this connection (and tasks not run inline), the row commits
    with the change, or not at all, and no worker can see it before the change is visible.
    That saves the request a commit of its own. With Redis, or inline tasks, queue on commit."""
    from django_q.conf import Conf

    return (
        not Conf.SYNC
        and Conf.ORM == transaction.DEFAULT_DB_ALIAS
        and transaction.get_connection().in_atomic_block
    )


def _guarded_queue(
    paths: list[str], ctx: HookContext, *, savepoint: bool = False
) -> Callable[[], None]:
    def run() -> None:
        from django_q.tasks import async_task

        try:
            # In the transaction, a failed insert rolls back to its savepoint only.
            with transaction.atomic() if savepoint else nullcontext():
                async_task("tickets.tasks.run_deferred_hooks", paths, **context_ids(ctx))
        except Exception:
            logger.exception("Queueing the deferred after-hooks for %s failed", ctx.verb)

    return run


def context_ids(ctx: HookContext) -> dict[str, Any]:
    """The context as ids and plain values, for the background task to rebuild it."""
    return {
        "verb": ctx.verb,
        "ticket_id": ctx.ticket.pk,
        "event_ids": [event.pk for event in ctx.events if event is not None],
        "message_id": ctx.message.pk if ctx.message is not None else None,
        "actor_id": getattr(ctx.actor, "pk", None),
        "changes": dict(ctx.changes),
    }


def run_deferred(paths: list[str], ctx: HookContext) -> None:
    """Run deferred hooks by dotted path, each guarded like an immediate after-hook."""
    from django.utils.module_loading import import_string

    for path in paths:
        try:
            hook = import_string(path)
        except ImportError:
            logger.exception("Deferred after-hook %s for %s not found", path, ctx.verb)
            continue
        _guarded(hook, ctx)()


def _run_in_savepoint(hook: Hook, ctx: HookContext) -> None:
    """An in-transaction hook must be atomic itself (its own savepoint): a failure rolls back
    only what it wrote, and is logged (the SLA sweep starts missing clocks later)."""
    try:
        hook(ctx)
    except Exception:
        logger.exception("In-transaction hook %s for %s failed", hook.__qualname__, ctx.verb)


def _guarded(hook: Hook, ctx: HookContext) -> Callable[[], None]:
    def run() -> None:
        try:
            hook(ctx)
        except Exception:
            logger.exception("After-hook %s for %s failed", hook.__qualname__, ctx.verb)

    return run


def install_ticket_hooks() -> None:
    """The hooks of the features that still live inside `tickets`. Called once from
    TicketsConfig.ready(); every other app registers its own from its ready()."""
    from tickets import classification, notifications, surveys
    from tickets.automation import engine as rules
    from tickets.services import related

    # Classification (tickets.classification): category, type, tags and priority the caller
    # left unset, before the reference (which carries the category's prefix) is computed.
    register_before("create", classification.classify_new_ticket, stage=Stage.CLASSIFY)
    # Everything else a new ticket sets off runs in its one background task (deferred), so
    # filing stays cheap for the customer.
    register_after("create", notifications.on_ticket_created, stage=Stage.NOTIFY, deferred=True)
    register_after("reply", notifications.on_agent_replied, stage=Stage.NOTIFY)
    register_after("auto_answer", notifications.on_agent_replied, stage=Stage.NOTIFY)
    # Related tickets (tickets.services.related): same customer's and similar open tickets.
    register_after("create", related.on_ticket_created, stage=Stage.RELATED, deferred=True)
    # Automation rules (tickets.automation): on created, customer replied and status changed.
    for verb in rules.HOOK_VERBS:
        register_after(verb, rules.on_ticket_event, stage=Stage.RULES, deferred=verb == "create")
    # With no matching pattern and the AI on, the model classifies the ticket in a background
    # job queued after commit (knowledge.tasks.ai_classify_ticket), never in the request.
    register_after(
        "create", classification.queue_ai_classification, stage=Stage.AI_CLASSIFY, deferred=True
    )
    # Satisfaction survey and organization health (tickets.surveys): a move to resolved
    # queues its survey (emailed SURVEY_DELAY_MINUTES later) and the organization's refresh.
    register_after("transition", surveys.on_ticket_resolved, stage=Stage.FOLLOW_UP)
