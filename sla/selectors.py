"""Reads for the SLA engine."""

from collections import defaultdict
from zoneinfo import ZoneInfo

from common.config_cache import ConfigCache
from sla.business_time import Period, Schedule
from sla.models import (
    BusinessCalendar,
    Holiday,
    SlaClock,
    SlaEvent,
    SlaPolicy,
    SlaTarget,
    TicketEscalation,
    WorkingPeriod,
)
from tickets.models import parse_plan_tier


def schedule_for_calendar(calendar: BusinessCalendar) -> Schedule:
    """The `Schedule` value of `calendar`, for `sla.business_time`.

    Two queries (periods, holidays), or none when both were prefetched with
    `prefetch_related("periods", "holidays")`. Country holidays are not loaded here: the
    schedule expands them per year when a computation reaches that year. Raises ValueError
    for a calendar without working periods (its `clean()` refuses that).
    """
    periods: defaultdict[int, list[Period]] = defaultdict(list)
    for period in calendar.periods.all():
        periods[period.weekday].append((period.start, period.end))
    return Schedule(
        tz=ZoneInfo(calendar.timezone),
        periods={weekday: tuple(day) for weekday, day in periods.items()},
        holidays=frozenset(holiday.date for holiday in calendar.holidays.all()),
        holiday_country=calendar.holiday_country,
        holiday_subdivision=calendar.holiday_subdivision,
    )


def schedule_for_policy(policy: SlaPolicy | None) -> Schedule:
    """The policy's calendar as a Schedule; 24/7 when it has none."""
    if policy is None or policy.calendar_id is None:
        return Schedule.always()
    return schedule_for_calendar(policy.calendar)


def _active_policies() -> list[SlaPolicy]:
    return list(
        SlaPolicy.objects.filter(active=True)
        .select_related("calendar")
        .prefetch_related("targets", "calendar__periods", "calendar__holidays")
    )


# Every new ticket and priority change looks its policy up: a per-process copy of the active
# policies with their targets and calendars (common.config_cache), emptied when any of
# them is saved.
active_policies = ConfigCache(
    "sla-policies",
    _active_policies,
    models=[SlaPolicy, SlaTarget, BusinessCalendar, WorkingPeriod, Holiday],
)


def policy_for_ticket(ticket) -> SlaPolicy | None:
    """The most specific active policy: organization and category, then organization, then
    category, then the default (no scope)."""
    organization_id = ticket.customer.organization_id if ticket.customer_id else None
    category_id = ticket.category_id
    candidates = [
        policy
        for policy in active_policies.get()
        if policy.organization_id in (None, organization_id)
        and policy.category_id in (None, category_id)
    ]

    def specificity(policy: SlaPolicy) -> tuple[int, int, int]:
        return (policy.organization_id is not None, policy.category_id is not None, -policy.pk)

    return max(candidates, key=specificity, default=None)


def target_for(policy: SlaPolicy | None, *, priority: str, plan_tier: str) -> SlaTarget | None:
    """The policy's target for this priority and tier; the no-tier row is the fallback for a
    customer without a tier or a tier the policy does not list."""
    if policy is None:
        return None
    plan_tier = parse_plan_tier(plan_tier)
    targets = {(t.priority, t.plan_tier): t for t in policy.targets.all()}
    return targets.get((priority, plan_tier)) or targets.get((priority, ""))


def sla_clocks_for_ticket(ticket) -> list[SlaClock]:
    return list(
        SlaClock.objects.filter(ticket=ticket).select_related("policy").order_by("metric", "cycle")
    )


def sla_timeline_for_ticket(ticket) -> list[SlaEvent]:
    return list(SlaEvent.objects.filter(ticket=ticket).select_related("clock").order_by("at", "id"))


def sla_clocks_for_desk(ticket) -> list[SlaClock]:
    """Every clock of the ticket for the desk's SLA card, first response, next response cycles,
    then resolution, with the policy that applied and its calendar, so business time can be
    measured without further queries.

    One query, plus two (periods, holidays) when a clock's policy runs on a calendar.
    """
    return list(
        SlaClock.objects.filter(ticket=ticket)
        .select_related("policy", "policy__calendar")
        .prefetch_related("policy__calendar__periods", "policy__calendar__holidays")
        .order_by("metric", "cycle")
    )


def active_escalation_for_ticket(ticket) -> TicketEscalation | None:
    """The ticket's newest running (unacknowledged) escalation ladder, or None. One query."""
    return (
        TicketEscalation.objects.filter(ticket=ticket, acknowledged_at__isnull=True)
        .select_related("ladder")
        .order_by("-started_at", "-id")
        .first()
    )
