"""The agent desk: permissions, the queue, the ticket page and every ticket action."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    AgentFactory,
    CategoryFactory,
    CustomerWithAccountFactory,
    TeamFactory,
    TicketFactory,
)
from tickets import services
from tickets.models import Attachment, Status, Ticket, TicketEvent, TicketMessage

HTMX = {"HTTP_HX_REQUEST": "true"}

ACTIONS = [
    "ticket_reply",
    "ticket_note",
    "ticket_claim",
    "ticket_assign",
    "ticket_team",
    "ticket_status",
    "ticket_priority",
    "ticket_category",
    "ticket_tags",
    "ticket_escalate",
    "ticket_resolve",
    "ticket_acknowledge",
    "ticket_merge",
]

# Queries for one queue page, whatever its length: session, user with agent profile, the
# select options (agents, teams and categories in one query), the count, the page of
# tickets, their tags and their assignees (none when no ticket on the page has one), and the
# bell's unread count.
QUEUE_QUERIES = 8
# The HTMX partial has no filter bar, so no select options.
QUEUE_PARTIAL_QUERIES = 6
# A page where nobody is assigned skips the assignees' query.
UNASSIGNED = 1
# Queries for the ticket page, whatever the length of the conversation: session, user with
# agent profile, the ticket, its tags, messages, attachments and events, the select options
# (agents, teams, categories: three), the bell's unread count, the SLA clocks and SLA events
# (two more when the clocks' policies run on a business calendar: its periods and holidays),
# and the related tickets' links.
# An assigned ticket adds one (the assignee with profile), a merged one one (its target).
TICKET_QUERIES = 15


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def customer_client(client):
    client.force_login(CustomerWithAccountFactory().user)
    return client


def queue_refs(response) -> list[str]:
    """The references listed in the queue table, in order."""
    return re.findall(r'<td class="cell-ref"><a href="[^"]+">([A-Z]+-\d+)</a>', response.text)


def url(name: str, ticket: Ticket) -> str:
    return reverse(f"desk:{name}", args=[ticket.reference])


def event_kinds(ticket: Ticket) -> list[str]:
    return list(ticket.events.order_by("id").values_list("kind", flat=True))


def in_progress(ticket: Ticket, agent) -> Ticket:
    return services.ticket_transition(ticket=ticket, to_status=Status.IN_PROGRESS, actor=agent)


def text_file(name: str = "log.txt", content: bytes = b"line one\n") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/plain")


# ---------------------------------------------------------------------------------------------
# Who reaches the desk
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_login_page(client, ticket):
    for path in [reverse("desk:queue"), url("ticket", ticket)]:
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={path}"
    response = client.post(url("ticket_claim", ticket))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not ticket.events.filter(kind=TicketEvent.Kind.ASSIGNED).exists()


@pytest.mark.django_db
def test_anonymous_htmx_request_redirects_the_whole_browser(client):
    response = client.get(
        reverse("desk:queue"), **HTMX, HTTP_HX_CURRENT_URL="http://testserver/desk/"
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{reverse('login')}?next=/desk/"


@pytest.mark.django_db
def test_customers_are_refused_every_desk_url(customer_client, ticket):
    assert customer_client.get(reverse("desk:queue")).status_code == 403
    assert customer_client.get(url("ticket", ticket)).status_code == 403
    for name in ACTIONS:
        response = customer_client.post(url(name, ticket), {"body": "x", "reason": "x"})
        assert response.status_code == 403, name
    assert event_kinds(ticket) == ["created"]
    assert ticket.messages.count() == 1


@pytest.mark.django_db
def test_agents_reach_the_queue_and_the_ticket(agent_client, ticket):
    assert agent_client.get(reverse("desk:queue")).status_code == 200
    assert agent_client.get(url("ticket", ticket)).status_code == 200


@pytest.mark.django_db
def test_superusers_count_as_agents(client, ticket, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.com", "x"))
    assert client.get(reverse("desk:queue")).status_code == 200
    assert client.get(url("ticket", ticket)).status_code == 200


@pytest.mark.django_db
def test_unknown_reference_is_404(agent_client):
    assert agent_client.get("/desk/tickets/TKT-99999/").status_code == 404
    assert agent_client.post("/desk/tickets/TKT-99999/claim/", **HTMX).status_code == 404


@pytest.mark.django_db
def test_actions_only_accept_post(agent_client, ticket):
    for name in ACTIONS:
        assert agent_client.get(url(name, ticket)).status_code == 405, name


# ---------------------------------------------------------------------------------------------
# The queue
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_queue_lists_tickets_with_their_columns(agent_client, agent, team, category):
    ticket = TicketFactory(subject="Refund for invoice 42", category=category, tags=["vip"])
    services.ticket_assign(ticket=ticket, assignee=agent, actor=agent)
    services.ticket_change_team(ticket=ticket, team=team, actor=agent)

    response = agent_client.get(reverse("desk:queue"))

    html = response.text
    assert queue_refs(response) == [ticket.reference]
    assert "Refund for invoice 42" in html
    assert ticket.customer.name in html
    assert 'class="badge status-open"' in html
    assert 'class="badge priority-medium"' in html
    assert category.name in html and team.name in html
    assert (
        'status=in_progress&amp;status=waiting_customer&amp;status=waiting_internal&amp;tag=vip"'
        in html
    )
    assert '<span class="assignee-me">You</span>' in html
    assert "<html" in html  # the full page


@pytest.mark.django_db
def test_queue_without_a_query_shows_only_tickets_still_to_work_on(agent_client, agent):
    open_ticket = TicketFactory()
    done = in_progress(TicketFactory(), agent)
    services.ticket_resolve(ticket=done, actor=agent, resolution="Fixed")

    assert queue_refs(agent_client.get(reverse("desk:queue"))) == [open_ticket.reference]
    everything = agent_client.get(reverse("desk:queue"), {"sort": "newest"})
    assert queue_refs(everything) == [done.reference, open_ticket.reference]


@pytest.mark.django_db
def test_queue_filters_by_several_statuses(agent_client, agent):
    opened = TicketFactory()
    working = in_progress(TicketFactory(), agent)
    waiting = services.ticket_transition(
        ticket=in_progress(TicketFactory(), agent), to_status=Status.WAITING_CUSTOMER, actor=agent
    )

    response = agent_client.get(
        reverse("desk:queue"), {"status": ["open", "waiting_customer"], "sort": "oldest"}
    )

    assert queue_refs(response) == [opened.reference, waiting.reference]
    assert working.reference not in response.text


@pytest.mark.django_db
def test_queue_filters_by_several_priorities(agent_client):
    low = TicketFactory(priority="low")
    high = TicketFactory(priority="high")
    critical = TicketFactory(priority="critical")

    response = agent_client.get(
        reverse("desk:queue"), {"priority": ["high", "critical"], "sort": "priority"}
    )

    assert queue_refs(response) == [critical.reference, high.reference]
    assert low.reference not in response.text


@pytest.mark.django_db
def test_queue_filters_by_category_team_and_tag(agent_client, agent, category, team):
    bugs = CategoryFactory(slug="bugs", name="Bugs", prefix="BUG")
    billing_ticket = TicketFactory(category=category, tags=["refund"])
    bug_ticket = TicketFactory(category=bugs)
    services.ticket_change_team(ticket=bug_ticket, team=team, actor=agent)

    by_category = agent_client.get(reverse("desk:queue"), {"category": "bugs"})
    by_team = agent_client.get(reverse("desk:queue"), {"team": team.slug})
    by_tag = agent_client.get(reverse("desk:queue"), {"tag": "refund"})

    assert queue_refs(by_category) == [bug_ticket.reference]
    assert queue_refs(by_team) == [bug_ticket.reference]
    assert queue_refs(by_tag) == [billing_ticket.reference]


@pytest.mark.django_db
def test_queue_filters_by_assignee(agent_client, agent, other_agent):
    mine = TicketFactory()
    services.ticket_claim(ticket=mine, agent=agent)
    theirs = TicketFactory()
    services.ticket_claim(ticket=theirs, agent=other_agent)
    nobody = TicketFactory()

    def refs(assignee):
        params = {"assignee": assignee, "sort": "oldest"}
        return queue_refs(agent_client.get(reverse("desk:queue"), params))

    assert refs("me") == [mine.reference]
    assert refs("unassigned") == [nobody.reference]
    assert refs(str(other_agent.pk)) == [theirs.reference]
    assert refs("") == [mine.reference, theirs.reference, nobody.reference]


@pytest.mark.django_db
def test_queue_free_text_matches_subject_reference_and_customer(agent_client):
    printer = TicketFactory(subject="Printer on fire")
    other = TicketFactory(subject="Login loop")

    assert queue_refs(agent_client.get(reverse("desk:queue"), {"q": "printer"})) == [
        printer.reference
    ]
    assert queue_refs(agent_client.get(reverse("desk:queue"), {"q": other.reference})) == [
        other.reference
    ]
    by_email = agent_client.get(reverse("desk:queue"), {"q": other.customer.email})
    assert queue_refs(by_email) == [other.reference]


@pytest.mark.django_db
def test_queue_sorts_by_deadline_by_default_and_by_other_orders_on_request(agent_client, agent):
    from sla.models import SlaPolicy

    SlaPolicy.objects.update(active=False)  # no clocks: only the deadline stored below
    low = TicketFactory(priority="low")
    critical = TicketFactory(priority="critical")
    medium = TicketFactory(priority="medium")
    services.ticket_add_note(ticket=low, actor=agent, body="Touch it so it was updated last")
    due = low.created_at + timedelta(hours=1)
    services.ticket_store_sla_summary(ticket_id=medium.pk, due_at=due, state="on_track")

    def refs(sort=None):
        params = {"sort": sort} if sort else {}
        return queue_refs(agent_client.get(reverse("desk:queue"), params))

    # The next deadline first; tickets without one after it, in the order they were filed.
    assert refs() == [medium.reference, low.reference, critical.reference]
    assert refs("deadline") == refs()
    assert refs("priority") == [critical.reference, medium.reference, low.reference]
    assert refs("newest") == [medium.reference, critical.reference, low.reference]
    assert refs("oldest") == [low.reference, critical.reference, medium.reference]
    assert refs("updated") == [low.reference, medium.reference, critical.reference]


def next_link(response) -> str:
    """The queue URL behind the "Next" link."""
    match = re.search(r'<a class="button small" href="([^"]+)"[^>]*rel="next"', response.text)
    assert match, "no Next link"
    return reverse("desk:queue") + match.group(1).replace("&amp;", "&")


def previous_link(response) -> str:
    match = re.search(r'<a class="button small" href="([^"]+)"[^>]*rel="prev"', response.text)
    assert match, "no Previous link"
    return reverse("desk:queue") + match.group(1).replace("&amp;", "&")


@pytest.mark.django_db
def test_queue_paginates_by_cursor_and_page_links_keep_the_filters(agent_client, settings):
    # Keyset pagination: "Next" and "Previous" carry a cursor, never a page number, so a
    # page costs the same queries at any depth of a million-ticket queue.
    settings.DESK_PAGE_SIZE = 2
    tickets = [TicketFactory(priority="high") for _ in range(5)]
    TicketFactory(priority="low")

    first = agent_client.get(reverse("desk:queue"), {"priority": "high", "sort": "oldest"})
    second = agent_client.get(next_link(first))
    third = agent_client.get(next_link(second))

    assert queue_refs(first) == [t.reference for t in tickets[:2]]
    assert queue_refs(second) == [t.reference for t in tickets[2:4]]
    assert queue_refs(third) == [tickets[4].reference]
    assert "1–2 of 5" in first.text
    assert "3–4 of 5" in second.text
    assert "5–5 of 5" in third.text
    assert 'href="?priority=high&amp;sort=oldest&amp;after=' in first.text
    assert 'hx-push-url="true"' in first.text
    assert 'rel="next"' not in third.text
    back = agent_client.get(previous_link(third))
    assert queue_refs(back) == [t.reference for t in tickets[2:4]]
    assert queue_refs(agent_client.get(previous_link(back))) == queue_refs(first)


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["deadline", "newest", "oldest", "updated", "priority"])
def test_queue_cursor_pages_cover_every_ticket_once_in_every_sort(agent_client, settings, sort):
    settings.DESK_PAGE_SIZE = 3
    for priority in ["low", "high", "critical", "medium", "high", "low", "critical"]:
        TicketFactory(priority=priority)
    everything = agent_client.get(reverse("desk:queue"), {"sort": sort})
    settings.DESK_PAGE_SIZE = 100
    expected = queue_refs(agent_client.get(reverse("desk:queue"), {"sort": sort}))
    settings.DESK_PAGE_SIZE = 3

    seen = queue_refs(everything)
    response = everything
    while 'rel="next"' in response.text:
        response = agent_client.get(next_link(response))
        seen += queue_refs(response)
    assert seen == expected
    assert len(seen) == 7


@pytest.mark.django_db
def test_queue_cursor_that_does_not_parse_shows_the_first_page(agent_client, settings):
    settings.DESK_PAGE_SIZE = 1
    newer = TicketFactory()
    TicketFactory()
    for cursor in ["garbage", "eyJzIjoibmV3ZXN0In0", "!" * 600]:
        response = agent_client.get(reverse("desk:queue"), {"sort": "oldest", "after": cursor})
        assert response.status_code == 200
        assert queue_refs(response) == [newer.reference]


@pytest.mark.django_db
def test_default_queue_page_links_keep_the_default_filter(agent_client, settings):
    settings.DESK_PAGE_SIZE = 1
    TicketFactory()
    TicketFactory()

    response = agent_client.get(reverse("desk:queue"))

    assert "after=" in response.text
    assert "status=open&amp;status=in_progress" in response.text


@pytest.mark.django_db
def test_queue_ignores_filter_values_that_do_not_parse(agent_client):
    ticket = TicketFactory()
    response = agent_client.get(
        reverse("desk:queue"),
        {"status": "nonsense", "assignee": "drop table", "page": "abc", "sort": "sideways"},
    )
    assert response.status_code == 200
    assert queue_refs(response) == [ticket.reference]


@pytest.mark.django_db
def test_htmx_queue_request_gets_only_the_table_partial(agent_client):
    ticket = TicketFactory(priority="critical")

    response = agent_client.get(reverse("desk:queue"), {"priority": "critical"}, **HTMX)

    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="queue-filters"' not in response.text
    assert response.text.lstrip().startswith('<section id="queue-table"')
    assert queue_refs(response) == [ticket.reference]
    assert 'hx-trigger="ticket-changed from:body' in response.text
    assert "HX-Request" in response["Vary"]


@pytest.mark.django_db
def test_quick_filters_link_to_their_view_and_mark_the_current_one(agent_client):
    response = agent_client.get(
        reverse("desk:queue"),
        {
            "assignee": "me",
            "status": ["open", "in_progress", "waiting_customer", "waiting_internal"],
        },
    )

    chips = re.findall(
        r'<a class="chip( is-active)?" href="([^"]+)"[^>]*>([^<]+)</a>', response.text
    )
    labels = {label: (bool(active), href) for active, href, label in chips}
    assert labels["My open tickets"][0] is True
    assert labels["Unassigned"][0] is False
    assert "assignee=unassigned" in labels["Unassigned"][1]


@pytest.mark.django_db
def test_queue_empty_states_say_what_to_do(agent_client):
    nothing_yet = agent_client.get(reverse("desk:queue"), {"sort": "priority"})
    assert "No tickets yet" in nothing_yet.text
    caught_up = agent_client.get(reverse("desk:queue"))
    assert "All caught up" in caught_up.text
    assert "See resolved and closed tickets" in caught_up.text

    TicketFactory(priority="low")
    no_match = agent_client.get(reverse("desk:queue"), {"priority": "critical"})
    assert "No tickets match these filters" in no_match.text
    assert "show all tickets" in no_match.text


def _fill_queue(count: int, *, agent, team, category) -> None:
    for index in range(count):
        ticket = TicketFactory(
            category=category if index % 2 else None, tags=[f"tag{index}", "shared"]
        )
        services.ticket_assign(ticket=ticket, assignee=agent, actor=agent)
        services.ticket_change_team(ticket=ticket, team=team, actor=agent)


@pytest.mark.django_db
@pytest.mark.parametrize("count", [3, 20])
def test_queue_query_count_does_not_grow_with_the_rows(
    agent_client, agent, team, category, count, django_assert_num_queries
):
    AgentFactory.create_batch(3)
    _fill_queue(count, agent=agent, team=team, category=category)

    with django_assert_num_queries(QUEUE_QUERIES):
        response = agent_client.get(reverse("desk:queue"))
    assert len(queue_refs(response)) == count

    with django_assert_num_queries(QUEUE_PARTIAL_QUERIES):
        partial = agent_client.get(
            reverse("desk:queue"), {"tag": "shared", "sort": "updated"}, **HTMX
        )
    assert len(queue_refs(partial)) == count


# ---------------------------------------------------------------------------------------------
# The ticket page
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_ticket_page_shows_conversation_with_internal_notes_marked(agent_client, agent, ticket):
    services.ticket_reply(ticket=ticket, actor=agent, body="We are **on it**.")
    services.ticket_add_note(ticket=ticket, actor=agent, body="Customer is on the legacy plan")

    response = agent_client.get(url("ticket", ticket))

    html = response.text
    assert ticket.subject in html and ticket.reference in html
    assert "<strong>on it</strong>" in html
    note = html[html.index("Customer is on the legacy plan") - 1500 :]
    assert "message-internal" in note
    assert "Internal note" in note
    assert html.count("message-internal") == 1


@pytest.mark.django_db
def test_ticket_page_shows_customer_and_only_allowed_next_statuses(agent_client, ticket):
    response = agent_client.get(url("ticket", ticket))

    html = response.text
    assert ticket.customer.email in html
    assert "Professional" in html  # the customer's tier
    status_form = html[
        html.index('name="status"') : html.index("</select>", html.index('name="status"'))
    ]
    assert 'value="in_progress"' in status_form
    assert 'value="waiting_customer"' not in status_form
    assert 'value="closed"' not in status_form


@pytest.mark.django_db
def test_ticket_page_timeline_says_who_changed_what(agent_client, agent, ticket):
    services.ticket_transition(
        ticket=ticket, to_status=Status.IN_PROGRESS, actor=agent, reason="Picked up"
    )
    services.ticket_change_priority(ticket=ticket, priority="high", actor=agent)

    response = agent_client.get(url("ticket", ticket))

    html = response.text
    name = agent.agent_profile.display_name
    assert f"<strong>{name}</strong> changed the status" in html
    assert (
        '<span class="change-from">Open</span> → <span class="change-to">In progress</span>' in html
    )
    assert "Picked up" in html
    assert '<span class="change-from">Medium</span> → <span class="change-to">High</span>' in html


@pytest.mark.django_db
def test_ticket_page_timeline_names_other_events_by_their_label(agent_client, ticket):
    now = timezone.now()
    TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.RULE_FIRED, created_at=now)
    TicketEvent.objects.create(ticket=ticket, kind="retired_kind", created_at=now)

    html = agent_client.get(url("ticket", ticket)).text

    assert "Automation rule fired" in html
    # A kind no longer in the code is shown as stored rather than breaking the page.
    assert "retired_kind" in html


@pytest.mark.django_db
@pytest.mark.parametrize("messages", [2, 15])
def test_ticket_page_query_count_does_not_grow_with_the_conversation(
    agent_client, agent, messages, django_assert_num_queries
):
    customer = CustomerWithAccountFactory()
    ticket = TicketFactory(customer=customer, files=[text_file()])
    AgentFactory.create_batch(3)
    services.ticket_change_team(ticket=ticket, team=TeamFactory(), actor=agent)
    for index in range(messages - 1):
        if index % 3 == 0:
            services.ticket_reply(
                ticket=ticket, actor=agent, body=f"Reply {index}", files=[text_file()]
            )
        elif index % 3 == 1:
            services.ticket_add_note(ticket=ticket, actor=AgentFactory(), body=f"Note {index}")
        else:
            services.ticket_customer_reply(ticket=ticket, customer=customer, body=f"More {index}")

    with django_assert_num_queries(TICKET_QUERIES):
        response = agent_client.get(url("ticket", ticket))
    assert response.text.count('class="message ') == messages

    services.ticket_assign(ticket=ticket, assignee=agent, actor=agent)
    with django_assert_num_queries(TICKET_QUERIES + 1):
        response = agent_client.get(url("ticket", ticket))
    assert agent.agent_profile.display_name in response.text


# ---------------------------------------------------------------------------------------------
# Actions
# ---------------------------------------------------------------------------------------------


def assert_changed(response) -> None:
    assert response.status_code == 200
    assert "ticket-changed" in response["HX-Trigger"]
    assert 'hx-swap-oob="true"' in response.text
    assert "<html" not in response.text


@pytest.mark.django_db
def test_reply_sends_the_message_with_attachments(agent_client, agent, ticket):
    response = agent_client.post(
        url("ticket_reply", ticket),
        {"body": "Try clearing the cache.", "files": [text_file("steps.txt")]},
        **HTMX,
    )

    assert_changed(response)
    message = ticket.messages.get(author_kind=TicketMessage.AuthorKind.AGENT)
    assert message.body == "Try clearing the cache."
    assert message.is_internal is False
    assert message.author == agent
    assert [a.filename for a in message.attachments.all()] == ["steps.txt"]
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert event_kinds(ticket) == ["created", "replied", "status_changed"]
    assert "Try clearing the cache." in response.text
    assert 'id="ticket-composer"' in response.text  # the composer comes back empty


@pytest.mark.django_db
def test_reply_without_a_body_is_refused_and_saves_nothing(agent_client, ticket):
    response = agent_client.post(url("ticket_reply", ticket), {"body": "  "}, **HTMX)

    assert response.status_code == 400
    assert "Write a reply before sending it." in response.text
    assert "HX-Trigger" not in response
    assert ticket.messages.count() == 1
    assert event_kinds(ticket) == ["created"]


@pytest.mark.django_db
def test_reply_with_a_refused_file_keeps_the_text_and_saves_nothing(agent_client, ticket):
    response = agent_client.post(
        url("ticket_reply", ticket),
        {"body": "Here is the tool", "files": [SimpleUploadedFile("tool.exe", b"MZ")]},
        **HTMX,
    )

    assert response.status_code == 400
    assert "tool.exe: this type of file cannot be attached." in response.text
    assert ">Here is the tool</textarea>" in response.text
    assert ticket.messages.count() == 1
    assert not Attachment.objects.exists()


@pytest.mark.django_db
def test_reply_on_a_closed_ticket_is_refused(agent_client, agent, ticket):
    in_progress(ticket, agent)
    services.ticket_resolve(ticket=ticket, actor=agent, resolution="Done")
    services.ticket_close(ticket=ticket, actor=agent)

    response = agent_client.post(url("ticket_reply", ticket), {"body": "Hello?"}, **HTMX)

    assert response.status_code == 409
    assert "is closed and can no longer be changed" in response.text
    assert ">Hello?</textarea>" in response.text
    assert ticket.messages.count() == 1


@pytest.mark.django_db
def test_note_is_internal(agent_client, ticket):
    response = agent_client.post(
        url("ticket_note", ticket), {"body": "Check billing first"}, **HTMX
    )

    assert_changed(response)
    note = ticket.messages.get(is_internal=True)
    assert note.body == "Check billing first"
    assert event_kinds(ticket) == ["created", "note_added"]
    assert 'id="composer-mode-note" class="composer-toggle" checked' in response.text


@pytest.mark.django_db
def test_empty_note_is_refused(agent_client, ticket):
    response = agent_client.post(url("ticket_note", ticket), {"body": ""}, **HTMX)

    assert response.status_code == 400
    assert "Write the note before adding it." in response.text
    assert not ticket.messages.filter(is_internal=True).exists()


@pytest.mark.django_db
def test_claim_assigns_the_ticket_to_the_agent(agent_client, agent, ticket):
    response = agent_client.post(url("ticket_claim", ticket), **HTMX)

    assert_changed(response)
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    event = ticket.events.get(kind=TicketEvent.Kind.ASSIGNED)
    assert event.actor == agent
    assert event.data["via"] == "claim"


@pytest.mark.django_db
def test_claim_lost_to_another_agent_is_a_conflict(agent_client, other_agent, ticket):
    services.ticket_claim(ticket=ticket, agent=other_agent)

    response = agent_client.post(url("ticket_claim", ticket), **HTMX)

    assert response.status_code == 409
    assert "already claimed by" in response.text
    assert other_agent.agent_profile.display_name in response.text
    assert "HX-Trigger" not in response
    ticket.refresh_from_db()
    assert ticket.assignee == other_agent
    assert ticket.events.filter(kind=TicketEvent.Kind.ASSIGNED).count() == 1


@pytest.mark.django_db
def test_assign_and_unassign(agent_client, agent, other_agent, ticket):
    response = agent_client.post(url("ticket_assign", ticket), {"assignee": other_agent.pk}, **HTMX)

    assert_changed(response)
    ticket.refresh_from_db()
    assert ticket.assignee == other_agent
    event = ticket.events.get(kind=TicketEvent.Kind.ASSIGNED)
    assert (event.actor, event.to_value) == (agent, other_agent.agent_profile.display_name)

    response = agent_client.post(url("ticket_assign", ticket), {"assignee": ""}, **HTMX)

    assert_changed(response)
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert ticket.events.filter(kind=TicketEvent.Kind.ASSIGNED).count() == 2


@pytest.mark.django_db
def test_assign_to_a_customer_is_refused(agent_client, ticket):
    customer_user = CustomerWithAccountFactory().user

    response = agent_client.post(
        url("ticket_assign", ticket), {"assignee": customer_user.pk}, **HTMX
    )

    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert event_kinds(ticket) == ["created"]


@pytest.mark.django_db
def test_change_team(agent_client, team, ticket):
    response = agent_client.post(url("ticket_team", ticket), {"team": team.pk}, **HTMX)

    assert_changed(response)
    ticket.refresh_from_db()
    assert ticket.team == team
    assert ticket.events.get(kind=TicketEvent.Kind.TEAM_CHANGED).to_value == team.name


@pytest.mark.django_db
def test_status_change_follows_the_lifecycle(agent_client, agent, ticket):
    response = agent_client.post(url("ticket_status", ticket), {"status": "in_progress"}, **HTMX)

    assert_changed(response)
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    event = ticket.events.get(kind=TicketEvent.Kind.STATUS_CHANGED)
    assert (event.from_value, event.to_value, event.actor) == ("open", "in_progress", agent)


@pytest.mark.django_db
def test_refused_transition_is_a_conflict_with_the_reason_and_no_event(agent_client, ticket):
    response = agent_client.post(url("ticket_status", ticket), {"status": "closed"}, **HTMX)

    assert response.status_code == 409
    assert f"{ticket.reference} cannot move from Open to Closed" in response.text
    assert "HX-Trigger" not in response
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert event_kinds(ticket) == ["created"]


@pytest.mark.django_db
def test_unknown_status_is_bad_input(agent_client, ticket):
    response = agent_client.post(url("ticket_status", ticket), {"status": "vanished"}, **HTMX)
    assert response.status_code == 400
    assert event_kinds(ticket) == ["created"]


@pytest.mark.django_db
def test_change_priority(agent_client, ticket):
    response = agent_client.post(url("ticket_priority", ticket), {"priority": "critical"}, **HTMX)

    assert_changed(response)
    ticket.refresh_from_db()
    assert ticket.priority == "critical"
    event = ticket.events.get(kind=TicketEvent.Kind.PRIORITY_CHANGED)
    assert (event.from_value, event.to_value) == ("medium", "critical")
    assert 'class="badge priority-critical"' in response.text


@pytest.mark.django_db
def test_change_category(agent_client, category, ticket):
    response = agent_client.post(url("ticket_category", ticket), {"category": category.pk}, **HTMX)

    assert_changed(response)
    ticket.refresh_from_db()
    assert ticket.category == category
    assert ticket.events.get(kind=TicketEvent.Kind.CATEGORY_CHANGED).to_value == category.name


@pytest.mark.django_db
def test_inactive_category_is_refused(agent_client, ticket):
    retired = CategoryFactory(slug="legacy", name="Legacy", prefix="LEG", active=False)

    response = agent_client.post(url("ticket_category", ticket), {"category": retired.pk}, **HTMX)

    assert response.status_code == 400
    assert "The category Legacy is not active." in response.text
    ticket.refresh_from_db()
    assert ticket.category is None


@pytest.mark.django_db
def test_set_tags_from_a_comma_separated_list(agent_client, ticket):
    response = agent_client.post(
        url("ticket_tags", ticket), {"tags": "Billing, VIP ,, billing"}, **HTMX
    )

    assert_changed(response)
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["billing", "vip"]
    event = ticket.events.get(kind=TicketEvent.Kind.TAGS_CHANGED)
    assert event.data["added"] == ["billing", "vip"]
    assert 'value="billing, vip"' in response.text


@pytest.mark.django_db
def test_escalate_needs_a_reason_and_raises_the_priority(agent_client, ticket):
    refused = agent_client.post(url("ticket_escalate", ticket), {"reason": ""}, **HTMX)

    assert refused.status_code == 400
    assert "Say why this ticket needs escalating." in refused.text
    assert event_kinds(ticket) == ["created"]

    response = agent_client.post(
        url("ticket_escalate", ticket), {"reason": "VIP is blocked"}, **HTMX
    )

    assert_changed(response)
    ticket.refresh_from_db()
    assert (ticket.escalation_level, ticket.priority) == (1, "high")
    # The button climbs the default manual ladder: its first level, with the agent's reason.
    reason = ticket.events.get(kind=TicketEvent.Kind.ESCALATED).data["reason"]
    assert reason == "Escalate button, level 1: VIP is blocked"
    assert "escalated" in event_kinds(ticket) and "priority_changed" in event_kinds(ticket)


@pytest.mark.django_db
def test_escalating_a_resolved_ticket_is_refused_and_keeps_the_reason(agent_client, agent, ticket):
    in_progress(ticket, agent)
    services.ticket_resolve(ticket=ticket, actor=agent, resolution="Done")
    before = event_kinds(ticket)

    response = agent_client.post(
        url("ticket_escalate", ticket), {"reason": "Customer is upset"}, **HTMX
    )

    assert response.status_code == 409
    assert "reopen it before escalating" in response.text
    assert ">Customer is upset</textarea>" in response.text
    assert event_kinds(ticket) == before


@pytest.mark.django_db
def test_resolve_with_a_resolution(agent_client, agent, ticket):
    in_progress(ticket, agent)

    response = agent_client.post(
        url("ticket_resolve", ticket), {"resolution": "Reset the token"}, **HTMX
    )

    assert_changed(response)
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert ticket.resolution == "Reset the token"
    event = ticket.events.filter(kind=TicketEvent.Kind.STATUS_CHANGED).last()
    assert (event.to_value, event.data["resolution"]) == ("resolved", "Reset the token")


@pytest.mark.django_db
def test_resolve_needs_a_resolution(agent_client, agent, ticket):
    in_progress(ticket, agent)

    response = agent_client.post(url("ticket_resolve", ticket), {"resolution": ""}, **HTMX)

    assert response.status_code == 400
    assert "Describe the resolution" in response.text
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS


@pytest.mark.django_db
def test_resolving_an_open_ticket_is_refused_and_keeps_the_text(agent_client, ticket):
    response = agent_client.post(url("ticket_resolve", ticket), {"resolution": "Fixed it"}, **HTMX)

    assert response.status_code == 409
    assert "cannot move from Open to Resolved" in response.text
    assert ">Fixed it</textarea>" in response.text
    assert event_kinds(ticket) == ["created"]


@pytest.mark.django_db
def test_plain_post_redirects_back_to_the_ticket_with_a_message(agent_client, ticket):
    response = agent_client.post(url("ticket_priority", ticket), {"priority": "low"})

    assert response.status_code == 302
    assert response["Location"] == url("ticket", ticket)
    page = agent_client.get(response["Location"])
    assert "Priority set to Low." in page.text
    ticket.refresh_from_db()
    assert ticket.priority == "low"


@pytest.mark.django_db
def test_plain_post_that_is_refused_renders_the_page_with_the_message(agent_client, ticket):
    response = agent_client.post(url("ticket_status", ticket), {"status": "closed"})

    assert response.status_code == 409
    assert "<html" in response.text
    assert "cannot move from Open to Closed" in response.text


# ---------------------------------------------------------------------------------------------
# Attachments
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_agent_downloads_an_attachment(agent_client, customer):
    ticket = TicketFactory(customer=customer, files=[text_file("error.txt", b"stack trace")])
    attachment = ticket.attachments.get()

    page = agent_client.get(url("ticket", ticket))
    response = agent_client.get(reverse("desk:attachment", args=[attachment.pk]))

    assert reverse("desk:attachment", args=[attachment.pk]) in page.text
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="error.txt"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"stack trace"


@pytest.mark.django_db
def test_attachments_are_not_served_to_others(client, customer_client, customer):
    ticket = TicketFactory(customer=customer, files=[text_file()])
    path = reverse("desk:attachment", args=[ticket.attachments.get().pk])

    assert customer_client.get(path).status_code == 403
    customer_client.logout()
    assert client.get(path).status_code == 302


@pytest.mark.django_db
def test_unknown_attachment_is_404(agent_client):
    assert agent_client.get(reverse("desk:attachment", args=[999])).status_code == 404
