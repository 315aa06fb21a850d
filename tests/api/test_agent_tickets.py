"""Agent endpoints: the queue, one ticket, PATCH through the lifecycle verbs (all or nothing),
replies and internal notes, escalation."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api.conftest import assert_error
from tests.factories import CategoryFactory, TeamFactory, TicketFactory
from tickets import services
from tickets.models import Priority, Status, TicketEvent, TicketMessage

pytestmark = pytest.mark.django_db


def test_queue_lists_every_ticket_with_filters(agent_client, agent, ticket_a, ticket_b):
    services.ticket_change_priority(ticket=ticket_b, priority="critical", actor=agent)
    services.ticket_claim(ticket=ticket_a, agent=agent)

    everything = agent_client.get("/api/v1/agent/tickets").json()["results"]
    critical = agent_client.get("/api/v1/agent/tickets?priority=critical").json()["results"]
    mine = agent_client.get("/api/v1/agent/tickets?assignee=me").json()["results"]
    text = agent_client.get("/api/v1/agent/tickets?q=secret").json()["results"]

    assert {t["reference"] for t in everything} == {ticket_a.reference, ticket_b.reference}
    assert [t["reference"] for t in critical] == [ticket_b.reference]
    assert [t["reference"] for t in mine] == [ticket_a.reference]
    assert mine[0]["assignee"]["id"] == agent.pk
    assert [t["reference"] for t in text] == [ticket_b.reference]


def test_queue_filters_by_status_sla_team_and_category(agent_client, agent, customer_a):
    team = TeamFactory(slug="tier-2")
    category = CategoryFactory()
    ticket = TicketFactory(customer=customer_a, category=category)
    TicketFactory(customer=customer_a)
    services.ticket_change_team(ticket=ticket, team=team, actor=agent)

    by_team = agent_client.get("/api/v1/agent/tickets?team=tier-2").json()["results"]
    by_category = agent_client.get("/api/v1/agent/tickets?category=billing").json()["results"]
    ticket.refresh_from_db()
    by_sla = agent_client.get(
        f"/api/v1/agent/tickets?status=open&sla={ticket.sla_state or 'breached'}&team=tier-2"
    ).json()["results"]
    closed = agent_client.get("/api/v1/agent/tickets?status=closed").json()["results"]

    assert [t["reference"] for t in by_team] == [ticket.reference]
    assert [t["reference"] for t in by_category] == [ticket.reference]
    assert [t["reference"] for t in by_sla] == ([ticket.reference] if ticket.sla_state else [])
    assert closed == []


def test_queue_bad_filters_are_400_with_fields(agent_client):
    response = agent_client.get("/api/v1/agent/tickets?status=nope&priority=x&assignee=bob")

    assert set(assert_error(response, 400)["fields"]) == {"status", "priority", "assignee"}


def test_queue_cursor_pagination(agent_client, customer_a):
    for _ in range(5):
        TicketFactory(customer=customer_a)

    first = agent_client.get("/api/v1/agent/tickets?page_size=2").json()
    second = agent_client.get(first["next"]).json()
    third = agent_client.get(second["next"]).json()

    refs = [t["reference"] for page in (first, second, third) for t in page["results"]]
    assert len(refs) == 5 == len(set(refs))
    assert "cursor=" in first["next"]
    assert third["next"] is None
    assert first["previous"] is None


def test_queue_query_count_does_not_grow(
    agent_client, agent, customer_a, throttles_off, django_assert_max_num_queries
):
    team = TeamFactory()
    for _ in range(12):
        ticket = TicketFactory(customer=customer_a, category=CategoryFactory())
        services.ticket_assign(ticket=ticket, assignee=agent, actor=agent)
        services.ticket_change_team(ticket=ticket, team=team, actor=agent)
        services.ticket_set_tags(ticket=ticket, tags=["vip", "refund"], actor=agent)
    with django_assert_max_num_queries(3):
        response = agent_client.get("/api/v1/agent/tickets?page_size=12")
    assert len(response.json()["results"]) == 12


def test_agent_detail_includes_internal_notes_marked(agent_client, agent, ticket_a):
    services.ticket_add_note(ticket=ticket_a, actor=agent, body="internal only")

    messages = agent_client.get(f"/api/v1/agent/tickets/{ticket_a.reference}").json()["messages"]

    assert [(m["body"], m["is_internal"]) for m in messages][-1] == ("internal only", True)


def test_patch_applies_each_field_through_its_verb(agent_client, agent, second_agent, ticket_a):
    category = CategoryFactory()
    team = TeamFactory(slug="billing-team")
    response = agent_client.patch(
        f"/api/v1/agent/tickets/{ticket_a.reference}",
        {
            "status": "in_progress",
            "priority": "urgent",
            "category": category.slug,
            "team": team.slug,
            "tags": ["VIP", "refund"],
            "assignee": second_agent.pk,
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == Status.IN_PROGRESS
    assert body["priority"] == Priority.CRITICAL
    assert body["category"] == "billing"
    assert body["team"] == "billing-team"
    assert body["tags"] == ["refund", "vip"]
    assert body["assignee"]["id"] == second_agent.pk
    kinds = list(ticket_a.events.values_list("kind", flat=True))
    for kind in (
        TicketEvent.Kind.STATUS_CHANGED,
        TicketEvent.Kind.PRIORITY_CHANGED,
        TicketEvent.Kind.CATEGORY_CHANGED,
        TicketEvent.Kind.TEAM_CHANGED,
        TicketEvent.Kind.TAGS_CHANGED,
        TicketEvent.Kind.ASSIGNED,
    ):
        assert kinds.count(kind) == 1, kind


def test_patch_refused_transition_is_409_and_changes_nothing(agent_client, ticket_a):
    response = agent_client.patch(
        f"/api/v1/agent/tickets/{ticket_a.reference}",
        {"priority": "high", "status": "closed"},
        format="json",
    )

    error = assert_error(response, 409, "transition_refused")
    assert "cannot move from Open to Closed" in error["message"]
    ticket_a.refresh_from_db()
    assert ticket_a.priority == Priority.MEDIUM
    assert not ticket_a.events.filter(kind=TicketEvent.Kind.PRIORITY_CHANGED).exists()


def test_patch_resolve_needs_a_resolution(agent_client, agent, ticket_a):
    services.ticket_transition(ticket=ticket_a, to_status=Status.IN_PROGRESS, actor=agent)
    url = f"/api/v1/agent/tickets/{ticket_a.reference}"

    missing = agent_client.patch(url, {"status": "resolved"}, format="json")
    done = agent_client.patch(url, {"status": "resolved", "resolution": "Fixed"}, format="json")

    assert "resolution" in assert_error(missing, 400)["fields"]
    assert done.json()["status"] == "resolved"


def test_patch_bad_input_is_400_per_field(agent_client, customer_a, ticket_a):
    response = agent_client.patch(
        f"/api/v1/agent/tickets/{ticket_a.reference}",
        {"priority": "whenever", "assignee": customer_a.user.pk, "status": "lost"},
        format="json",
    )
    assert set(assert_error(response, 400)["fields"]) == {"priority", "status"}

    not_an_agent = agent_client.patch(
        f"/api/v1/agent/tickets/{ticket_a.reference}",
        {"assignee": customer_a.user.pk},
        format="json",
    )
    assert "assignee" in assert_error(not_an_agent, 400)["fields"]

    empty = agent_client.patch(f"/api/v1/agent/tickets/{ticket_a.reference}", {}, format="json")
    assert_error(empty, 400)


def test_patch_unknown_ticket_is_404(agent_client):
    assert_error(agent_client.patch("/api/v1/agent/tickets/TKT-99999", {}, format="json"), 404)


def test_agent_reply_and_internal_note(agent_client, ticket_a):
    url = f"/api/v1/agent/tickets/{ticket_a.reference}/messages"

    reply = agent_client.post(
        url,
        {"body": "Hello", "attachments": [SimpleUploadedFile("log.txt", b"trace")]},
        format="multipart",
    )
    note = agent_client.post(url, {"body": "Between us", "internal": True}, format="json")

    assert reply.status_code == 201 and reply.json()["is_internal"] is False
    assert reply.json()["attachments"][0]["url"].startswith("/desk/attachments/")
    assert note.status_code == 201 and note.json()["is_internal"] is True
    assert TicketMessage.objects.filter(ticket=ticket_a, is_internal=True).count() == 1
    ticket_a.refresh_from_db()
    assert ticket_a.status == Status.IN_PROGRESS  # the first public reply moved it


def test_internal_note_with_attachment_is_400(agent_client, ticket_a):
    response = agent_client.post(
        f"/api/v1/agent/tickets/{ticket_a.reference}/messages",
        {"body": "x", "internal": "true", "attachments": [SimpleUploadedFile("a.txt", b"a")]},
        format="multipart",
    )
    assert "attachments" in assert_error(response, 400)["fields"]


def test_escalate(agent_client, ticket_a):
    url = f"/api/v1/agent/tickets/{ticket_a.reference}/escalate"

    response = agent_client.post(url, {"reason": "Customer is a VIP"}, format="json")
    missing = agent_client.post(url, {}, format="json")

    assert response.status_code == 200
    assert response.json()["escalation_level"] == 1
    assert response.json()["priority"] == Priority.HIGH
    assert "reason" in assert_error(missing, 400)["fields"]


def test_escalating_a_resolved_ticket_is_409(agent_client, agent, ticket_a):
    services.ticket_transition(ticket=ticket_a, to_status=Status.IN_PROGRESS, actor=agent)
    services.ticket_resolve(ticket=ticket_a, actor=agent, resolution="done")

    response = agent_client.post(
        f"/api/v1/agent/tickets/{ticket_a.reference}/escalate", {"reason": "x"}, format="json"
    )
    assert_error(response, 409, "ticket_resolved")


def test_agent_detail_query_count_is_bounded(
    agent_client, agent, ticket_a, throttles_off, django_assert_max_num_queries
):
    for n in range(6):
        services.ticket_reply(
            ticket=ticket_a,
            actor=agent,
            body=f"reply {n}",
            files=[SimpleUploadedFile(f"f{n}.txt", b"x")],
        )
        services.ticket_add_note(ticket=ticket_a, actor=agent, body=f"note {n}")
    with django_assert_max_num_queries(6):
        response = agent_client.get(f"/api/v1/agent/tickets/{ticket_a.reference}")
    assert len(response.json()["messages"]) == 13


def test_the_agent_ticket_carries_the_sentiment(agent_client, ticket_a):
    url = f"/api/v1/agent/tickets/{ticket_a.reference}"
    assert agent_client.get(url).json()["sentiment"] is None

    services.ticket_set_sentiment(ticket=ticket_a, sentiment="negative")

    assert agent_client.get(url).json()["sentiment"] == "negative"
    queue = agent_client.get("/api/v1/agent/tickets").json()["results"]
    assert [t["sentiment"] for t in queue if t["reference"] == ticket_a.reference] == ["negative"]
