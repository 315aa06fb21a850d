"""Related tickets: linked on creation by customer and by a very similar subject."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import CustomerFactory, TicketFactory
from tickets import services
from tickets.models import Status, Ticket, TicketLink
from tickets.services.related import jaccard, subject_words, ticket_link_related


def linked(ticket: Ticket, reason: str) -> set[int]:
    return set(
        TicketLink.objects.filter(from_ticket=ticket, reason=reason).values_list(
            "to_ticket_id", flat=True
        )
    )


def file_with_hooks(capture, **kwargs) -> Ticket:
    with capture(execute=True):
        return TicketFactory(**kwargs)


@pytest.mark.django_db
def test_a_new_ticket_is_linked_to_its_customers_open_tickets(
    customer, agent, django_capture_on_commit_callbacks
):
    first = TicketFactory(customer=customer, subject="Invoice missing")
    second = TicketFactory(customer=customer, subject="Cannot log in")
    done = TicketFactory(customer=customer, subject="Old question")
    services.ticket_transition(ticket=done, to_status=Status.IN_PROGRESS, actor=agent)
    services.ticket_resolve(ticket=done, actor=agent, resolution="Answered.")
    TicketFactory(subject="Someone else's ticket")

    new = file_with_hooks(django_capture_on_commit_callbacks, customer=customer, subject="Hello")

    assert linked(new, TicketLink.Reason.SAME_CUSTOMER) == {first.pk, second.pk}
    assert not linked(new, TicketLink.Reason.SIMILAR_SUBJECT)
    assert {link.kind for link in TicketLink.objects.all()} == {TicketLink.Kind.RELATED}


@pytest.mark.django_db
def test_same_customer_links_are_bounded_to_the_five_newest(customer):
    older = [TicketFactory(customer=customer, subject=f"Question {n}") for n in range(7)]
    new = TicketFactory(customer=customer, subject="Another question")

    ticket_link_related(ticket=new)

    assert linked(new, TicketLink.Reason.SAME_CUSTOMER) == {t.pk for t in older[-5:]}


@pytest.mark.django_db
def test_open_tickets_with_a_very_similar_subject_are_linked_and_dissimilar_ones_not(
    django_capture_on_commit_callbacks,
):
    similar = TicketFactory(subject="Password reset email never arrives")
    TicketFactory(subject="Password change page is slow")
    TicketFactory(subject="Reset my dashboard layout")
    stale = TicketFactory(subject="Password reset email never arrives!")
    Ticket.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(days=31))

    new = file_with_hooks(
        django_capture_on_commit_callbacks,
        customer=CustomerFactory(),
        subject="The password reset email never arrived",
    )

    assert linked(new, TicketLink.Reason.SIMILAR_SUBJECT) == {similar.pk}
    assert not linked(new, TicketLink.Reason.SAME_CUSTOMER)


@pytest.mark.django_db
def test_similar_links_are_bounded_cheap_and_idempotent(django_assert_max_num_queries):
    for _ in range(8):
        TicketFactory(subject="Webhook deliveries failing with timeout")
    new = TicketFactory(subject="Webhook deliveries failing with timeout")

    # Same customer, the scan's bound, similar candidates, one insert, and the savepoint
    # around them.
    with django_assert_max_num_queries(6):
        ticket_link_related(ticket=new)
    ticket_link_related(ticket=new)

    assert len(linked(new, TicketLink.Reason.SIMILAR_SUBJECT)) == 5
    assert TicketLink.objects.count() == 5


@pytest.mark.django_db
def test_similar_subjects_are_looked_for_among_the_newest_open_tickets_only(monkeypatch):
    """The search is bounded by the newest SIMILAR_SCAN open tickets, so a rare word never
    walks every open ticket of the window."""
    monkeypatch.setattr("tickets.services.related.SIMILAR_SCAN", 3)
    older = TicketFactory(subject="Printer driver crashes on startup")
    Ticket.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=2))
    recent = TicketFactory(subject="Printer driver crashes on startup")
    for subject in ("Invoice question", "Login question"):
        TicketFactory(subject=subject)
    new = TicketFactory(subject="Printer driver crashes on startup")

    ticket_link_related(ticket=new)

    assert linked(new, TicketLink.Reason.SIMILAR_SUBJECT) == {recent.pk}


def test_subject_similarity_is_a_normalised_word_set_jaccard():
    a = subject_words("The Export button SPINS forever")
    assert a == {"export", "button", "spins", "forever"}
    assert jaccard(a, subject_words("export button spins forever!")) == 1.0
    assert jaccard(a, subject_words("export report")) < 0.6
    assert jaccard(a, frozenset()) == 0.0


@pytest.mark.django_db
def test_the_desk_ticket_page_lists_related_tickets(client, agent, customer):
    other = TicketFactory(customer=customer, subject="Invoice missing")
    new = TicketFactory(customer=customer, subject="Hello")
    ticket_link_related(ticket=new)
    client.force_login(agent)

    response = client.get(reverse("desk:ticket", args=[new.reference]))
    back = client.get(reverse("desk:ticket", args=[other.reference]))

    assert "Related tickets" in response.text
    assert other.reference in response.text and "Invoice missing" in response.text
    assert "Same customer" in response.text
    assert new.reference in back.text


@pytest.mark.django_db
def test_two_tickets_linked_both_ways_are_listed_once_on_each_page(client, agent, customer):
    """Each of two tickets can have found the other when it was filed (imported or seeded
    history files them out of order): the card lists the other ticket once, not per link."""
    first = TicketFactory(customer=customer, subject="Exports time out")
    second = TicketFactory(customer=customer, subject="Exports time out again")
    ticket_link_related(ticket=second)
    TicketLink.objects.create(
        from_ticket=first,
        to_ticket=second,
        kind=TicketLink.Kind.RELATED,
        reason=TicketLink.Reason.SIMILAR_SUBJECT,
    )
    client.force_login(agent)

    page = client.get(reverse("desk:ticket", args=[first.reference])).text
    back = client.get(reverse("desk:ticket", args=[second.reference])).text

    assert page.count(f">{second.reference}<") == 1
    assert back.count(f">{first.reference}<") == 1
