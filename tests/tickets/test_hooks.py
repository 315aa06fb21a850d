"""The lifecycle hook registry: before-hooks adjust or veto inside the transaction,
after-hooks run once the change is committed and see its audit events."""

import pytest

from common.exceptions import ApplicationError
from tickets import hooks
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_change_priority, ticket_create, ticket_escalate

pytestmark = pytest.mark.django_db


@pytest.fixture
def register():
    registered = []

    def _register(kind, verb, hook):
        (hooks.register_before if kind == "before" else hooks.register_after)(verb, hook)
        registered.append((verb, hook))

    yield _register
    for verb, hook in registered:
        hooks.unregister(verb, hook)


def test_before_hook_can_adjust_the_ticket_being_created(register, customer):
    def classify(ctx):
        ctx.ticket.priority = "critical"
        ctx.changes["tags"] = [*ctx.changes["tags"], "data-loss"]

    register("before", "create", classify)
    ticket = ticket_create(customer=customer, subject="All my data is gone", body="Help")
    ticket.refresh_from_db()
    assert ticket.priority == "critical"
    assert list(ticket.tags.values_list("name", flat=True)) == ["data-loss"]
    assert ticket.events.get().data["priority"] == "critical"


def test_before_hook_veto_leaves_nothing_behind(register, customer):
    def veto(ctx):
        raise ApplicationError("Blocked by policy")

    register("before", "create", veto)
    with pytest.raises(ApplicationError, match="Blocked by policy"):
        ticket_create(customer=customer, subject="S", body="B")
    assert Ticket.objects.count() == 0 and TicketEvent.objects.count() == 0


def test_after_hook_runs_on_commit_with_the_events_written(
    register, ticket, agent, django_capture_on_commit_callbacks
):
    seen = []
    register("after", "change_priority", lambda ctx: seen.append([e.kind for e in ctx.events]))
    with django_capture_on_commit_callbacks() as callbacks:
        ticket_change_priority(ticket=ticket, priority="high", actor=agent)
        assert seen == []  # not before the commit
    for callback in callbacks:
        callback()
    assert seen == [["priority_changed"]]


def test_no_op_runs_no_after_hook(register, ticket, agent, django_capture_on_commit_callbacks):
    seen = []
    register("after", "change_priority", lambda ctx: seen.append(ctx))
    with django_capture_on_commit_callbacks(execute=True):
        ticket_change_priority(ticket=ticket, priority="medium", actor=agent)
    assert seen == []


def test_a_failing_after_hook_is_logged_and_the_change_stands(
    register, ticket, agent, django_capture_on_commit_callbacks, caplog
):
    def broken(ctx):
        raise RuntimeError("webhook down")

    register("after", "escalate", broken)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_escalate(ticket=ticket, actor=agent, reason="VIP")
    ticket.refresh_from_db()
    assert ticket.escalation_level == 1
    assert "webhook down" in caplog.text


def test_unknown_verbs_are_refused_at_registration():
    with pytest.raises(ValueError, match="Unknown lifecycle verb"):
        hooks.register_after("explode", lambda ctx: None)


def test_default_hooks_are_installed():
    from tickets import notifications

    assert notifications.on_ticket_created in hooks._after["create"]
    assert notifications.on_agent_replied in hooks._after["reply"]


def _names(hook_list):
    return [f"{hook.__module__}.{hook.__name__}" for hook in hook_list]


def test_each_app_registers_its_hooks_in_stage_order():
    """The hooks of `create` run in the documented order (tickets.hooks.Stage), though each
    app registers its own from its AppConfig.ready()."""
    assert _names(hooks._before["create"]) == ["tickets.classification.classify_new_ticket"]
    assert _names(hooks._in_transaction["create"]) == ["sla.hooks.on_ticket_changed"]
    assert _names(hooks._after["create"]) == [
        "tickets.notifications.on_ticket_created",
        "tickets.services.related.on_ticket_created",
        "webhooks.events.on_ticket_changed",
        "tickets.automation.engine.on_ticket_event",
        "agents.routing.on_ticket_created",
        "tickets.classification.queue_ai_classification",
        "knowledge.autoanswer.answer_new_ticket",
    ]
    assert _names(hooks._after["transition"]) == [
        "sla.hooks.on_ticket_changed",
        "webhooks.events.on_ticket_changed",
        "tickets.automation.engine.on_ticket_event",
        "agents.routing.on_capacity_freed",
        "tickets.surveys.on_ticket_resolved",
    ]


def test_a_hook_runs_by_its_stage_not_by_when_it_was_registered(register):
    def late(ctx):
        pass

    def early(ctx):
        pass

    try:
        hooks.register_after("note", late, stage=hooks.Stage.FOLLOW_UP)
        hooks.register_after("note", early, stage=hooks.Stage.CLASSIFY)
        assert hooks._after["note"][:2] == [early, late]
        # Detached and put back (the demo seeder does this), a hook keeps its stage.
        hooks.unregister("note", early)
        hooks.register_again("note", early, in_transaction=False)
        assert hooks._after["note"][:2] == [early, late]
        # A hook registered without a stage runs after every stage.
        register("after", "note", lambda ctx: None)
        assert hooks._after["note"][-1] not in (early, late)
    finally:
        hooks.unregister("note", early)
        hooks.unregister("note", late)
