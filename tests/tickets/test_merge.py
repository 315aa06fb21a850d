"""Merging a duplicate into another ticket: the service, the desk action and the portal link."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from common.exceptions import ApplicationError
from tests.factories import CustomerWithAccountFactory, TicketFactory
from tickets import services
from tickets.models import Attachment, Status, Ticket, TicketEvent, TicketLink, TicketMessage

HTMX = {"HTTP_HX_REQUEST": "true"}


def kinds(ticket: Ticket) -> list[str]:
    return list(ticket.events.order_by("id").values_list("kind", flat=True))


def upload(name: str = "log.txt") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"export failed at step 3", content_type="text/plain")


@pytest.fixture
def pair(customer):
    target = TicketFactory(customer=customer, subject="Export stuck", tags=["export"])
    source = TicketFactory(
        customer=customer, subject="Export stuck again", tags=["vip"], files=[upload()]
    )
    return source, target


def snapshot() -> tuple:
    return (
        list(TicketMessage.objects.order_by("id").values_list("id", "ticket_id")),
        list(Attachment.objects.order_by("id").values_list("id", "ticket_id")),
        TicketEvent.objects.count(),
        TicketLink.objects.count(),
        list(Ticket.objects.order_by("id").values_list("id", "status", "merged_into_id")),
    )


# The service ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_merge_moves_messages_and_attachments_and_keeps_their_order(pair, agent):
    source, target = pair
    services.ticket_reply(ticket=target, actor=agent, body="Looking into it.")
    before = list(TicketMessage.objects.order_by("created_at", "id").values_list("id", flat=True))

    services.ticket_merge(source=source, target=target, actor=agent, reason="Same export bug")

    assert source.messages.count() == 0
    assert list(target.messages.values_list("id", flat=True)) == before
    assert target.messages.count() == 3
    assert source.attachments.count() == 0
    assert target.attachments.get().filename == "log.txt"


@pytest.mark.django_db
def test_merge_writes_both_events_closes_the_source_and_links_it(pair, agent):
    source, target = pair
    services.ticket_merge(source=source, target=target, actor=agent)
    source.refresh_from_db()
    target.refresh_from_db()

    assert source.status == Status.CLOSED
    assert source.closed_at is not None
    assert source.merged_into == target
    assert kinds(source) == ["created", "merged", "status_changed"]
    merged = source.events.get(kind="merged")
    assert merged.actor == agent
    assert merged.to_value == target.reference
    assert merged.data["into"] == target.reference
    closed = source.events.get(kind="status_changed")
    assert (closed.from_value, closed.to_value) == (Status.OPEN, Status.CLOSED)
    assert closed.data == {"reason": f"Merged into {target.reference}", "via": "merge"}

    assert kinds(target) == ["created", "merged", "tags_changed"]
    into = target.events.get(kind="merged")
    assert into.from_value == source.reference
    assert into.data["from"] == source.reference
    assert into.data["messages"] == 1
    assert set(target.tags.values_list("name", flat=True)) == {"export", "vip"}
    assert target.status == Status.OPEN

    link = TicketLink.objects.get(kind=TicketLink.Kind.DUPLICATE_OF)
    assert (link.from_ticket, link.to_ticket) == (source, target)


@pytest.mark.django_db
def test_merge_closes_a_source_from_any_open_status(pair, agent):
    source, target = pair
    services.ticket_transition(ticket=source, to_status=Status.IN_PROGRESS, actor=agent)
    services.ticket_transition(ticket=source, to_status=Status.WAITING_CUSTOMER, actor=agent)

    services.ticket_merge(source=source, target=target, actor=agent)

    source.refresh_from_db()
    assert source.status == Status.CLOSED
    assert source.events.filter(kind="status_changed").last().from_value == "waiting_customer"


@pytest.mark.django_db
def test_merge_of_different_customers_is_refused_and_writes_nothing(agent):
    target = TicketFactory(subject="Export stuck")
    source = TicketFactory(subject="Export stuck too")

    with pytest.raises(ApplicationError, match="different customers"):
        services.ticket_merge(source=source, target=target, actor=agent)

    source.refresh_from_db()
    assert source.merged_into_id is None and source.status == Status.OPEN
    assert source.messages.count() == 1 and target.messages.count() == 1
    assert not source.events.filter(kind="merged").exists()


@pytest.mark.django_db
def test_merge_refusals_explain_and_write_nothing(pair, agent, other_agent, customer):
    source, target = pair
    closed = TicketFactory(customer=customer)
    services.ticket_transition(ticket=closed, to_status=Status.IN_PROGRESS, actor=agent)
    services.ticket_resolve(ticket=closed, actor=agent, resolution="Fixed.")
    services.ticket_close(ticket=closed, actor=agent)
    before = snapshot()

    cases = [
        (source, source, agent, "cannot be merged into itself"),
        (source, closed, agent, "is closed; merge into an open ticket"),
        (closed, target, agent, "is closed and can no longer be merged"),
        (source, target, None, "Only agents"),
        (source, target, CustomerWithAccountFactory().user, "Only agents"),
    ]
    for src, dst, actor, message in cases:
        with pytest.raises(ApplicationError) as exc:
            services.ticket_merge(source=src, target=dst, actor=actor)
        assert message in exc.value.message
    assert snapshot() == before

    services.ticket_merge(source=source, target=target, actor=agent)
    other = TicketFactory(customer=customer)
    before = snapshot()
    with pytest.raises(ApplicationError, match="already merged"):
        services.ticket_merge(source=source, target=other, actor=other_agent)
    assert snapshot() == before


# The customer's link ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_merged_requests_link_still_answers_with_a_notice_and_a_link(client, pair, agent):
    source, target = pair
    services.ticket_merge(source=source, target=target, actor=agent)

    response = client.get(f"/portal/t/{source.public_id}/")

    assert response.status_code == 200
    assert f'This request was merged into <a href="/portal/t/{target.public_id}/">' in (
        response.text
    )
    assert target.reference in response.text


# The desk action ----------------------------------------------------------------------------


def merge_url(ticket: Ticket) -> str:
    return reverse("desk:ticket_merge", args=[ticket.reference])


@pytest.mark.django_db
def test_desk_merge_by_htmx_re_renders_the_source_with_its_banner(client, agent, pair):
    source, target = pair
    client.force_login(agent)

    response = client.post(merge_url(source), {"target": target.reference.lower()}, **HTMX)

    assert response.status_code == 200
    assert "ticket-changed" in response.headers["HX-Trigger"]
    assert "Merged into" in response.text
    assert reverse("desk:ticket", args=[target.reference]) in response.text
    source.refresh_from_db()
    assert source.merged_into == target


@pytest.mark.django_db
def test_desk_merge_by_plain_post_redirects_with_a_message(client, agent, pair):
    source, target = pair
    client.force_login(agent)

    response = client.post(merge_url(source), {"target": target.reference}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("desk:ticket", args=[source.reference])
    assert f"{source.reference} merged into {target.reference}." in response.text
    assert "merged-banner" in response.text
    # The target lists the merged duplicate in its related tickets.
    page = client.get(reverse("desk:ticket", args=[target.reference]))
    assert "Merged into this ticket" in page.text
    assert source.reference in page.text


@pytest.mark.django_db
def test_desk_merge_refusals_keep_the_input_and_change_nothing(client, agent, pair):
    source, target = pair
    client.force_login(agent)
    before = snapshot()

    unknown = client.post(merge_url(source), {"target": "TKT-99999"}, **HTMX)
    itself = client.post(merge_url(source), {"target": source.reference}, **HTMX)
    empty = client.post(merge_url(source), {"target": ""}, **HTMX)

    assert unknown.status_code == 400
    assert "No ticket TKT-99999." in unknown.text
    assert itself.status_code == 409
    assert "cannot be merged into itself" in itself.text
    assert empty.status_code == 400
    assert snapshot() == before


@pytest.mark.django_db
def test_customers_cannot_merge(client, pair):
    source, target = pair
    client.force_login(CustomerWithAccountFactory().user)

    response = client.post(merge_url(source), {"target": target.reference})

    assert response.status_code == 403
    source.refresh_from_db()
    assert source.merged_into is None
    assert kinds(source) == ["created"]
