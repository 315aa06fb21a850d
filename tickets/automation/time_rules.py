"""Time-based rules (trigger hourly): "waiting on customer for 3 days → remind", "resolved
for 7 days → close".

`time_rules_run()` is called by the hourly task. For each active hourly rule it selects the
candidate tickets in the database — the statuses the rule's conditions allow (never closed),
and, when every condition must hold, only tickets that entered their status long enough ago —
then evaluates the rule on each. A rule fires at most once per ticket and status entry
(`trigger_key` = status and the time it was entered), so running the job twice, or every hour
for a week, fires each rule once per stay in that status.
"""

import logging
from datetime import timedelta

from django.db.models import Exists, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from tickets.automation.engine import rules_run
from tickets.models import OPEN_STATUSES, Rule, RuleCondition, Status, Ticket, TicketEvent

logger = logging.getLogger(__name__)

Field = RuleCondition.Field
Op = RuleCondition.Operator

# A generous bound per rule and run; a backlog is worked through over the next runs.
BATCH = 2000
CANDIDATE_STATUSES = [*OPEN_STATUSES, Status.RESOLVED]


def with_status_entered_at(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    latest_change = (
        TicketEvent.objects.filter(ticket=OuterRef("pk"), kind=TicketEvent.Kind.STATUS_CHANGED)
        .order_by("-created_at", "-id")
        .values("created_at")[:1]
    )
    return queryset.annotate(status_entered_at=Coalesce(Subquery(latest_change), F("created_at")))


def candidate_tickets(rule: Rule, *, now) -> QuerySet[Ticket]:
    """The tickets an hourly rule could match, narrowed in the database where the rule's
    conditions allow it."""
    statuses = set(CANDIDATE_STATUSES)
    queryset = Ticket.objects.all()
    min_hours = None
    if rule.match == Rule.Match.ALL:
        for condition in rule.conditions.all():
            if condition.field == Field.STATUS:
                if condition.operator == Op.EQUALS:
                    statuses &= {condition.value}
                elif condition.operator == Op.IN:
                    statuses &= set(condition.value)
                elif condition.operator == Op.NOT_EQUALS:
                    statuses -= {condition.value}
            elif condition.field == Field.HOURS_IN_STATUS and condition.operator in (Op.GT, Op.GTE):
                min_hours = max(min_hours or 0, condition.value)
    queryset = queryset.filter(status__in=sorted(statuses))
    queryset = with_status_entered_at(queryset)
    if min_hours is not None:
        cutoff = now - timedelta(hours=min_hours)
        # A ticket entered its status after it was created: this narrows on an index first.
        queryset = queryset.filter(created_at__lte=cutoff, status_entered_at__lte=cutoff)
    # Tickets this rule already fired on during their current stay need no second look.
    fired_this_stay = TicketEvent.objects.filter(
        ticket=OuterRef("pk"),
        kind=TicketEvent.Kind.RULE_FIRED,
        data__rule_id=rule.pk,
        created_at__gte=OuterRef("status_entered_at"),
    )
    queryset = queryset.filter(~Exists(fired_this_stay))
    return queryset.order_by("status_entered_at", "pk")


def time_rules_run(*, now=None) -> int:
    """Evaluate every active hourly rule on its candidate tickets. Returns how many times a
    rule fired. Safe to run twice: each rule fires once per ticket and status entry."""
    now = now or timezone.now()
    rules = list(
        Rule.objects.filter(active=True, trigger=Rule.Trigger.HOURLY)
        .prefetch_related("conditions", "actions")
        .order_by("position", "id")
    )
    fired = 0
    for rule in rules:
        candidates = candidate_tickets(rule, now=now).values_list(
            "pk", "status", "status_entered_at"
        )[:BATCH]
        for ticket_id, status, entered_at in candidates:
            try:
                fired += len(
                    rules_run(
                        ticket=ticket_id,
                        trigger=Rule.Trigger.HOURLY,
                        trigger_key=f"{status}@{entered_at.isoformat()}",
                        rules=[rule],
                        entered_at=entered_at,
                    )
                )
            except Exception:
                logger.exception("Hourly rule %s failed on ticket %s", rule.name, ticket_id)
    return fired
