"""A long ticket's page: only the newest messages and activity are rendered, the earlier ones
load on demand (HTMX fragment, or the full page without JavaScript), and the page's cost does
not grow with the conversation."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from desk.views import ticket as ticket_page
from tests.desk.test_desk_views import TICKET_QUERIES
from tests.factories import CustomerWithAccountFactory, TicketFactory
from tickets.models import TicketEvent, TicketMessage

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


def add_messages(ticket, agent, count: int) -> list[TicketMessage]:
    """`count` messages after the ticket's own, a minute apart; every fifth an internal note."""
    first = ticket.messages.order_by("-created_at").first()
    start = (first.created_at if first else timezone.now()) + timedelta(minutes=1)
    rows = []
    for index in range(count):
        internal = index % 5 == 4
        kind = TicketMessage.AuthorKind.AGENT if index % 2 or internal else "customer"
        rows.append(
            TicketMessage(
                ticket=ticket,
                author_kind=kind,
                author=agent if kind == TicketMessage.AuthorKind.AGENT else None,
                body=f"Message number {index}",
                body_html=f"<p>Message number {index}</p>",
                is_internal=internal,
                created_at=start + timedelta(minutes=index),
            )
        )
    return TicketMessage.objects.bulk_create(rows)


def add_events(ticket, agent, count: int) -> None:
    start = timezone.now() - timedelta(days=2)
    TicketEvent.objects.bulk_create(
        TicketEvent(
            ticket=ticket,
            kind=TicketEvent.Kind.PRIORITY_CHANGED,
            actor=agent,
            from_value="low",
            to_value="high",
            data={"reason": f"Reason number {index}"},
            created_at=start + timedelta(minutes=index),
        )
        for index in range(count)
    )


def page(client, ticket, **params):
    return client.get(reverse("desk:ticket", args=[ticket.reference]), params)


def shown_message_ids(html: str) -> list[int]:
    return [
        int(pk) for pk in re.findall(r'<article class="message [^"]*" id="message-(\d+)"', html)
    ]


def earlier_url(html: str, region: str) -> str:
    block = html[html.index(f'id="{region}-earlier"') :]
    return re.search(r'hx-get="([^"]+)"', block).group(1).replace("&amp;", "&")


@pytest.mark.django_db
def test_a_long_ticket_opens_on_its_newest_messages_and_says_how_many_are_hidden(
    agent_client, agent
):
    ticket = TicketFactory()
    add_messages(ticket, agent, 44)  # 45 with the ticket's first message
    all_ids = list(ticket.messages.order_by("created_at", "id").values_list("id", flat=True))

    html = page(agent_client, ticket).text

    assert shown_message_ids(html) == all_ids[-ticket_page.PAGE_MESSAGES :]
    assert "15 earlier messages not shown" in html
    assert "Show 15 earlier messages" in html
    # Without JavaScript the control is a link to the page with the whole conversation.
    assert f'href="{reverse("desk:ticket", args=[ticket.reference])}?conversation=all' in html
    # The reply collision check still compares against the newest message.
    assert f'name="last_seen" form="reply-form" value="{max(all_ids)}"' in html


@pytest.mark.django_db
def test_earlier_messages_load_on_demand_with_internal_notes_still_marked(agent_client, agent):
    ticket = TicketFactory()
    add_messages(ticket, agent, 44)
    all_ids = list(ticket.messages.order_by("created_at", "id").values_list("id", flat=True))
    url = earlier_url(page(agent_client, ticket).text, "conversation")

    response = agent_client.get(url, **HTMX)

    assert response.status_code == 200
    html = response.text
    assert "<html" not in html
    assert shown_message_ids(html) == all_ids[:15]
    assert "Message number 0" in html and "Message number 13" in html
    assert "Message number 14" not in html  # already on the page
    assert 'id="conversation-earlier"' not in html  # nothing left to load
    # Messages 4 and 9 are internal notes: still marked as such.
    assert html.count("message-internal") == 2
    assert html.count(">Internal note</span>") == 2


@pytest.mark.django_db
def test_earlier_messages_come_in_chunks_with_the_next_control_on_top(
    agent_client, agent, monkeypatch
):
    monkeypatch.setattr(ticket_page, "EARLIER_CHUNK", 10)
    ticket = TicketFactory()
    add_messages(ticket, agent, 44)
    all_ids = list(ticket.messages.order_by("created_at", "id").values_list("id", flat=True))

    first = agent_client.get(earlier_url(page(agent_client, ticket).text, "conversation"), **HTMX)
    assert shown_message_ids(first.text) == all_ids[5:15]
    assert "5 earlier messages not shown" in first.text
    assert first.text.index('id="conversation-earlier"') < first.text.index("<article")

    second = agent_client.get(earlier_url(first.text, "conversation"), **HTMX)
    assert shown_message_ids(second.text) == all_ids[:5]
    assert 'id="conversation-earlier"' not in second.text


@pytest.mark.django_db
def test_without_javascript_the_whole_conversation_is_one_link_away(agent_client, agent):
    ticket = TicketFactory()
    add_messages(ticket, agent, 44)
    fragment = reverse("desk:ticket_conversation", args=[ticket.reference])

    response = agent_client.get(fragment, {"before": 1})
    assert response.status_code == 302
    assert response["Location"].endswith("?conversation=all")

    html = page(agent_client, ticket, conversation="all").text
    assert len(shown_message_ids(html)) == 45
    assert 'id="conversation-earlier"' not in html


@pytest.mark.django_db
def test_a_short_ticket_has_no_show_earlier_control(agent_client, agent):
    ticket = TicketFactory()
    add_messages(ticket, agent, 3)

    html = page(agent_client, ticket).text

    assert len(shown_message_ids(html)) == 4
    assert "show-earlier" not in html


@pytest.mark.django_db
def test_the_activity_shows_its_newest_entries_and_loads_the_rest(agent_client, agent):
    ticket = TicketFactory()
    add_events(ticket, agent, 40)
    total = ticket.events.count()
    hidden = total - ticket_page.PAGE_EVENTS

    html = page(agent_client, ticket).text
    assert html.count('class="timeline-item timeline-') == ticket_page.PAGE_EVENTS
    assert f"{hidden} earlier entries not shown" in html
    assert "Reason number 39" in html and "Reason number 0<" not in html

    fragment = agent_client.get(earlier_url(html, "timeline"), **HTMX)
    assert fragment.status_code == 200
    assert fragment.text.count('class="timeline-item timeline-') == hidden
    assert "Reason number 0<" in fragment.text
    assert 'id="timeline-earlier"' not in fragment.text

    full = page(agent_client, ticket, activity="all").text
    assert full.count('class="timeline-item timeline-') == total


@pytest.mark.django_db
@pytest.mark.parametrize("messages", [5, 120])
def test_the_page_and_its_fragments_cost_the_same_whatever_the_length(
    agent_client, agent, messages, django_assert_num_queries
):
    ticket = TicketFactory()
    add_messages(ticket, agent, messages)
    add_events(ticket, agent, messages)
    newest = ticket.messages.order_by("-created_at", "-id").first()

    with django_assert_num_queries(TICKET_QUERIES):
        page(agent_client, ticket)
    with django_assert_num_queries(TICKET_QUERIES):
        page(agent_client, ticket, conversation="all", activity="all")
    # Session, user with agent profile, the ticket, its tags, the messages and attachments.
    url = reverse("desk:ticket_conversation", args=[ticket.reference])
    with django_assert_num_queries(6):
        agent_client.get(url, {"before": newest.pk}, **HTMX)


@pytest.mark.django_db
def test_the_fragments_refuse_a_missing_cursor_and_non_agents(client, agent_client):
    customer = CustomerWithAccountFactory()
    ticket = TicketFactory(customer=customer)
    for name in ("desk:ticket_conversation", "desk:ticket_activity"):
        url = reverse(name, args=[ticket.reference])
        response = agent_client.get(url, {"before": "x"}, **HTMX)
        assert response.status_code == 400
        assert b"before" in response.content

    client.force_login(customer.user)
    response = client.get(
        reverse("desk:ticket_conversation", args=[ticket.reference]), {"before": 1}, **HTMX
    )
    assert response.status_code in (302, 403, 404)
