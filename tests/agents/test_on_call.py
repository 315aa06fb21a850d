"""The on-call rota: shifts, their validation, and who `on_call_agent` picks."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from agents.models import AgentProfile, OnCallShift
from agents.selectors import on_call_agent
from tests.factories import AgentFactory, TeamFactory

NOON = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
ALL = ["low", "medium", "high", "critical"]


def shift(agent, *, start=-2, end=6, priorities=None, team=None, **extra) -> OnCallShift:
    """A shift from `start` to `end` hours around NOON."""
    return OnCallShift.objects.create(
        agent=agent.agent_profile,
        team=team,
        starts_at=NOON + timedelta(hours=start),
        ends_at=NOON + timedelta(hours=end),
        priorities=ALL if priorities is None else priorities,
        **extra,
    )


# ---------------------------------------------------------------------------------------------
# The shift
# ---------------------------------------------------------------------------------------------


def test_priorities_are_validated_and_stored_in_priority_order(agent):
    candidate = OnCallShift(
        agent=agent.agent_profile,
        starts_at=NOON,
        ends_at=NOON + timedelta(hours=8),
        priorities=["Urgent", "low", "critical"],
    )
    candidate.full_clean()
    assert candidate.priorities == ["low", "critical"]


@pytest.mark.parametrize(
    ("priorities", "message"),
    [
        (["high", "sometimes"], "Unknown priority sometimes"),
        ([], "at least one priority"),
        ("high", "list of priorities"),
        ([1], "list of priorities"),
    ],
)
def test_bad_priorities_are_refused_with_a_clear_message(agent, priorities, message):
    candidate = OnCallShift(
        agent=agent.agent_profile,
        starts_at=NOON,
        ends_at=NOON + timedelta(hours=8),
        priorities=priorities,
    )
    with pytest.raises(ValidationError, match=message):
        candidate.full_clean()


def test_a_shift_must_end_after_it_starts(agent):
    candidate = OnCallShift(
        agent=agent.agent_profile, starts_at=NOON, ends_at=NOON, priorities=["low"]
    )
    with pytest.raises(ValidationError, match="must end after it starts"):
        candidate.full_clean()
    with pytest.raises(IntegrityError):
        candidate.save()


# ---------------------------------------------------------------------------------------------
# Who is on call
# ---------------------------------------------------------------------------------------------


def test_nobody_is_on_call_without_shifts(db):
    assert on_call_agent(priority="critical", at=NOON) is None


def test_a_shift_covers_from_its_start_up_to_but_not_including_its_end(agent):
    shift(agent, start=0, end=8)

    assert on_call_agent(priority="high", at=NOON) == agent
    assert on_call_agent(priority="high", at=NOON + timedelta(hours=7, minutes=59)) == agent
    assert on_call_agent(priority="high", at=NOON - timedelta(seconds=1)) is None
    assert on_call_agent(priority="high", at=NOON + timedelta(hours=8)) is None


def test_only_the_covered_priorities_count(agent, other_agent):
    shift(agent, priorities=["high", "critical"])
    shift(other_agent, start=-1, priorities=["low"])

    assert on_call_agent(priority="critical", at=NOON) == agent
    assert on_call_agent(priority="urgent", at=NOON) == agent  # the alias of critical
    assert on_call_agent(priority="low", at=NOON) == other_agent
    assert on_call_agent(priority="medium", at=NOON) is None


def test_offline_agents_are_skipped_and_away_ones_still_count(agent, other_agent):
    shift(agent, start=-3)
    shift(other_agent, start=-1)
    AgentProfile.objects.filter(user=agent).update(status=AgentProfile.Status.OFFLINE)

    assert on_call_agent(priority="low", at=NOON) == other_agent

    AgentProfile.objects.filter(user=other_agent).update(status=AgentProfile.Status.AWAY)
    assert on_call_agent(priority="low", at=NOON) == other_agent

    AgentProfile.objects.filter(user=other_agent).update(status=AgentProfile.Status.OFFLINE)
    assert on_call_agent(priority="low", at=NOON) is None


def test_deactivated_users_are_never_on_call(agent):
    shift(agent)
    agent.is_active = False
    agent.save(update_fields=["is_active"])

    assert on_call_agent(priority="low", at=NOON) is None


def test_the_earliest_starting_shift_wins_deterministically(db):
    later, earlier, same_start = AgentFactory(), AgentFactory(), AgentFactory()
    shift(later, start=-1)
    shift(earlier, start=-4)
    shift(same_start, start=-4)  # created after `earlier`: the older shift wins a tie

    for _ in range(3):
        assert on_call_agent(priority="medium", at=NOON) == earlier


def test_the_teams_own_shift_is_preferred_then_a_shift_for_everyone_then_any(db):
    billing, tech = TeamFactory(), TeamFactory()
    general, billing_agent, tech_agent = AgentFactory(), AgentFactory(), AgentFactory()
    shift(tech_agent, start=-6, team=tech)
    shift(general, start=-5)
    billing_shift = shift(billing_agent, start=-1, team=billing)

    assert on_call_agent(priority="high", at=NOON, team=billing) == billing_agent
    assert on_call_agent(priority="high", at=NOON, team=tech) == tech_agent

    billing_shift.delete()
    assert on_call_agent(priority="high", at=NOON, team=billing) == general

    OnCallShift.objects.filter(team__isnull=True).delete()
    assert on_call_agent(priority="high", at=NOON, team=billing) == tech_agent


def test_without_a_team_a_shift_for_everyone_comes_before_a_team_shift(db):
    team = TeamFactory()
    team_agent, general = AgentFactory(), AgentFactory()
    shift(team_agent, start=-6, team=team)
    shift(general, start=-1)

    assert on_call_agent(priority="low", at=NOON) == general


def test_a_team_shift_that_does_not_cover_the_priority_falls_back(db):
    team = TeamFactory()
    team_agent, general = AgentFactory(), AgentFactory()
    shift(team_agent, team=team, priorities=["low"])
    shift(general, priorities=["critical"])

    assert on_call_agent(priority="critical", at=NOON, team=team) == general
    assert on_call_agent(priority="low", at=NOON, team=team) == team_agent


def test_picking_the_on_call_agent_is_one_query(agent, django_assert_num_queries):
    shift(agent, priorities=["high"])
    shift(AgentFactory(), start=-1, priorities=["low"])

    with django_assert_num_queries(1):
        user = on_call_agent(priority="high", at=NOON)
        assert user.get_username() == agent.get_username()
