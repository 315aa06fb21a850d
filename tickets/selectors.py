"""Reads for tickets, already scoped by who is asking and with their joins prefetched.

Views never build ticket querysets themselves; every page and API list comes through here,
so permission scoping lives in one place.
"""

from dataclasses import dataclass, field

from django.db.models import Case, F, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.http import Http404

from agents.permissions import is_agent
from tickets.models import (
    PRIORITY_ORDER,
    Attachment,
    Customer,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketMessage,
)

PRIORITY_RANK = Case(
    *[When(priority=value, then=Value(rank)) for rank, value in enumerate(PRIORITY_ORDER)],
    output_field=IntegerField(),
)

QUEUE_SORTS = {
    # The next SLA deadline first; tickets without a running target after them. Served by the
    # ticket_sla_due index on (sla_due_at, id).
    "deadline": (F("sla_due_at").asc(nulls_last=True), "id"),
    "newest": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
    "updated": ("-updated_at", "-id"),
    "priority": ("-priority_rank", "created_at", "id"),
}
DEFAULT_QUEUE_SORT = "deadline"


@dataclass
class QueueFilters:
    status: list[str] = field(default_factory=list)
    priority: list[str] = field(default_factory=list)
    category: str = ""
    team: str = ""
    tag: str = ""
    assignee: str = ""  # "me", "unassigned", "" for anyone, or a user id
    sla: list[str] = field(default_factory=list)  # SlaState values, e.g. at_risk, breached
    q: str = ""
    sort: str = DEFAULT_QUEUE_SORT


def ticket_queue_for_agent(*, agent, filters: QueueFilters) -> QuerySet[Ticket]:
    """The desk queue: every ticket an agent may work, filtered and sorted.

    One query for the page whatever its size: category, team, customer and assignee are
    joined, tags prefetched.
    """
    if not is_agent(agent):
        return Ticket.objects.none()
    qs = Ticket.objects.select_related(
        "category", "team", "customer", "assignee", "assignee__agent_profile"
    ).prefetch_related("tags")
    if filters.status:
        qs = qs.filter(status__in=filters.status)
    if filters.priority:
        qs = qs.filter(priority__in=filters.priority)
    if filters.sla:
        qs = qs.filter(sla_state__in=filters.sla)
    if filters.category:
        qs = qs.filter(category__slug=filters.category)
    if filters.team:
        qs = qs.filter(team__slug=filters.team)
    if filters.tag:
        qs = qs.filter(tags__name=filters.tag)
    if filters.assignee == "me":
        qs = qs.filter(assignee=agent)
    elif filters.assignee == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    elif filters.assignee.isdigit():
        qs = qs.filter(assignee_id=int(filters.assignee))
    text = filters.q.strip()
    if text:
        qs = qs.filter(
            Q(reference__iexact=text)
            | Q(subject__icontains=text)
            | Q(customer__email__iexact=text)
            | Q(customer__name__icontains=text)
        )
    order = QUEUE_SORTS.get(filters.sort, QUEUE_SORTS[DEFAULT_QUEUE_SORT])
    if filters.sort == "priority":
        qs = qs.annotate(priority_rank=PRIORITY_RANK)
    return qs.order_by(*order)


def ticket_for_agent(*, agent, reference: str) -> Ticket:
    """A ticket with everything its desk page shows, or 404."""
    if not is_agent(agent):
        raise Http404
    messages = TicketMessage.objects.select_related(
        "author", "author__agent_profile"
    ).prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
    events = TicketEvent.objects.select_related("actor", "actor__agent_profile")
    try:
        return (
            Ticket.objects.select_related(
                "category",
                "team",
                "customer",
                "customer__organization",
                "assignee",
                "assignee__agent_profile",
                "merged_into",
            )
            .prefetch_related(
                "tags",
                Prefetch("messages", queryset=messages),
                Prefetch("events", queryset=events),
            )
            .get(reference=reference)
        )
    except Ticket.DoesNotExist:
        raise Http404 from None


def ticket_links(*, ticket: Ticket) -> list[TicketLink]:
    """The ticket's links in both directions, with both tickets joined: one query. For the
    desk ticket page, whose ticket came from `ticket_for_agent`."""
    return list(
        TicketLink.objects.filter(Q(from_ticket=ticket) | Q(to_ticket=ticket))
        .select_related("from_ticket", "to_ticket")
        .order_by("created_at", "id")
    )


def ticket_for_public_link(*, public_id: str) -> Ticket:
    """The ticket behind a customer's secure link, with public messages only, or 404."""
    public_messages = (
        TicketMessage.objects.filter(is_internal=False)
        .select_related("author", "author__agent_profile")
        .prefetch_related("attachments")
    )
    try:
        return (
            Ticket.objects.select_related(
                "category", "customer", "assignee__agent_profile", "merged_into"
            )
            .prefetch_related(
                Prefetch("messages", queryset=public_messages, to_attr="public_messages")
            )
            .get(public_id=public_id)
        )
    except Ticket.DoesNotExist:
        raise Http404 from None


def tickets_for_customer(*, customer: Customer) -> QuerySet[Ticket]:
    return (
        Ticket.objects.filter(customer=customer)
        .select_related("category")
        .order_by("-created_at", "-id")
    )


def customer_for_user(user) -> Customer | None:
    if not user.is_authenticated:
        return None
    return Customer.objects.filter(user=user).first()


def attachment_for_agent(*, agent, attachment_id: int) -> Attachment:
    if not is_agent(agent):
        raise Http404
    try:
        return Attachment.objects.select_related("ticket").get(pk=attachment_id)
    except Attachment.DoesNotExist:
        raise Http404 from None


def attachment_for_public_link(*, public_id: str, attachment_id: int) -> Attachment:
    """An attachment on a public message of the ticket behind this link, or 404."""
    try:
        return Attachment.objects.select_related("ticket").get(
            pk=attachment_id, ticket__public_id=public_id, message__is_internal=False
        )
    except Attachment.DoesNotExist:
        raise Http404 from None
