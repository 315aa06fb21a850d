"""The live desk: the queue's "changed since" poll, presence on a ticket, the reply collision
check and the keyboard shortcuts' markup."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agents.models import TicketPresence
from agents.presence import presence_for_ticket, presence_touch
from tests.factories import AgentFactory, CustomerWithAccountFactory, TicketFactory
from tickets import services
from tickets.models import SlaState, Status, Ticket, TicketEvent, TicketMessage
from tickets.queue_selectors import QueueFilters
from tickets.queue_version import ticket_queue_version

HTMX = {"HTTP_HX_REQUEST": "true"}
# session, user with agent profile, and the one aggregate over the agent's filter.
CHANGES_QUERIES = 3
# session, user with agent profile, the ticket, the presence upsert, the others on the ticket.
PRESENCE_QUERIES = 5


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def customer_client(client):
    client.force_login(CustomerWithAccountFactory().user)
    return client


def version_of(response) -> str:
    """The version token the queue page was rendered with (in its poll URL)."""
    match = re.search(r"/desk/changes/\?[^\"]*version=([0-9a-f]+)", response.text)
    assert match, "the queue page polls for changes"
    return match.group(1)


def poll_url(response) -> str:
    match = re.search(r'hx-get="(/desk/changes/\?[^"]+)"', response.text)
    return match.group(1).replace("&amp;", "&")


# ---------------------------------------------------------------------------------------------
# The queue's "changed since" poll
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_unchanged_queue_answers_204_and_a_new_ticket_200_with_the_refresh_event(agent_client):
    TicketFactory(subject="Printer on fire")
    page = agent_client.get(reverse("desk:queue"))
    url = poll_url(page)

    unchanged = agent_client.get(url, **HTMX)
    assert unchanged.status_code == 204
    assert unchanged.content == b""

    TicketFactory(subject="Second printer on fire")
    changed = agent_client.get(url, **HTMX)
    assert changed.status_code == 200
    assert "queue-changed" in changed["HX-Trigger"]
    assert changed["Cache-Control"].startswith("max-age=0")

    # The refreshed table carries the new token, which is quiet again.
    table = agent_client.get(reverse("desk:queue"), **HTMX)
    assert "Second printer on fire" in table.text
    assert agent_client.get(poll_url(table), **HTMX).status_code == 204


@pytest.mark.django_db
def test_a_change_to_a_listed_ticket_is_noticed(agent_client, agent):
    ticket = TicketFactory()
    url = poll_url(agent_client.get(reverse("desk:queue")))
    services.ticket_change_priority(ticket=ticket, priority="high", actor=agent)
    assert agent_client.get(url, **HTMX).status_code == 200


@pytest.mark.django_db
def test_the_poll_respects_the_agents_filter(agent_client, agent, other_agent):
    mine = TicketFactory()
    services.ticket_assign(ticket=mine, assignee=agent, actor=agent)
    page = agent_client.get(reverse("desk:queue"), {"assignee": "me", "status": "open"})
    url = poll_url(page)
    assert "assignee=me" in url and "status=open" in url

    # A ticket outside "assigned to me" changes nothing for this view...
    theirs = TicketFactory()
    services.ticket_assign(ticket=theirs, assignee=other_agent, actor=other_agent)
    assert agent_client.get(url, **HTMX).status_code == 204
    # ...one entering it does.
    services.ticket_assign(ticket=theirs, assignee=agent, actor=agent)
    assert agent_client.get(url, **HTMX).status_code == 200


@pytest.mark.django_db
def test_each_agent_polls_their_own_view(agent, other_agent):
    """The compiled statement is kept per agent: "mine" is another filter for each of them."""
    mine = TicketFactory()
    services.ticket_assign(ticket=mine, assignee=agent, actor=agent)
    filters = QueueFilters(assignee="me")

    assert ticket_queue_version(agent=agent, filters=filters).count == 1
    assert ticket_queue_version(agent=other_agent, filters=filters).count == 0

    theirs = TicketFactory()
    services.ticket_assign(ticket=theirs, assignee=other_agent, actor=other_agent)
    assert ticket_queue_version(agent=other_agent, filters=filters).count == 1
    assert ticket_queue_version(agent=agent, filters=filters).count == 1


@pytest.mark.django_db
def test_a_searched_view_notices_a_match_going_at_risk(agent_client):
    match = TicketFactory(subject="Invoice missing")
    TicketFactory(subject="Printer on fire")
    url = poll_url(agent_client.get(reverse("desk:queue"), {"q": "invoice"}))
    assert "q=invoice" in url
    assert agent_client.get(url, **HTMX).status_code == 204

    # The sweep writes the SLA summary without touching updated_at.
    Ticket.objects.filter(pk=match.pk).update(sla_state=SlaState.AT_RISK)

    assert agent_client.get(url, **HTMX).status_code == 200


@pytest.mark.django_db
def test_the_default_queue_polls_its_default_filter(agent_client, agent):
    ticket = TicketFactory()
    url = poll_url(agent_client.get(reverse("desk:queue")))
    services.ticket_transition(ticket=ticket, to_status=Status.IN_PROGRESS, actor=agent)
    url = poll_url(agent_client.get(reverse("desk:queue")))
    services.ticket_resolve(ticket=ticket, actor=agent, resolution="Fixed")
    # Resolved tickets leave the default view (open statuses only): that is a change.
    assert agent_client.get(url, **HTMX).status_code == 200
    # Without any filter in the poll the default view is compared.
    version = version_of(agent_client.get(reverse("desk:queue")))
    bare = agent_client.get(reverse("desk:queue_changes"), {"version": version}, **HTMX)
    assert bare.status_code == 204


@pytest.mark.django_db
def test_a_stale_or_missing_version_is_a_change(agent_client):
    TicketFactory()
    response = agent_client.get(reverse("desk:queue_changes"), {"version": "nonsense"}, **HTMX)
    assert response.status_code == 200
    assert agent_client.get(reverse("desk:queue_changes"), **HTMX).status_code == 200


@pytest.mark.django_db
def test_the_poll_is_for_agents_only(customer_client):
    url = reverse("desk:queue_changes")
    assert customer_client.get(url).status_code == 403
    anonymous = Client().get(url, **HTMX, HTTP_HX_CURRENT_URL="http://testserver/desk/")
    assert anonymous["HX-Redirect"] == f"{reverse('login')}?next=/desk/"
    assert customer_client.post(url).status_code in (403, 405)


@pytest.mark.django_db
@pytest.mark.parametrize("count", [3, 25])
def test_the_poll_costs_one_query_whatever_the_queue(
    agent_client, agent, count, django_assert_num_queries
):
    for index in range(count):
        TicketFactory(tags=["shared", f"t{index}"])
    url = poll_url(agent_client.get(reverse("desk:queue"), {"tag": "shared", "sort": "priority"}))
    with django_assert_num_queries(CHANGES_QUERIES):
        assert agent_client.get(url, **HTMX).status_code == 204


# ---------------------------------------------------------------------------------------------
# Presence
# ---------------------------------------------------------------------------------------------


def presence_url(ticket) -> str:
    return reverse("desk:ticket_presence", args=[ticket.reference])


@pytest.mark.django_db
def test_the_heartbeat_shows_other_agents_viewing_and_replying(agent_client, agent, ticket):
    dana = AgentFactory(agent_profile__display_name="Dana Scully")
    fox = AgentFactory(agent_profile__display_name="Fox Mulder")
    presence_touch(ticket=ticket, user=dana, state="replying")
    presence_touch(ticket=ticket, user=fox, state="viewing")

    response = agent_client.post(presence_url(ticket), {"state": "viewing"}, **HTMX)

    assert response.status_code == 200
    text = re.sub(r"\s+", " ", response.text)
    assert "<strong>Dana Scully</strong> is replying" in text
    assert "<strong>Fox Mulder</strong> is viewing" in text
    assert text.index("Dana Scully") < text.index("Fox Mulder")  # replying first
    assert agent.agent_profile.display_name not in text  # never yourself
    row = TicketPresence.objects.get(ticket=ticket, user=agent)
    assert row.state == "viewing"


@pytest.mark.django_db
def test_each_beat_refreshes_one_row_and_its_state(agent_client, agent, ticket):
    agent_client.post(presence_url(ticket), {"state": "viewing"}, **HTMX)
    agent_client.post(presence_url(ticket), {"state": "replying"}, **HTMX)
    agent_client.post(presence_url(ticket), {"state": "bogus"}, **HTMX)
    rows = TicketPresence.objects.filter(ticket=ticket)
    assert rows.count() == 1
    assert rows.get().state == "viewing"  # an unknown state counts as viewing


@pytest.mark.django_db
def test_stale_presence_is_hidden(agent_client, ticket):
    dana = AgentFactory(agent_profile__display_name="Dana Scully")
    presence_touch(ticket=ticket, user=dana, state="replying")
    TicketPresence.objects.filter(user=dana).update(
        last_seen=timezone.now() - timedelta(seconds=45)
    )
    response = agent_client.post(presence_url(ticket), {"state": "viewing"}, **HTMX)
    assert "Dana Scully" not in response.text
    assert presence_for_ticket(ticket=ticket) != []  # only the beating agent is left


@pytest.mark.django_db
def test_leaving_the_page_removes_the_agent_at_once(agent_client, agent, ticket):
    agent_client.post(presence_url(ticket), {"state": "viewing"}, **HTMX)
    response = agent_client.post(presence_url(ticket), {"state": "gone"})
    assert response.status_code == 204
    assert not TicketPresence.objects.filter(ticket=ticket, user=agent).exists()


@pytest.mark.django_db
def test_presence_is_for_agents_only(customer_client, ticket):
    assert customer_client.post(presence_url(ticket), {"state": "viewing"}).status_code == 403
    assert Client().post(presence_url(ticket), {"state": "viewing"}).status_code == 302
    assert not TicketPresence.objects.exists()


@pytest.mark.django_db
def test_presence_needs_post_and_a_real_ticket(agent_client, ticket):
    assert agent_client.get(presence_url(ticket)).status_code == 405
    missing = agent_client.post("/desk/tickets/TKT-99999/presence/", {"state": "viewing"})
    assert missing.status_code == 404


@pytest.mark.django_db
def test_the_heartbeat_is_cheap(agent_client, ticket, django_assert_num_queries):
    for _ in range(4):
        presence_touch(ticket=ticket, user=AgentFactory(), state="viewing")
    agent_client.post(presence_url(ticket), {"state": "viewing"}, **HTMX)
    with django_assert_num_queries(PRESENCE_QUERIES):
        response = agent_client.post(presence_url(ticket), {"state": "replying"}, **HTMX)
    assert response.text.count("presence-agent") == 4


@pytest.mark.django_db
def test_the_ticket_page_beats_without_costing_a_query(agent_client, ticket):
    html = agent_client.get(reverse("desk:ticket", args=[ticket.reference])).text
    assert f'hx-post="{presence_url(ticket)}"' in html
    assert 'hx-trigger="load, every 10s, presence-change"' in html


# ---------------------------------------------------------------------------------------------
# Reply collisions
# ---------------------------------------------------------------------------------------------


def reply_url(ticket) -> str:
    return reverse("desk:ticket_reply", args=[ticket.reference])


def last_seen_on_page(client, ticket) -> int:
    html = client.get(reverse("desk:ticket", args=[ticket.reference])).text
    match = re.search(r'name="last_seen" form="reply-form" value="(\d+)"', html)
    assert match, "the conversation carries the newest message id for the reply form"
    return int(match.group(1))


@pytest.mark.django_db
def test_a_colleagues_reply_meanwhile_stops_the_send_with_409(agent_client, agent, ticket):
    seen = last_seen_on_page(agent_client, ticket)
    dana = AgentFactory(agent_profile__display_name="Dana Scully")
    services.ticket_reply(ticket=ticket, actor=dana, body="Restart the exporter, please.")
    before = TicketMessage.objects.count()

    response = agent_client.post(
        reply_url(ticket), {"body": "Try clearing the cache.", "last_seen": seen}, **HTMX
    )

    assert response.status_code == 409
    assert TicketMessage.objects.count() == before  # nothing sent
    assert not ticket.events.filter(kind=TicketEvent.Kind.REPLIED, actor=agent).exists()
    warning = response.text[response.text.index('id="reply-collision"') :]
    assert "Dana Scully" in warning and "Restart the exporter, please." in warning
    assert "Send anyway" in warning
    assert 'name="confirm" value="1"' in warning
    # The conversation is refreshed too, with the new id to carry.
    assert 'id="ticket-conversation"' in response.text
    newest = TicketMessage.objects.filter(ticket=ticket).order_by("-id").first().pk
    assert f'name="last_seen" form="reply-form" value="{newest}"' in response.text
    # The agent's text stays in the form: the region swapped is only the warning.
    assert "<textarea" not in response.text


@pytest.mark.django_db
def test_send_anyway_sends_the_reply(agent_client, agent, ticket):
    seen = last_seen_on_page(agent_client, ticket)
    services.ticket_customer_reply(ticket=ticket, customer=ticket.customer, body="Any news?")

    response = agent_client.post(
        reply_url(ticket),
        {"body": "Working on it.", "last_seen": seen, "confirm": "1"},
        **HTMX,
    )

    assert response.status_code == 200
    assert ticket.messages.filter(author=agent, body="Working on it.").exists()
    assert "ticket-changed" in response["HX-Trigger"]


@pytest.mark.django_db
def test_a_customer_message_meanwhile_also_warns(agent_client, ticket):
    seen = last_seen_on_page(agent_client, ticket)
    services.ticket_customer_reply(ticket=ticket, customer=ticket.customer, body="Any news?")
    response = agent_client.post(
        reply_url(ticket), {"body": "Working on it.", "last_seen": seen}, **HTMX
    )
    assert response.status_code == 409
    assert ticket.customer.name in response.text


@pytest.mark.django_db
def test_notes_and_own_replies_do_not_warn(agent_client, agent, ticket):
    seen = last_seen_on_page(agent_client, ticket)
    services.ticket_add_note(ticket=ticket, actor=AgentFactory(), body="Internal only")
    services.ticket_reply(ticket=ticket, actor=agent, body="My earlier reply in another tab")
    response = agent_client.post(
        reply_url(ticket), {"body": "And one more thing.", "last_seen": seen}, **HTMX
    )
    assert response.status_code == 200
    assert ticket.messages.filter(body="And one more thing.").exists()


@pytest.mark.django_db
def test_an_up_to_date_reply_is_sent_straight_away(agent_client, agent, ticket):
    seen = last_seen_on_page(agent_client, ticket)
    response = agent_client.post(reply_url(ticket), {"body": "Hello.", "last_seen": seen}, **HTMX)
    assert response.status_code == 200
    assert ticket.messages.filter(author=agent).count() == 1


@pytest.mark.django_db
def test_an_empty_reply_is_still_bad_input_not_a_collision(agent_client, ticket):
    seen = last_seen_on_page(agent_client, ticket)
    services.ticket_reply(ticket=ticket, actor=AgentFactory(), body="Meanwhile")
    response = agent_client.post(reply_url(ticket), {"body": "", "last_seen": seen}, **HTMX)
    assert response.status_code == 400


@pytest.mark.django_db
def test_plain_post_collision_renders_the_page_with_the_warning(agent_client, ticket):
    seen = last_seen_on_page(agent_client, ticket)
    services.ticket_reply(ticket=ticket, actor=AgentFactory(), body="Meanwhile")
    response = agent_client.post(reply_url(ticket), {"body": "Mine", "last_seen": seen})
    assert response.status_code == 409
    assert "<html" in response.text
    assert "Send anyway" in response.text
    assert ">Mine</textarea>" in response.text  # the agent's text is kept
    assert not ticket.messages.filter(body="Mine").exists()


# ---------------------------------------------------------------------------------------------
# Keyboard shortcuts
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_queue_and_ticket_pages_list_their_shortcuts(agent_client, ticket):
    queue = agent_client.get(reverse("desk:queue")).text
    page = agent_client.get(reverse("desk:ticket", args=[ticket.reference])).text
    for html in (queue, page):
        assert 'id="shortcut-help"' in html
        assert "Keyboard shortcuts" in html
        assert "data-shortcut-help" in html
        for key in ["j", "k", "o", "a", "r", "n", "[", "]", "?", "Esc"]:
            assert f"<kbd>{key}</kbd>" in html, key
    # The queue rows carry what the keys act on.
    assert f'data-ref="{ticket.reference}"' in queue
    assert f'data-claim-url="{reverse("desk:ticket_claim", args=[ticket.reference])}"' in queue
    assert "data-queue-link" in page
