"""The daily AI usage job: one row per day, anomalies flagged once and notified."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from knowledge.ai.usage import ai_usage_aggregate_day, ai_usage_daily
from knowledge.models import AIInteraction, AIUsageDay
from tests.factories import AgentFactory
from tickets.models import Notification

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 10)


def log_calls(day, *, count, cost="0.01", outcome="sent"):
    with time_machine.travel(
        timezone.make_aware(timezone.datetime(day.year, day.month, day.day, 12)), tick=False
    ):
        for _ in range(count):
            AIInteraction.objects.create(
                purpose="classify",
                model="gpt-4o-mini",
                prompt="p",
                response="r",
                latency_ms=100,
                input_tokens=100,
                output_tokens=20,
                cost_usd=Decimal(cost),
                outcome=outcome,
            )


def test_a_day_is_aggregated_once():
    log_calls(DAY, count=3, cost="0.02")
    log_calls(DAY, count=1, cost="0", outcome="failed")
    log_calls(DAY + timedelta(days=1), count=5)  # another day: not counted
    usage = ai_usage_aggregate_day(day=DAY)
    assert (usage.calls, usage.failed, usage.input_tokens, usage.output_tokens) == (4, 1, 400, 80)
    assert usage.cost_usd == Decimal("0.06")
    assert not usage.anomaly
    assert ai_usage_aggregate_day(day=DAY) is None
    assert AIUsageDay.objects.count() == 1


def test_a_spend_spike_is_flagged_and_admins_are_told_once():
    manager = AgentFactory(agent_profile__seniority="manager")
    for offset in range(1, 8):
        AIUsageDay.objects.create(
            date=DAY - timedelta(days=offset), calls=10, cost_usd=Decimal("0.50")
        )
    log_calls(DAY, count=4, cost="1.00")  # $4.00 against a $0.50 average
    usage = ai_usage_aggregate_day(day=DAY)
    assert usage.anomaly and "3× the 7-day average" in usage.anomaly_reason
    notices = Notification.objects.filter(kind="ai_anomaly", recipient_user=manager)
    assert notices.filter(channel="desk").count() == 1


def test_small_spend_never_alarms():
    AIUsageDay.objects.create(date=DAY - timedelta(days=1), calls=1, cost_usd=Decimal("0.01"))
    log_calls(DAY, count=5, cost="0.10")  # 50× the average but only $0.50
    assert not ai_usage_aggregate_day(day=DAY).anomaly


def test_mostly_failing_calls_are_flagged():
    log_calls(DAY, count=6, cost="0", outcome="failed")
    log_calls(DAY, count=4)
    usage = ai_usage_aggregate_day(day=DAY)
    assert usage.anomaly and usage.anomaly_reason == "6 of 10 model calls failed."


def test_the_daily_job_aggregates_yesterday():
    log_calls(DAY, count=2)
    assert ai_usage_daily(today=DAY + timedelta(days=1)).calls == 2
    assert ai_usage_daily(today=DAY + timedelta(days=1)) is None
