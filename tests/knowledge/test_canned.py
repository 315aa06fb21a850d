"""Canned responses: placeholders checked at save and filled per ticket, sending with its
follow-up status, usage counting, and the desk's search and insert endpoints."""

from datetime import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from common.exceptions import ApplicationError
from knowledge.models import CannedResponse
from knowledge.placeholders import fill, find_problems
from knowledge.selectors import canned_responses_for_ticket
from knowledge.services import (
    canned_response_create,
    canned_response_mark_used,
    canned_response_render,
    canned_response_send,
)
from tests.factories import (
    AgentFactory,
    CategoryFactory,
    CustomerFactory,
    CustomerWithAccountFactory,
    OrganizationFactory,
    TicketFactory,
)
from tickets import services
from tickets.models import Status, Ticket, TicketEvent, TicketMessage

HTMX = {"HTTP_HX_REQUEST": "true"}
ALL_SIX = "{customer_name}|{ticket_id}|{category}|{created_date}|{agent_name}|{company}"
# session, user with agent profile, the ticket (customer, organization, category joined),
# the matching responses.
SEARCH_QUERIES = 4
# session, user with agent profile, the ticket, the response, the usage count update.
INSERT_QUERIES = 5


def usage(response: CannedResponse) -> int:
    response.refresh_from_db(fields=["usage_count"])
    return response.usage_count


def status_events(ticket: Ticket) -> list[tuple[str, str]]:
    return list(
        ticket.events.filter(kind=TicketEvent.Kind.STATUS_CHANGED)
        .order_by("id")
        .values_list("from_value", "to_value")
    )


@pytest.fixture
def agent(db):
    return AgentFactory(agent_profile__display_name="Riley Agent")


@pytest.fixture
def billing_ticket(db):
    organization = OrganizationFactory(name="Example Co")
    customer = CustomerFactory(name="Ada Lovelace", organization=organization)
    ticket = TicketFactory(customer=customer, category=CategoryFactory())
    filed = timezone.make_aware(datetime(2026, 11, 3, 12, 0))
    Ticket.objects.filter(pk=ticket.pk).update(created_at=filed)
    ticket.refresh_from_db()
    return ticket


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


# Placeholders ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_render_fills_all_six_placeholders(billing_ticket, agent):
    response = canned_response_create(name="All", content=ALL_SIX)

    text = canned_response_render(response=response, ticket=billing_ticket, agent=agent)

    assert (
        text == f"Ada Lovelace|{billing_ticket.reference}|Billing|3 Nov 2026|Riley Agent|Example Co"
    )


@pytest.mark.django_db
def test_render_without_category_organization_or_agent_uses_the_fallbacks():
    ticket = TicketFactory(customer=CustomerFactory(name="Bo"), category=None)
    response = canned_response_create(name="All", content=ALL_SIX)

    text = canned_response_render(response=response, ticket=ticket)

    name, _, category, _, agent_name, company = text.split("|")
    assert (name, category, agent_name, company) == ("Bo", "General", "Support team", "")


def test_doubled_braces_are_literal_braces():
    assert fill("{{customer_name}} is {customer_name}", {"customer_name": "Ada"}) == (
        "{customer_name} is Ada"
    )
    assert not find_problems('JSON looks like {{"a": 1}}')


@pytest.mark.django_db
def test_unknown_placeholders_are_refused_naming_them_and_the_allowed_ones():
    with pytest.raises(ValidationError) as refused:
        canned_response_create(name="Typo", content="Hi {customer}, about {ticket_ref}.")

    (message,) = refused.value.message_dict["content"]
    assert message.startswith("Unknown placeholders {customer}, {ticket_ref}.")
    allowed = "{customer_name}, {ticket_id}, {category}, {created_date}, {agent_name}, {company}"
    assert f"Allowed: {allowed}." in message
    assert not CannedResponse.objects.exists()


@pytest.mark.django_db
def test_a_lone_brace_is_refused_with_its_line():
    with pytest.raises(ValidationError) as refused:
        canned_response_create(name="Brace", content="Hi {customer_name},\nsee the } below")

    assert refused.value.message_dict["content"] == [
        "A lone “}” on line 2 is not a placeholder; write “}}” for a literal brace."
    ]


@pytest.mark.django_db
def test_follow_up_status_must_be_one_a_reply_can_lead_to():
    with pytest.raises(ValidationError) as refused:
        canned_response_create(name="Close", content="Bye", follow_up_status=Status.CLOSED)

    assert "follow_up_status" in refused.value.message_dict


# Sending --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_send_replies_with_the_filled_text_counts_it_and_applies_the_follow_up(
    billing_ticket, agent
):
    response = canned_response_create(
        name="Need details",
        content="Hi {customer_name}, which invoice is {ticket_id} about?",
        follow_up_status=Status.WAITING_CUSTOMER,
    )

    result = canned_response_send(response=response, ticket=billing_ticket, actor=agent)

    message = result.message
    assert message.body == f"Hi Ada Lovelace, which invoice is {billing_ticket.reference} about?"
    assert message.author == agent and not message.is_internal
    assert message.author_kind == TicketMessage.AuthorKind.AGENT
    assert result.follow_up_status == Status.WAITING_CUSTOMER and result.follow_up_note == ""
    billing_ticket.refresh_from_db()
    assert billing_ticket.status == Status.WAITING_CUSTOMER
    # The reply moved it open → in progress, the follow-up in progress → waiting on customer.
    assert status_events(billing_ticket) == [
        (Status.OPEN, Status.IN_PROGRESS),
        (Status.IN_PROGRESS, Status.WAITING_CUSTOMER),
    ]
    follow_up = billing_ticket.events.filter(kind=TicketEvent.Kind.STATUS_CHANGED).last()
    assert follow_up.actor == agent
    assert follow_up.data["reason"] == "Follow-up of the canned response “Need details”"
    assert usage(response) == 1


@pytest.mark.django_db
def test_follow_up_resolved_uses_the_reply_as_the_resolution(billing_ticket, agent):
    response = canned_response_create(
        name="Fixed", content="Fixed for {customer_name}.", follow_up_status=Status.RESOLVED
    )

    canned_response_send(response=response, ticket=billing_ticket, actor=agent)

    billing_ticket.refresh_from_db()
    assert billing_ticket.status == Status.RESOLVED
    assert billing_ticket.resolution == "Fixed for Ada Lovelace."


@pytest.mark.django_db
def test_follow_up_not_allowed_from_the_current_status_is_skipped_with_a_note(
    billing_ticket, agent
):
    services.ticket_transition(ticket=billing_ticket, to_status=Status.IN_PROGRESS, actor=agent)
    services.ticket_transition(
        ticket=billing_ticket, to_status=Status.WAITING_INTERNAL, actor=agent
    )
    response = canned_response_create(
        name="Waiting", content="We asked you.", follow_up_status=Status.WAITING_CUSTOMER
    )
    events_before = status_events(billing_ticket)

    result = canned_response_send(response=response, ticket=billing_ticket, actor=agent)

    billing_ticket.refresh_from_db()
    assert billing_ticket.status == Status.WAITING_INTERNAL
    assert status_events(billing_ticket) == events_before
    assert result.follow_up_status == ""
    assert result.follow_up_note == (
        f"Not moved to Waiting on customer: {billing_ticket.reference} is waiting internally."
    )
    assert result.message.pk and usage(response) == 1


@pytest.mark.django_db
def test_send_without_a_follow_up_leaves_the_status_to_the_reply(billing_ticket, agent):
    response = canned_response_create(name="Hello", content="Hello {customer_name}")

    result = canned_response_send(response=response, ticket=billing_ticket, actor=agent)

    billing_ticket.refresh_from_db()
    assert billing_ticket.status == Status.IN_PROGRESS
    assert result.follow_up_status == "" and result.follow_up_note == ""


@pytest.mark.django_db
def test_send_needs_an_agent_actor(billing_ticket):
    response = canned_response_create(name="Hello", content="Hello")

    with pytest.raises(ApplicationError):
        canned_response_send(response=response, ticket=billing_ticket, actor=None)

    assert usage(response) == 0
    assert not billing_ticket.messages.filter(author_kind="agent").exists()


@pytest.mark.django_db
def test_mark_used_counts_every_use():
    response = canned_response_create(name="Hello", content="Hello")

    canned_response_mark_used(response=response)
    canned_response_mark_used(response=response)

    assert usage(response) == 2


# Selectors ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_search_offers_the_tickets_category_first_then_general_never_others(billing_ticket, agent):
    other = CategoryFactory(slug="bug", name="Bug", prefix="BUG")
    canned_response_create(name="A general refund note", content="Refund")
    canned_response_create(
        name="Z billing refund", content="Refund", category=billing_ticket.category
    )
    canned_response_create(name="Bug refund", content="Refund", category=other)
    canned_response_create(name="Old refund", content="Refund", active=False)
    canned_response_create(name="Welcome", content="Hello")

    found = canned_responses_for_ticket(agent=agent, ticket=billing_ticket, query="refund")

    assert [r.name for r in found] == ["Z billing refund", "A general refund note"]


# Desk endpoints -------------------------------------------------------------------------


@pytest.mark.django_db
def test_search_endpoint_lists_matches_with_a_snippet(
    agent_client, billing_ticket, django_assert_num_queries
):
    canned_response_create(name="Refund policy", content="Refunds within 30 days.")
    canned_response_create(name="Welcome", content="Hello")
    url = reverse("desk:canned_search", args=[billing_ticket.reference])

    with django_assert_num_queries(SEARCH_QUERIES):
        response = agent_client.get(url, {"q": "refund"}, **HTMX)

    assert response.status_code == 200
    assert 'id="canned-results"' in response.text
    assert "Refund policy" in response.text and "Refunds within 30 days." in response.text
    assert "Welcome" not in response.text
    assert "<html" not in response.text


@pytest.mark.django_db
def test_search_endpoint_says_when_nothing_matches(agent_client, billing_ticket):
    url = reverse("desk:canned_search", args=[billing_ticket.reference])

    response = agent_client.get(url, {"q": "zebra"}, **HTMX)

    assert "No canned response matches “zebra”." in response.text


@pytest.mark.django_db
def test_insert_endpoint_fills_the_response_and_counts_the_use(
    agent_client, billing_ticket, django_assert_num_queries
):
    canned = canned_response_create(name="Hi", content="Hi {customer_name}, {agent_name} here.")
    url = reverse("desk:canned_insert", args=[billing_ticket.reference, canned.pk])

    with django_assert_num_queries(INSERT_QUERIES):
        response = agent_client.post(url, **HTMX)

    assert response.status_code == 200
    assert response.json() == {
        "id": canned.pk,
        "name": "Hi",
        "body": "Hi Ada Lovelace, Riley Agent here.",
    }
    assert usage(canned) == 1
    # A GET previews without counting.
    assert agent_client.get(url).json()["body"] == "Hi Ada Lovelace, Riley Agent here."
    assert usage(canned) == 1
    assert not billing_ticket.messages.filter(author_kind="agent").exists()


@pytest.mark.django_db
def test_insert_endpoint_refuses_responses_of_other_categories_and_inactive_ones(
    agent_client, billing_ticket
):
    other = CategoryFactory(slug="bug", name="Bug", prefix="BUG")
    foreign = canned_response_create(name="Bug", content="x", category=other)
    inactive = canned_response_create(name="Old", content="x", active=False)

    for canned in (foreign, inactive):
        url = reverse("desk:canned_insert", args=[billing_ticket.reference, canned.pk])
        assert agent_client.post(url).status_code == 404
        assert usage(canned) == 0


@pytest.mark.django_db
def test_canned_endpoints_are_for_agents_only(client, billing_ticket):
    canned = canned_response_create(name="Hi", content="Hi")
    search = reverse("desk:canned_search", args=[billing_ticket.reference])
    insert = reverse("desk:canned_insert", args=[billing_ticket.reference, canned.pk])

    for url in (search, insert):
        anonymous = client.get(url)
        assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]

    client.force_login(CustomerWithAccountFactory().user)
    assert client.get(search).status_code == 403
    assert client.post(insert).status_code == 403
    assert usage(canned) == 0


@pytest.mark.django_db
def test_ticket_page_has_the_picker_without_loading_responses(agent_client, billing_ticket):
    canned_response_create(name="Refund policy", content="Refunds")

    page = agent_client.get(reverse("desk:ticket", args=[billing_ticket.reference]))

    assert 'id="canned-search"' in page.text
    assert f'hx-get="/desk/tickets/{billing_ticket.reference}/canned/"' in page.text
    assert "Refund policy" not in page.text


@pytest.mark.django_db
def test_admin_preview_shows_sample_values(admin_client):
    canned = canned_response_create(name="Hi", content="Hi **{customer_name}**")

    page = admin_client.get(reverse("admin:knowledge_cannedresponse_change", args=[canned.pk]))

    assert page.status_code == 200
    assert "Hi <strong>Ada Lovelace</strong>" in page.text


@pytest.mark.django_db
def test_admin_refuses_unknown_placeholders(admin_client):
    page = admin_client.post(
        reverse("admin:knowledge_cannedresponse_add"),
        {"name": "Bad", "slug": "bad", "content": "Hi {nme}", "active": "on"},
    )

    assert page.status_code == 200
    assert "Unknown placeholder {nme}." in page.text
    assert not CannedResponse.objects.exists()
