"""Customer endpoints: file, list, read and reply on their own tickets; never anyone else's,
never an internal note."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api.conftest import assert_error
from tests.factories import CategoryFactory
from tickets import services
from tickets.models import Attachment, Channel, Status, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def test_customer_files_a_ticket_through_the_service(alice, customer_a):
    category = CategoryFactory()
    response = alice.post(
        "/api/v1/tickets",
        {"subject": "Refund please", "description": "Charged twice.", "category": "billing"},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    ticket = Ticket.objects.get(public_id=body["public_id"])
    assert ticket.customer == customer_a
    assert ticket.channel == Channel.API
    assert ticket.category == category
    assert body["reference"].startswith("BIL-")
    assert body["messages"][0]["body"] == "Charged twice."
    assert ticket.events.filter(kind=TicketEvent.Kind.CREATED).count() == 1


def test_ticket_with_attachments_by_multipart(alice):
    files = [
        SimpleUploadedFile("a.txt", b"hello", content_type="text/plain"),
        SimpleUploadedFile("b.png", b"\x89PNG....", content_type="image/png"),
    ]
    response = alice.post(
        "/api/v1/tickets",
        {"subject": "Screens", "description": "See attached.", "attachments": files},
        format="multipart",
    )

    assert response.status_code == 201, response.content
    attachments = response.json()["messages"][0]["attachments"]
    assert sorted(a["filename"] for a in attachments) == ["a.txt", "b.png"]
    assert attachments[0]["url"].startswith("/portal/t/")
    assert Attachment.objects.count() == 2


def test_refused_attachment_is_400_on_the_field_and_saves_nothing(alice):
    response = alice.post(
        "/api/v1/tickets",
        {
            "subject": "Bad file",
            "description": "x",
            "attachments": [SimpleUploadedFile("evil.exe", b"MZ")],
        },
        format="multipart",
    )

    error = assert_error(response, 400)
    assert "attachments" in error["fields"]
    assert Ticket.objects.count() == 0


def test_missing_fields_are_400_with_each_field(alice):
    response = alice.post("/api/v1/tickets", {"subject": ""}, format="json")

    error = assert_error(response, 400, "invalid")
    assert set(error["fields"]) == {"subject", "description"}
    assert Ticket.objects.count() == 0


def test_unknown_category_is_400(alice):
    response = alice.post(
        "/api/v1/tickets",
        {"subject": "s", "description": "d", "category": "nope"},
        format="json",
    )

    assert "category" in assert_error(response, 400)["fields"]


def test_list_shows_only_own_tickets_filtered_by_status(alice, ticket_a, ticket_b, agent):
    other = services.ticket_create(customer=ticket_a.customer, subject="Second", body="b")
    services.ticket_transition(ticket=other, to_status=Status.IN_PROGRESS, actor=agent)

    everything = alice.get("/api/v1/tickets").json()["results"]
    in_progress = alice.get("/api/v1/tickets?status=in_progress").json()["results"]

    assert {t["reference"] for t in everything} == {ticket_a.reference, other.reference}
    assert [t["reference"] for t in in_progress] == [other.reference]


def test_bad_status_filter_is_400(alice):
    assert "status" in assert_error(alice.get("/api/v1/tickets?status=lost"), 400)["fields"]


def test_detail_has_public_messages_only(alice, ticket_a, agent):
    services.ticket_reply(ticket=ticket_a, actor=agent, body="We are on it.")
    services.ticket_add_note(ticket=ticket_a, actor=agent, body="SECRET internal note")

    response = alice.get(f"/api/v1/tickets/{ticket_a.public_id}")

    assert response.status_code == 200
    assert "SECRET" not in response.content.decode()
    assert "is_internal" not in response.content.decode()
    assert [m["author_kind"] for m in response.json()["messages"]] == ["customer", "agent"]


def test_another_customers_ticket_is_404_not_403(alice, ticket_b):
    assert_error(alice.get(f"/api/v1/tickets/{ticket_b.public_id}"), 404, "not_found")
    response = alice.post(
        f"/api/v1/tickets/{ticket_b.public_id}/messages", {"body": "hi"}, format="json"
    )
    assert_error(response, 404)
    assert ticket_b.messages.count() == 1


def test_reply_on_own_ticket(alice, ticket_a):
    response = alice.post(
        f"/api/v1/tickets/{ticket_a.public_id}/messages", {"body": "Any news?"}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["author"] == "You"
    assert ticket_a.events.filter(kind=TicketEvent.Kind.CUSTOMER_REPLIED).count() == 1


def test_reply_reopens_a_resolved_ticket(alice, ticket_a, agent):
    services.ticket_transition(ticket=ticket_a, to_status=Status.IN_PROGRESS, actor=agent)
    services.ticket_resolve(ticket=ticket_a, actor=agent, resolution="Fixed.")

    alice.post(f"/api/v1/tickets/{ticket_a.public_id}/messages", {"body": "No"}, format="json")

    ticket_a.refresh_from_db()
    assert ticket_a.status == Status.IN_PROGRESS


def test_reply_on_closed_ticket_is_409_with_reason(alice, ticket_a, agent):
    services.ticket_transition(ticket=ticket_a, to_status=Status.IN_PROGRESS, actor=agent)
    services.ticket_resolve(ticket=ticket_a, actor=agent, resolution="Fixed.")
    services.ticket_close(ticket=ticket_a, actor=agent)

    response = alice.post(
        f"/api/v1/tickets/{ticket_a.public_id}/messages", {"body": "again"}, format="json"
    )

    error = assert_error(response, 409, "ticket_closed")
    assert "closed" in error["message"]


def test_empty_reply_is_400(alice, ticket_a):
    response = alice.post(
        f"/api/v1/tickets/{ticket_a.public_id}/messages", {"body": "  "}, format="json"
    )
    assert "body" in assert_error(response, 400)["fields"]


def test_list_query_count_does_not_grow(
    alice, customer_a, throttles_off, django_assert_max_num_queries
):
    for n in range(15):
        services.ticket_create(
            customer=customer_a, subject=f"T{n}", body="b", category=CategoryFactory()
        )
    with django_assert_max_num_queries(2):
        response = alice.get("/api/v1/tickets?page_size=15")
    assert len(response.json()["results"]) == 15


def test_detail_query_count_is_bounded(
    alice, ticket_a, agent, throttles_off, django_assert_max_num_queries
):
    for n in range(5):
        services.ticket_reply(ticket=ticket_a, actor=agent, body=f"reply {n}")
    with django_assert_max_num_queries(5):
        alice.get(f"/api/v1/tickets/{ticket_a.public_id}")
