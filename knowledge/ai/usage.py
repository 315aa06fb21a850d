"""The daily AI usage job (seed 002 `ai-usage-monitor`): yesterday's calls, tokens and spend
in one row, and an anomaly flag when the day looks wrong.

A day is an anomaly when its spend is more than three times the average of the seven days
before it (and at least $1, so pennies never alarm anyone), or when at least half of ten or
more calls failed (the provider is down or rejecting us). Admins and managers are notified
once per anomalous day.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone

from knowledge.ai.service import budget_alert_recipients
from knowledge.models import AIInteraction, AIUsageDay

SPIKE_FACTOR = Decimal(3)
SPIKE_MINIMUM_USD = Decimal(1)
FAILURE_RATE = 0.5
FAILURE_MINIMUM_CALLS = 10
TRAILING_DAYS = 7


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.combine(day, time.min, tzinfo=tz)
    return start, start + timedelta(days=1)


def _anomaly_reason(day: date, calls: int, failed: int, cost: Decimal) -> str:
    trailing = AIUsageDay.objects.filter(
        date__gte=day - timedelta(days=TRAILING_DAYS), date__lt=day
    ).aggregate(total=Sum("cost_usd"), days=Count("id"))
    if trailing["days"]:
        average = (trailing["total"] or Decimal(0)) / trailing["days"]
        if cost >= SPIKE_MINIMUM_USD and cost > average * SPIKE_FACTOR:
            return f"Spend ${cost:.2f} is more than 3× the 7-day average of ${average:.2f}."
    if calls >= FAILURE_MINIMUM_CALLS and failed / calls >= FAILURE_RATE:
        return f"{failed} of {calls} model calls failed."
    return ""


def ai_usage_aggregate_day(*, day: date) -> AIUsageDay | None:
    """Aggregate one day into its AIUsageDay row; None when the row exists already."""
    if AIUsageDay.objects.filter(date=day).exists():
        return None
    start, end = _day_bounds(day)
    totals = AIInteraction.objects.filter(created_at__gte=start, created_at__lt=end).aggregate(
        calls=Count("id"),
        failed=Count("id", filter=Q(outcome=AIInteraction.Outcome.FAILED)),
        input_tokens=Sum("input_tokens"),
        output_tokens=Sum("output_tokens"),
        cost=Sum("cost_usd"),
    )
    calls, failed = totals["calls"], totals["failed"]
    cost = totals["cost"] or Decimal(0)
    reason = _anomaly_reason(day, calls, failed, cost)
    try:
        with transaction.atomic():
            usage = AIUsageDay.objects.create(
                date=day,
                calls=calls,
                failed=failed,
                input_tokens=totals["input_tokens"] or 0,
                output_tokens=totals["output_tokens"] or 0,
                cost_usd=cost,
                anomaly=bool(reason),
                anomaly_reason=reason,
            )
            if reason:
                from tickets.notifications import notify

                notify(
                    kind="ai_anomaly",
                    recipients=budget_alert_recipients(),
                    template="agent_notice",
                    context={"headline": f"Unusual AI use on {day:%a %d %b}", "text": reason},
                    dedupe=[day.isoformat()],
                    link=reverse("admin:knowledge_aiusageday_changelist"),
                )
    except IntegrityError:  # another run made it first
        return None
    return usage


def ai_usage_daily(*, today: date | None = None) -> AIUsageDay | None:
    """Aggregate yesterday (run once a day; safe to run again)."""
    today = today or timezone.localdate()
    return ai_usage_aggregate_day(day=today - timedelta(days=1))
