"""Escalation ladders climbing level by level as business time passes, stopping on
acknowledgement, and the escalate button using the same machinery."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from agents.models import OnCallShift
from sla.models import EscalationLadder, EscalationLevel, EscalationStep, TicketEscalation
from sla.services import escalation_acknowledge, escalation_escalate_manually
from sla.tasks import sweep
from tests.factories import AgentFactory, CustomerFactory, TeamFactory
from tickets.models import Notification, Ticket, TicketEvent
from tickets.services import (
    ticket_assign,
    ticket_change_team,
    ticket_create,
    ticket_resolve,
    ticket_transition,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
DEFAULT_LADDER_NAMES = ["SLA at risk", "SLA breached", "Escalate button"]


@pytest.fixture
def team_setup():
    lead = AgentFactory(agent_profile__seniority="team_lead")
    senior = AgentFactory(agent_profile__seniority="senior")
    manager = AgentFactory(agent_profile__seniority="manager")
    agent = AgentFactory()
    team = TeamFactory(lead=lead)
    for user in (lead, senior, agent):
        user.agent_profile.teams.add(team)
    return {"team": team, "lead": lead, "senior": senior, "manager": manager, "agent": agent}


def ladder(trigger, *levels):
    """A ladder for the test, instead of the default ladders."""
    EscalationLadder.objects.filter(name__in=DEFAULT_LADDER_NAMES).update(active=False)
    ladder = EscalationLadder.objects.create(name=f"{trigger} ladder", trigger=trigger)
    for position, fields in enumerate(levels, start=1):
        EscalationLevel.objects.create(ladder=ladder, position=position, **fields)
    return ladder


def breaching_ticket(team_setup, django_capture_on_commit_callbacks):
    """An enterprise critical ticket (15 min first response) filed at T0, assigned."""
    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(
            customer=CustomerFactory(plan_tier="enterprise"),
            subject="Down",
            body="B",
            priority="high",
        )
        ticket_change_team(ticket=ticket, team=team_setup["team"])
        ticket_assign(ticket=ticket, assignee=team_setup["agent"])
    return ticket


def run_sweep_at(moment, django_capture_on_commit_callbacks):
    with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks(execute=True):
        return sweep()


def test_breach_ladder_climbs_level_by_level_and_stops_on_acknowledgement(
    team_setup, django_capture_on_commit_callbacks
):
    ladder(
        "breach",
        {"after_minutes": 0, "notify_assignee": True, "notify_team_lead": True},
        {"after_minutes": 60, "reassign_to": "senior", "raise_priority": True},
        {"after_minutes": 120, "reassign_to": "team_lead", "notify_manager": True},
    )
    ticket = breaching_ticket(team_setup, django_capture_on_commit_callbacks)
    # enterprise high: first response 60 min, so the breach is at T0 + 60.
    run_sweep_at(T0 + timedelta(minutes=61), django_capture_on_commit_callbacks)
    escalation = TicketEscalation.objects.get(ticket=ticket)
    assert escalation.level == 1
    assert escalation.next_fire_at == T0 + timedelta(minutes=120)
    notified = TicketEvent.objects.get(ticket=ticket, kind="escalation_notified")
    assert notified.actor is None and notified.data["level"] == 1
    recipients = set(
        Notification.objects.filter(kind="escalation", channel="desk").values_list(
            "recipient_user", flat=True
        )
    )
    assert recipients == {team_setup["agent"].pk, team_setup["lead"].pk}

    # Nothing more before level 2 is due; running the task twice changes nothing.
    run_sweep_at(T0 + timedelta(minutes=100), django_capture_on_commit_callbacks)
    assert EscalationStep.objects.count() == 1

    run_sweep_at(T0 + timedelta(minutes=121), django_capture_on_commit_callbacks)
    run_sweep_at(T0 + timedelta(minutes=121), django_capture_on_commit_callbacks)
    ticket.refresh_from_db()
    assert ticket.assignee == team_setup["senior"]
    assert ticket.escalation_level == 1 and ticket.priority == "critical"
    assert EscalationStep.objects.count() == 2
    escalated = TicketEvent.objects.get(ticket=ticket, kind="escalated")
    assert "level 2" in escalated.data["reason"]

    escalation_acknowledge(ticket=ticket, actor=team_setup["senior"])
    assert TicketEvent.objects.filter(ticket=ticket, kind="escalation_acknowledged").count() == 1
    run_sweep_at(T0 + timedelta(minutes=500), django_capture_on_commit_callbacks)
    ticket.refresh_from_db()
    assert ticket.assignee == team_setup["senior"]  # level 3 never fired
    assert EscalationStep.objects.count() == 2


def test_a_late_sweep_catches_up_every_due_level_once(
    team_setup, django_capture_on_commit_callbacks
):
    ladder(
        "breach",
        {"after_minutes": 0, "notify_assignee": True},
        {"after_minutes": 30, "reassign_to": "senior"},
        {"after_minutes": 60, "reassign_to": "team_lead"},
    )
    ticket = breaching_ticket(team_setup, django_capture_on_commit_callbacks)
    run_sweep_at(T0 + timedelta(hours=5), django_capture_on_commit_callbacks)
    ticket.refresh_from_db()
    assert ticket.assignee == team_setup["lead"]
    assert list(EscalationStep.objects.values_list("position", flat=True)) == [1, 2, 3]


def test_levels_fired_late_record_when_each_was_due(
    team_setup, django_capture_on_commit_callbacks, client
):
    ladder(
        "breach",
        {"after_minutes": 0, "notify_assignee": True},
        {"after_minutes": 30, "reassign_to": "senior"},
        {"after_minutes": 60, "reassign_to": "team_lead"},
    )
    ticket = breaching_ticket(team_setup, django_capture_on_commit_callbacks)
    # The worker was down: the breach (T0 + 60) and its three levels are handled at T0 + 5h.
    late_sweep = T0 + timedelta(hours=5)
    run_sweep_at(late_sweep, django_capture_on_commit_callbacks)

    breach = T0 + timedelta(minutes=60)
    steps = list(EscalationStep.objects.values_list("position", "due_at", "fired_at"))
    assert steps == [
        (1, breach, late_sweep),
        (2, breach + timedelta(minutes=30), late_sweep),
        (3, breach + timedelta(minutes=60), late_sweep),
    ]
    escalated = TicketEvent.objects.filter(ticket=ticket, kind="escalated").order_by("id")
    assert [event.data["due_at"] for event in escalated] == [
        (breach + timedelta(minutes=30)).isoformat(),
        (breach + timedelta(minutes=60)).isoformat(),
    ]
    client.force_login(team_setup["lead"])
    page = client.get(f"/desk/tickets/{ticket.reference}/").content.decode()
    assert "level 1 due" in page and "fired 4h late" in page
    assert "level 2 due" in page and "fired 3h 30m late" in page
    assert "level 3 due" in page and "fired 3h late" in page


def test_warning_ladder_and_on_call_reassignment(team_setup, django_capture_on_commit_callbacks):
    on_call = AgentFactory()
    OnCallShift.objects.create(
        agent=on_call.agent_profile,
        starts_at=T0,
        ends_at=T0 + timedelta(hours=8),
        priorities=["high", "critical"],
    )
    ladder("warning", {"after_minutes": 0, "reassign_to": "on_call", "notify_on_call": True})
    ticket = breaching_ticket(team_setup, django_capture_on_commit_callbacks)
    run_sweep_at(T0 + timedelta(minutes=46), django_capture_on_commit_callbacks)  # 75 % of 60
    ticket.refresh_from_db()
    assert ticket.assignee == on_call
    assert Notification.objects.filter(recipient_user=on_call, kind="escalation").exists()


def test_ladder_stops_when_the_ticket_is_resolved(team_setup, django_capture_on_commit_callbacks):
    ladder(
        "breach",
        {"after_minutes": 0, "notify_assignee": True},
        {"after_minutes": 60, "reassign_to": "team_lead"},
    )
    ticket = breaching_ticket(team_setup, django_capture_on_commit_callbacks)
    run_sweep_at(T0 + timedelta(minutes=61), django_capture_on_commit_callbacks)
    with (
        time_machine.travel(T0 + timedelta(minutes=70), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        ticket_transition(ticket=ticket, to_status="in_progress", actor=team_setup["agent"])
        ticket_resolve(ticket=ticket, actor=team_setup["agent"], resolution="Fixed")
    run_sweep_at(T0 + timedelta(minutes=200), django_capture_on_commit_callbacks)
    ticket.refresh_from_db()
    assert ticket.assignee == team_setup["agent"]
    assert TicketEscalation.objects.get(ticket=ticket).next_fire_at is None


def test_escalate_button_climbs_the_manual_ladder(team_setup, django_capture_on_commit_callbacks):
    ladder(
        "manual",
        {"after_minutes": 0, "reassign_to": "senior", "notify_team_lead": True},
        {"after_minutes": 60, "reassign_to": "team_lead"},
        {"after_minutes": 120, "reassign_to": "manager"},
    )
    ticket = breaching_ticket(team_setup, django_capture_on_commit_callbacks)
    agent = team_setup["agent"]
    expected = [team_setup["senior"], team_setup["lead"], team_setup["manager"]]
    priorities = ["critical", "critical", "critical"]
    for number, (assignee, priority) in enumerate(zip(expected, priorities, strict=True), 1):
        with django_capture_on_commit_callbacks(execute=True):
            escalation_escalate_manually(ticket=ticket, actor=agent, reason="Customer is furious")
        ticket.refresh_from_db()
        assert ticket.escalation_level == number
        assert ticket.assignee == assignee
        assert ticket.priority == priority
    # Past the ladder's last level the button still escalates, without reassigning.
    escalation_escalate_manually(ticket=ticket, actor=agent, reason="Still furious")
    ticket.refresh_from_db()
    assert ticket.escalation_level == 4 and ticket.assignee == team_setup["manager"]
    assert TicketEvent.objects.filter(ticket=ticket, kind="escalated").count() == 4


def test_escalate_button_without_a_ladder_is_a_plain_escalation(
    team_setup, django_capture_on_commit_callbacks
):
    EscalationLadder.objects.update(active=False)
    ticket = breaching_ticket(team_setup, django_capture_on_commit_callbacks)
    escalation_escalate_manually(ticket=ticket, actor=team_setup["agent"], reason="VIP")
    ticket.refresh_from_db()
    assert (ticket.escalation_level, ticket.priority) == (1, "critical")
    assert ticket.assignee == team_setup["agent"]


def test_escalate_button_needs_a_reason(team_setup, django_capture_on_commit_callbacks):
    from django.core.exceptions import ValidationError

    ticket = breaching_ticket(team_setup, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError):
        escalation_escalate_manually(ticket=ticket, actor=team_setup["agent"], reason=" ")
    assert Ticket.objects.get(pk=ticket.pk).escalation_level == 0


def test_acknowledge_without_a_running_ladder_does_nothing(
    team_setup, django_capture_on_commit_callbacks
):
    ticket = breaching_ticket(team_setup, django_capture_on_commit_callbacks)
    assert escalation_acknowledge(ticket=ticket, actor=team_setup["agent"]) == []
    assert not TicketEvent.objects.filter(kind="escalation_acknowledged").exists()


def test_a_level_must_do_something():
    from django.core.exceptions import ValidationError

    level = EscalationLevel(ladder=EscalationLadder(name="x", trigger="breach"), position=1)
    with pytest.raises(ValidationError, match="must notify"):
        level.clean()


def test_default_ladders_are_installed_and_the_breach_ladder_notifies_at_once(
    team_setup, django_capture_on_commit_callbacks
):
    assert set(EscalationLadder.objects.values_list("trigger", flat=True)) == {
        "warning",
        "breach",
        "manual",
    }
    ticket = breaching_ticket(team_setup, django_capture_on_commit_callbacks)
    run_sweep_at(T0 + timedelta(minutes=61), django_capture_on_commit_callbacks)
    ladders = set(
        TicketEscalation.objects.filter(ticket=ticket).values_list("ladder__name", flat=True)
    )
    assert ladders == {"SLA at risk", "SLA breached"}
    assert Notification.objects.filter(
        recipient_user=team_setup["lead"], kind="escalation", channel="desk"
    ).exists()


@pytest.fixture
def on_call_agent():
    agent = AgentFactory()
    OnCallShift.objects.create(
        agent=agent.agent_profile,
        starts_at=T0,
        ends_at=T0 + timedelta(hours=8),
        priorities=["high", "critical"],
    )
    return agent


def breach_with_the_default_ladders(ticket, django_capture_on_commit_callbacks):
    # enterprise high: first response 60 min; the sweep a minute after the breach.
    run_sweep_at(T0 + timedelta(minutes=61), django_capture_on_commit_callbacks)
    ticket.refresh_from_db()
    return ticket


@pytest.mark.parametrize("assignee_status", ["away", "offline", "unassigned"])
def test_default_breach_ladder_escalates_at_once_and_the_on_call_agent_takes_an_uncovered_ticket(
    team_setup, on_call_agent, django_capture_on_commit_callbacks, assignee_status
):
    if assignee_status == "unassigned":
        # No team either: routing would hand a team's ticket to one of its agents.
        with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks(execute=True):
            ticket = ticket_create(
                customer=CustomerFactory(plan_tier="enterprise"),
                subject="Down",
                body="B",
                priority="high",
            )
    else:
        ticket = breaching_ticket(team_setup, django_capture_on_commit_callbacks)
        team_setup["agent"].agent_profile.status = assignee_status
        team_setup["agent"].agent_profile.save()

    ticket = breach_with_the_default_ladders(ticket, django_capture_on_commit_callbacks)

    assert ticket.escalation_level == 1
    assert ticket.priority == "high"  # escalated, not raised: the matrix keeps its tiers
    assert ticket.assignee == on_call_agent
    escalated = TicketEvent.objects.get(ticket=ticket, kind="escalated")
    assert escalated.data["ladder"] == "SLA breached" and escalated.data["level"] == 1
    assert Notification.objects.filter(recipient_user=on_call_agent, kind="escalation").exists()


def test_default_breach_ladder_keeps_an_assignee_who_is_at_work(
    team_setup, on_call_agent, django_capture_on_commit_callbacks
):
    ticket = breaching_ticket(team_setup, django_capture_on_commit_callbacks)
    ticket = breach_with_the_default_ladders(ticket, django_capture_on_commit_callbacks)

    assert ticket.escalation_level == 1
    assert ticket.assignee == team_setup["agent"]
    step = EscalationStep.objects.get(escalation__ladder__name="SLA breached", position=1)
    assert (
        "reassigned_to" not in step.actions and "is available" in step.actions["reassign_skipped"]
    )
    # The assignee and the on-call agent are both told.
    for person in (team_setup["agent"], on_call_agent):
        assert Notification.objects.filter(recipient_user=person, kind="escalation").exists()


def test_the_migration_upgrades_an_installed_breach_ladder_but_not_one_an_admin_changed():
    from sla.defaults import (
        BREACH_FIRST_LEVEL,
        first_installed_ladders,
        install_default_ladders,
        upgrade_breach_ladder,
    )

    EscalationLadder.objects.filter(name__in=DEFAULT_LADDER_NAMES).delete()
    install_default_ladders(EscalationLadder, EscalationLevel, ladders=first_installed_ladders())
    first = EscalationLevel.objects.get(ladder__name="SLA breached", position=1)
    assert not first.escalate and not first.reassign_to  # as 0005 installed it

    upgrade_breach_ladder(EscalationLadder, EscalationLevel)

    first.refresh_from_db()
    assert {field: getattr(first, field) for field in BREACH_FIRST_LEVEL} == BREACH_FIRST_LEVEL
    # A level an admin changed stays theirs.
    EscalationLevel.objects.filter(pk=first.pk).update(
        escalate=False,
        reassign_to="",
        reassign_only_if_uncovered=False,
        notify_on_call=False,
        after_minutes=5,
    )
    upgrade_breach_ladder(EscalationLadder, EscalationLevel)
    first.refresh_from_db()
    assert (first.after_minutes, first.escalate) == (5, False)
