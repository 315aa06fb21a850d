"""Related tickets: on creation, link the open tickets a new one probably belongs with."""

import re
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tickets.models import OPEN_STATUSES, Ticket, TicketLink

MAX_SAME_CUSTOMER = 5
MAX_SIMILAR = 5
SIMILAR_MIN_JACCARD = 0.6
SIMILAR_WINDOW_DAYS = 30
SIMILAR_CANDIDATES = 200
# Similar subjects are looked for among this many of the newest open tickets of the window.
SIMILAR_SCAN = 1000
# The prefilter looks for these many of the subject's longest words.
PREFILTER_WORDS = 3

STOPWORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "can",
        "cannot",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "please",
        "so",
        "that",
        "the",
        "this",
        "to",
        "was",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
    }
)
_WORD = re.compile(r"[a-z0-9]+")


def subject_words(subject: str) -> frozenset[str]:
    """The normalised word set of a subject: lower case, without stopwords."""
    return frozenset(w for w in _WORD.findall((subject or "").lower()) if w not in STOPWORDS)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@transaction.atomic
def ticket_link_related(*, ticket: Ticket) -> list[TicketLink]:
    """Link a new ticket to the open tickets it probably belongs with; returns the new links.

    Up to 5 open tickets of the same customer (newest first), and up to 5 open tickets from
    the last 30 days whose subject is very similar (word-set Jaccard >= 0.6). Bounded and
    cheap: candidates are prefiltered in the database by one of the subject's longest words
    (at most 200 rows, id and subject only) among the SIMILAR_SCAN newest open tickets of
    the window. Without that bound a rare word walked every open ticket of the 30 days (30
    ms at a million tickets, on every new ticket); a burst of similar tickets is among the
    newest anyway. Four queries at most; running it twice links nothing new (unique links,
    conflicts ignored). Writes no ticket event.
    """
    open_others = Ticket.objects.filter(status__in=OPEN_STATUSES).exclude(pk=ticket.pk)
    same_customer = list(
        open_others.filter(customer_id=ticket.customer_id)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)[:MAX_SAME_CUSTOMER]
    )
    links = [
        TicketLink(
            from_ticket=ticket,
            to_ticket_id=pk,
            kind=TicketLink.Kind.RELATED,
            reason=TicketLink.Reason.SAME_CUSTOMER,
        )
        for pk in same_customer
    ]

    words = subject_words(ticket.subject)
    significant = sorted((w for w in words if len(w) >= 4), key=lambda w: (-len(w), w))
    if significant:
        prefilter = Q()
        for word in significant[:PREFILTER_WORDS]:
            prefilter |= Q(subject__icontains=word)
        since = timezone.now() - timedelta(days=SIMILAR_WINDOW_DAYS)
        newest = open_others.filter(created_at__gte=since).order_by("-created_at", "-id")
        # The SIMILAR_SCAN-th newest open ticket's time bounds the scan: one probe of the
        # open-tickets index, then one backward walk of that index (which holds the subject)
        # to the bound. Joining the newest SIMILAR_SCAN ids back to the table cost a lookup
        # each, some 3 ms of the database's time on every new ticket.
        bound = list(newest.values_list("created_at", flat=True)[SIMILAR_SCAN - 1 : SIMILAR_SCAN])
        candidates = (
            newest.filter(prefilter, created_at__gte=bound[0] if bound else since)
            .exclude(pk__in=same_customer)
            .values_list("pk", "subject")[:SIMILAR_CANDIDATES]
        )
        scored = []
        for pk, subject in candidates:
            score = jaccard(words, subject_words(subject))
            if score >= SIMILAR_MIN_JACCARD:
                scored.append((score, pk))
        scored.sort(key=lambda item: -item[0])
        links += [
            TicketLink(
                from_ticket=ticket,
                to_ticket_id=pk,
                kind=TicketLink.Kind.RELATED,
                reason=TicketLink.Reason.SIMILAR_SUBJECT,
            )
            for _, pk in scored[:MAX_SIMILAR]
        ]
    if links:
        TicketLink.objects.bulk_create(links, ignore_conflicts=True)
    return links


def on_ticket_created(ctx) -> None:
    """After-hook on create (tickets.hooks): link the new ticket's related tickets."""
    ticket_link_related(ticket=ctx.ticket)
