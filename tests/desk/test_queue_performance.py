"""The desk queue's fast paths: the text search (trigram-indexed on PostgreSQL, plain LIKE on
SQLite), the filter bar's options read in one query, and the rows prepared in Python.

They run on whichever database DATABASE_URL names, so the search is checked on both.
"""

import re

import pytest
from django.db import connection
from django.urls import reverse

from desk.forms import queue_filter_choices
from tests.desk.test_desk_views import (
    QUEUE_PARTIAL_QUERIES,
    QUEUE_QUERIES,
    UNASSIGNED,
    queue_refs,
)
from tests.factories import (
    AgentFactory,
    CategoryFactory,
    CustomerFactory,
    TeamFactory,
    TicketFactory,
)
from tickets import services

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


def search(client, text: str, **params):
    response = client.get(reverse("desk:queue"), {"q": text, **params})
    assert response.status_code == 200
    return sorted(queue_refs(response))


# ---------------------------------------------------------------------------------------------
# Text search
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_search_matches_subject_and_customer_name_case_insensitively(agent_client):
    invoice = TicketFactory(subject="Invoice 1234 charged twice")
    named = TicketFactory(customer=CustomerFactory(name="Tara Moreau"), subject="Login loop")
    other = TicketFactory(subject="Password reset email missing")

    assert search(agent_client, "invoice") == [invoice.reference]
    assert search(agent_client, "INVOICE") == [invoice.reference]
    assert search(agent_client, "  charged TWICE ") == [invoice.reference]
    assert search(agent_client, "moreau") == [named.reference]
    assert search(agent_client, "tara MOR") == [named.reference]
    assert other.reference not in search(agent_client, "invoice")


@pytest.mark.django_db
def test_search_matches_a_reference_or_customer_email_exactly(agent_client):
    customer = CustomerFactory(email="Ops.Lead@Example.org")
    ticket = TicketFactory(customer=customer, subject="Webhook retries")
    TicketFactory(subject="Something else")

    assert search(agent_client, ticket.reference.lower()) == [ticket.reference]
    assert search(agent_client, "ops.lead@example.ORG") == [ticket.reference]
    # The email is an exact match, not a fragment: a partial address finds nothing.
    assert search(agent_client, "ops.lead@") == []


@pytest.mark.django_db
def test_search_finds_every_ticket_of_a_matching_customer_across_filters(agent_client):
    customer = CustomerFactory(name="Quentin Xu")
    first = TicketFactory(customer=customer, subject="First problem")
    second = TicketFactory(customer=customer, subject="Second problem", priority="high")

    assert search(agent_client, "quentin") == sorted([first.reference, second.reference])
    assert search(agent_client, "quentin", priority="high") == [second.reference]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text",
    [
        "%",
        "_",
        "%%",
        "\\",
        "'; DROP TABLE tickets_ticket; --",
        '" OR 1=1 --',
        "<script>alert(1)</script>",
        "ünïcödé ✓",
        "a" * 199,
    ],
)
def test_hostile_search_strings_are_literal_and_never_an_error(agent_client, text):
    TicketFactory(subject="Plain subject without specials")

    response = agent_client.get(reverse("desk:queue"), {"q": text})

    assert response.status_code == 200
    # Wildcards are escaped: "%" or "_" must not match every ticket.
    assert queue_refs(response) == []
    assert "<script>alert(1)</script>" not in response.text


@pytest.mark.django_db
def test_a_search_with_a_nul_character_is_refused_cleanly(agent_client):
    # PostgreSQL refuses NUL in a string literal: the request guard answers 400 before any
    # query, and the form would drop such a value anyway. Never a 500.
    TicketFactory()

    response = agent_client.get(reverse("desk:queue"), {"q": "x\x00y"})

    assert response.status_code in (200, 400)


@pytest.mark.django_db
def test_wildcard_characters_match_themselves(agent_client):
    percent = TicketFactory(subject="Discount of 50% not applied")
    underscore = TicketFactory(subject="Field user_id is empty")
    TicketFactory(subject="Discount of 50 not applied")

    assert search(agent_client, "50%") == [percent.reference]
    assert search(agent_client, "user_id") == [underscore.reference]


@pytest.mark.django_db
def test_an_overlong_search_is_ignored_rather_than_refused(agent_client):
    ticket = TicketFactory()

    assert search(agent_client, "a" * 201) == [ticket.reference]


@pytest.mark.django_db
def test_search_query_count_does_not_grow_with_the_rows(
    agent_client, settings, django_assert_num_queries
):
    for index in range(12):
        TicketFactory(subject=f"Invoice {index} wrong")
    settings.DESK_PAGE_SIZE = 10

    with django_assert_num_queries(QUEUE_QUERIES - UNASSIGNED):
        response = agent_client.get(reverse("desk:queue"), {"q": "invoice"})
    assert len(queue_refs(response)) == 10

    settings.DESK_PAGE_SIZE = 100
    with django_assert_num_queries(QUEUE_QUERIES - UNASSIGNED):
        response = agent_client.get(reverse("desk:queue"), {"q": "invoice"})
    assert len(queue_refs(response)) == 12

    with django_assert_num_queries(QUEUE_PARTIAL_QUERIES - UNASSIGNED):
        agent_client.get(reverse("desk:queue"), {"q": "invoice"}, **HTMX)


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL-only")
def test_postgresql_has_the_trigram_indexes_on_the_searched_expressions():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN "
            "('ticket_subject_trgm', 'customer_name_trgm', 'ticket_reference_upper')"
        )
        indexes = dict(cursor.fetchall())
    assert set(indexes) == {"ticket_subject_trgm", "customer_name_trgm", "ticket_reference_upper"}
    assert "gin_trgm_ops" in indexes["ticket_subject_trgm"]
    # The expression must be the one the ORM writes for icontains, or the index is never used.
    assert "upper((subject)::text)" in indexes["ticket_subject_trgm"]
    assert "upper((name)::text)" in indexes["customer_name_trgm"]


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL-only")
def test_postgresql_answers_a_rare_word_from_the_trigram_index():
    from tickets.models import Ticket
    from tickets.queue_selectors import _queue_text_match

    TicketFactory(subject="Kerberos handshake fails")
    qs = Ticket.objects.order_by().filter(_queue_text_match("kerberos"))
    with connection.cursor() as cursor:
        # A handful of rows: make the planner prefer indexes as it does on a big table.
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = qs.explain()
    assert "ticket_subject_trgm" in plan
    assert "customer_name_trgm" in plan


# ---------------------------------------------------------------------------------------------
# The filter bar
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_filter_choices_are_read_in_one_query(django_assert_num_queries):
    AgentFactory(agent_profile__display_name="Zoe Zed")
    AgentFactory(agent_profile__display_name="")
    TeamFactory(name="Billing team", slug="billing-team")
    CategoryFactory(slug="bug", name="Bug report", prefix="BUG")

    with django_assert_num_queries(1):
        choices = queue_filter_choices()

    labels = [label for _value, label in choices.agents]
    assert "Zoe Zed" in labels
    # No display name: the username, as before.
    assert any(label.startswith("agent") for label in labels)
    assert ("billing-team", "Billing team") in choices.teams
    assert ("bug", "Bug report") in choices.categories


@pytest.mark.django_db
def test_filter_bar_marks_the_current_filters_and_escapes_names(agent_client, agent):
    hostile = AgentFactory(agent_profile__display_name='<b>"Eve"</b>')
    TeamFactory(name="Ops & Support", slug="ops")
    CategoryFactory(slug="bug", name="Bug report", prefix="BUG")

    html = agent_client.get(
        reverse("desk:queue"),
        {"assignee": str(hostile.pk), "team": "ops", "category": "bug", "sort": "newest"},
    ).text

    assert f'<option value="{hostile.pk}" selected>&lt;b&gt;&quot;Eve&quot;&lt;/b&gt;</option>' in (
        html
    )
    assert '<option value="ops" selected>Ops &amp; Support</option>' in html
    assert '<option value="bug" selected>Bug report</option>' in html
    assert '<option value="newest" selected>Newest</option>' in html
    assert f'<option value="{agent.pk}">' in html
    assert "<b>" not in html.split('name="assignee"')[1].split("</select>")[0]


@pytest.mark.django_db
def test_filter_bar_checks_the_chosen_statuses_priorities_and_sla_states(agent_client):
    html = agent_client.get(
        reverse("desk:queue"), {"status": "waiting_customer", "priority": "high", "sla": "breached"}
    ).text

    assert 'name="status" value="waiting_customer" checked>' in html
    assert 'name="status" value="open">' in html
    assert 'name="priority" value="high" checked>' in html
    assert 'name="sla" value="breached" checked>' in html
    assert 'class="badge sla-badge sla-breached"' in html


@pytest.mark.django_db
def test_quick_filter_chips_keep_the_sort_and_mark_the_active_one(agent_client):
    html = agent_client.get(reverse("desk:queue"), {"status": "resolved", "sort": "oldest"}).text

    chips = re.findall(r'<a class="chip( is-active)?" href="([^"]+)"', html)
    assert len(chips) == 8
    assert all("sort=oldest" in href for _active, href in chips)
    active = [href for is_active, href in chips if is_active]
    assert active == ["/desk/?status=resolved&amp;sort=oldest"]

    default = agent_client.get(reverse("desk:queue")).text
    chips = dict(
        (href, bool(is_active))
        for is_active, href in re.findall(r'<a class="chip( is-active)?" href="([^"]+)"', default)
    )
    # The default sort is left out, except on "All tickets" (an empty query is the default view).
    assert chips["/desk/?sort=deadline"] is False
    assert (
        chips[
            "/desk/?status=open&amp;status=in_progress&amp;status=waiting_customer"
            "&amp;status=waiting_internal"
        ]
        is True
    )


# ---------------------------------------------------------------------------------------------
# The rows
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_rows_carry_links_tags_assignee_and_times(agent_client, agent):
    mine = TicketFactory(subject="Mine <b>bold</b>", tags=["billing", "vip & co"])
    services.ticket_assign(ticket=mine, assignee=agent, actor=agent)
    other_agent = AgentFactory(agent_profile__display_name="Olga Other")
    theirs = TicketFactory(subject="Theirs")
    services.ticket_assign(ticket=theirs, assignee=other_agent, actor=other_agent)
    nobody = TicketFactory(subject="Nobody's")

    html = agent_client.get(reverse("desk:queue"), {"sort": "oldest"}).text
    rows = dict(re.findall(r'data-ref="([A-Z]+-\d+)"(.*?)</tr>', html, re.S))

    ticket_url = reverse("desk:ticket", args=[mine.reference])
    assert f'data-href="{ticket_url}"' in rows[mine.reference]
    assert f'<a href="{ticket_url}">{mine.reference}</a>' in rows[mine.reference]
    assert "Mine &lt;b&gt;bold&lt;/b&gt;" in rows[mine.reference]
    assert '<span class="assignee-me">You</span>' in rows[mine.reference]
    assert "data-claim-url" not in rows[mine.reference]
    # Tags are slugs ("vip & co" is stored as "vip-co"); each links to the queue filtered by it.
    assert 'href="/desk/?sort=oldest&amp;tag=vip-co"' in rows[mine.reference]
    assert 'title="Only tickets tagged billing">billing</a>' in rows[mine.reference]
    assert rows[mine.reference].index(">billing<") < rows[mine.reference].index(">vip-co<")
    assert "Olga Other" in rows[theirs.reference]
    claim = reverse("desk:ticket_claim", args=[nobody.reference])
    assert f'data-claim-url="{claim}"' in rows[nobody.reference]
    assert '<span class="muted">Unassigned</span>' in rows[nobody.reference]

    mine.refresh_from_db()
    assert f'datetime="{mine.created_at.isoformat()}"' in rows[mine.reference]
    stamp = f"{int(mine.updated_at.timestamp())}.{mine.updated_at.microsecond:06d}"
    assert f'data-updated="{stamp}"' in rows[mine.reference]
    assert re.search(r'class="time-updated"[^>]*title="Updated [^"]+">(?:[^<]*ago|just now)<', html)
    assert "No category" in rows[mine.reference] and "No team" in rows[mine.reference]
