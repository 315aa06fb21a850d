"""Reads for tickets, already scoped by who is asking and with their joins prefetched.

Views never build ticket querysets themselves; every page and API list comes through here,
so permission scoping lives in one place. This module reads one ticket (its desk page) and
what customers and public links see; the desk's queue reads are in `tickets.queue_selectors`
and `tickets.queue_version`.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Max, Prefetch, Q, QuerySet, Window, prefetch_related_objects
from django.http import Http404

from agents.permissions import is_agent
from tickets.models import Attachment, Customer, Ticket, TicketEvent, TicketLink, TicketMessage


def ticket_for_agent(*, agent, reference: str) -> Ticket:
    """A ticket with everything its desk page's header and sidebar show, or 404.

    The conversation and the activity are not prefetched: a long ticket has hundreds of both,
    and the page shows only the newest of each (`ticket_page_messages`, `ticket_page_events`).
    """
    if not is_agent(agent):
        raise Http404
    assignees = get_user_model().objects.select_related("agent_profile")
    try:
        # The assignee (with profile) and the merge target come in small queries of their
        # own: joined, they more than doubled the time PostgreSQL spends planning this one
        # (about 3.5 ms for eight tables against well under a millisecond to run it).
        return (
            Ticket.objects.select_related("category", "team", "customer", "customer__organization")
            .prefetch_related("tags", Prefetch("assignee", queryset=assignees), "merged_into")
            .get(reference=reference)
        )
    except Ticket.DoesNotExist:
        raise Http404 from None


def ticket_conversation_for_agent(*, ticket: Ticket) -> Ticket:
    """The ticket with its whole conversation prefetched (authors, their agent profiles and
    attachments), for the API's ticket detail: a fixed number of queries at any length."""
    prefetch_related_objects([ticket], Prefetch("messages", queryset=_messages_for_display()))
    return ticket


def _messages_for_display() -> QuerySet[TicketMessage]:
    """Messages with what the desk and the API show beside them: the author, the author's
    agent profile and the attachments in upload order."""
    return TicketMessage.objects.select_related("author", "author__agent_profile").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("id"))
    )


@dataclass
class PageWindow:
    """The newest `rows` of a ticket's conversation or activity, oldest first, and how many
    older ones there are: what the page shows now and what "Show earlier" loads."""

    rows: list
    hidden: int
    # The highest id of every row the filter matched, shown or not: the reply collision check
    # compares ids, and an id order can differ from the time order (merged-in messages).
    newest_id: int = 0

    @property
    def oldest_id(self) -> int | None:
        return self.rows[0].pk if self.rows else None


def _page_window(queryset: QuerySet, *, limit: int | None, before_id: int | None) -> PageWindow:
    """One query: the newest `limit` rows (older than `before_id` when given), with the count
    of every row the filter matched computed alongside by a window function, so the page
    knows how many it left out without a second query."""
    if before_id is not None:
        cursor = queryset.model.objects.filter(pk=before_id).values("created_at")[:1]
        queryset = queryset.filter(
            Q(created_at__lt=cursor) | Q(created_at=cursor, pk__lt=before_id)
        )
    queryset = queryset.annotate(matched=Window(Count("pk")), newest=Window(Max("pk")))
    queryset = queryset.order_by("-created_at", "-id")
    rows = list(queryset[:limit] if limit is not None else queryset)
    rows.reverse()
    if not rows:
        return PageWindow(rows=[], hidden=0)
    return PageWindow(rows=rows, hidden=rows[0].matched - len(rows), newest_id=rows[0].newest)


def ticket_page_messages(
    *, ticket: Ticket, limit: int | None, before_id: int | None = None
) -> PageWindow:
    """The newest `limit` messages of the ticket (all with None), with authors and
    attachments: two queries whatever the length of the conversation."""
    messages = _messages_for_display().filter(ticket=ticket)
    return _page_window(messages, limit=limit, before_id=before_id)


def ticket_page_events(
    *, ticket: Ticket, limit: int | None, before_id: int | None = None
) -> PageWindow:
    """The newest `limit` audit events of the ticket (all with None), with their actors."""
    events = TicketEvent.objects.filter(ticket=ticket).select_related(
        "actor", "actor__agent_profile"
    )
    return _page_window(events, limit=limit, before_id=before_id)


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


def ticket_confirmation(*, reference: str) -> Ticket:
    """Just the ticket row, for a confirmation page that shows its reference and subject."""
    try:
        return Ticket.objects.get(reference=reference)
    except Ticket.DoesNotExist:
        raise Http404 from None


def tickets_for_customer(*, customer: Customer) -> QuerySet[Ticket]:
    """The customer's own tickets ("My tickets", the customer API). A ticket someone filed
    under their address without proving it (`sender_unverified`) is left out until the
    customer confirms it: it is not theirs until then."""
    return (
        Ticket.objects.filter(customer=customer, sender_unverified=False)
        .select_related("category")
        .order_by("-created_at", "-id")
    )


def customer_for_user(user) -> Customer | None:
    if not user.is_authenticated:
        return None
    return Customer.objects.filter(user=user).first()


def attachments_of_ticket(*, ticket: Ticket) -> QuerySet[Attachment]:
    """Every file on the ticket, oldest first (what its uploader is told about after filing)."""
    return Attachment.objects.filter(message__ticket=ticket).order_by("id")


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


def ticket_messages_since(*, ticket: Ticket, after_id: int, exclude_author=None):
    """Public messages on `ticket` newer than message `after_id`: what an agent about to
    reply has not seen yet (the desk's reply collision check). Internal notes and system
    lines do not count; the agent's own messages neither."""
    messages = (
        TicketMessage.objects.filter(ticket=ticket, pk__gt=after_id, is_internal=False)
        .filter(
            author_kind__in=[
                TicketMessage.AuthorKind.CUSTOMER,
                TicketMessage.AuthorKind.AGENT,
                TicketMessage.AuthorKind.AI,
            ]
        )
        .select_related("author", "author__agent_profile")
        .order_by("id")
    )
    if exclude_author is not None:
        messages = messages.exclude(author=exclude_author)
    return list(messages)


def ticket_summary_for_agent(*, agent, reference: str) -> Ticket:
    """Just the ticket row (with its customer), or 404: for the desk's frequent small
    requests (presence heartbeats, the reply collision check) that need no conversation."""
    if not is_agent(agent):
        raise Http404
    try:
        return Ticket.objects.select_related("customer").get(reference=reference)
    except Ticket.DoesNotExist:
        raise Http404 from None
