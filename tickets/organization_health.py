"""Organization health (seed 003 "health_check"): the write that refreshes the stored figures
and the read behind the desk's organization page.

The figures cover the last `HEALTH_WINDOW` and are stored on `Organization`, so the page and
any list read one row instead of aggregating tickets on every view:

- `tickets_30d`: tickets the organization's customers opened;
- `csat_30d`: of the surveys answered on their tickets, the share (%) rated 4 or 5 (the same
  definition as the analytics dashboard's CSAT); empty when none were answered;
- `breaches_30d`: SLA breaches recorded on their tickets.

`tickets.tasks.refresh_organization_health` runs the refresh after each resolve and each
survey answer. It recomputes from scratch, so running it twice leaves the same state.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from tickets.models import OPEN_STATUSES, Customer, Organization, SatisfactionSurvey, Ticket

HEALTH_WINDOW = timedelta(days=30)
RECENT_TICKETS = 20
CUSTOMERS_SHOWN = 100
GOOD_RATING = 4


@transaction.atomic
def organization_refresh_health(*, organization: Organization, now=None) -> Organization:
    """Recompute and store the organization's 30-day figures. Idempotent: same data, same
    figures. Writes only the health fields (`update_fields`)."""
    from sla.models import SlaEvent

    now = now or timezone.now()
    since = now - HEALTH_WINDOW
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    org_tickets = Ticket.objects.filter(customer__organization=organization)
    answered = SatisfactionSurvey.objects.filter(
        ticket__customer__organization=organization,
        answered_at__gte=since,
        answered_at__lte=now,
    ).aggregate(total=Count("pk"), good=Count("pk", filter=Q(rating__gte=GOOD_RATING)))
    organization.tickets_30d = org_tickets.filter(
        created_at__gte=since, created_at__lte=now
    ).count()
    organization.surveys_answered_30d = answered["total"]
    organization.csat_30d = (
        round(100 * answered["good"] / answered["total"]) if answered["total"] else None
    )
    organization.breaches_30d = SlaEvent.objects.filter(
        ticket__customer__organization=organization,
        kind=SlaEvent.Kind.BREACHED,
        at__gte=since,
        at__lte=now,
    ).count()
    organization.health_updated_at = now
    organization.save(
        update_fields=[
            "tickets_30d",
            "surveys_answered_30d",
            "csat_30d",
            "breaches_30d",
            "health_updated_at",
        ]
    )
    return organization


@dataclass
class OrganizationOverview:
    organization: Organization
    customers: list[Customer]
    customer_count: int
    recent_tickets: list[Ticket]
    open_tickets: int


def organization_overview(*, organization_id: int) -> OrganizationOverview | None:
    """What the desk's organization page shows, in a fixed number of queries: the stored
    health, the customers (with their ticket counts) and the latest tickets."""
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return None
    customers = list(
        Customer.objects.filter(organization=organization)
        .annotate(ticket_count=Count("tickets"))
        .order_by("name", "pk")[:CUSTOMERS_SHOWN]
    )
    org_tickets = Ticket.objects.filter(customer__organization=organization)
    recent = list(
        org_tickets.select_related("customer", "assignee", "assignee__agent_profile").order_by(
            "-created_at", "-pk"
        )[:RECENT_TICKETS]
    )
    counts = org_tickets.aggregate(open=Count("pk", filter=Q(status__in=OPEN_STATUSES)))
    return OrganizationOverview(
        organization=organization,
        customers=customers,
        customer_count=Customer.objects.filter(organization=organization).count(),
        recent_tickets=recent,
        open_tickets=counts["open"],
    )
