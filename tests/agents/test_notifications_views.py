"""Desk notifications: the bell, the list page, marking read, and who may see what."""

import json
import re

import pytest
from django.urls import reverse

from tests.factories import CustomerWithAccountFactory
from tickets.models import Notification
from tickets.notifications import notify

HTMX = {"HTTP_HX_REQUEST": "true"}

# Session, user with agent profile, the unread count.
BELL_QUERIES = 3
# Session, user with agent profile, the paginator's count, the page of notifications (tickets
# joined), the unread count (shared with the bell). The HTMX partial needs the same: its
# toolbar shows the unread count.
LIST_QUERIES = 5


def desk_notify(ticket, agent, n: int = 1, start: int = 0) -> None:
    for index in range(start, start + n):
        notify(
            kind="escalation",
            recipients=[agent],
            ticket=ticket,
            template="agent_notice",
            context={"headline": f"Escalation {index}", "text": f"Level {index} fired."},
            dedupe=[index],
        )


def unread_badge(html: str) -> str | None:
    match = re.search(r'<span class="bell-count" data-unread="(\d+)">', html)
    return match.group(1) if match else None


def listed_subjects(html: str) -> list[str]:
    return re.findall(r'class="notification-subject"[^>]*>([^<]+)<', html)


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def customer_client(db, client):
    client.force_login(CustomerWithAccountFactory().user)
    return client


def mine(agent):
    return Notification.objects.filter(recipient_user=agent, channel="desk")


# ---------------------------------------------------------------------------------------------
# Who gets in
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_login_page(client):
    for path in [reverse("notifications:list"), reverse("notifications:bell")]:
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={path}"
    response = client.post(reverse("notifications:read_all"))
    assert response.status_code == 302


@pytest.mark.django_db
def test_an_anonymous_bell_poll_sends_the_whole_browser_to_the_login_page(client):
    response = client.get(
        reverse("notifications:bell"), **HTMX, HTTP_HX_CURRENT_URL="http://testserver/desk/"
    )
    assert response["HX-Redirect"] == f"{reverse('login')}?next=/desk/"


def test_customers_are_refused(customer_client, ticket, agent):
    desk_notify(ticket, agent)
    notification = mine(agent).get()

    assert customer_client.get(reverse("notifications:list")).status_code == 403
    assert customer_client.get(reverse("notifications:bell")).status_code == 403
    response = customer_client.post(reverse("notifications:read", args=[notification.pk]))
    assert response.status_code == 403
    assert customer_client.post(reverse("notifications:read_all")).status_code == 403
    notification.refresh_from_db()
    assert notification.read_at is None


def test_an_agent_cannot_read_or_mark_another_agents_notification(
    agent_client, ticket, other_agent
):
    desk_notify(ticket, other_agent)
    theirs = mine(other_agent).get()

    response = agent_client.post(reverse("notifications:read", args=[theirs.pk]), **HTMX)
    assert response.status_code == 404
    agent_client.post(reverse("notifications:read_all"), **HTMX)

    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert "Escalation 0" not in agent_client.get(reverse("notifications:list")).text


def test_email_rows_are_not_desk_notifications(agent_client, agent, ticket):
    desk_notify(ticket, agent)
    email = Notification.objects.get(recipient_user=agent, channel="email")

    response = agent_client.post(reverse("notifications:read", args=[email.pk]))
    assert response.status_code == 404


def test_read_actions_only_accept_post(agent_client, agent, ticket):
    desk_notify(ticket, agent)
    notification = mine(agent).get()
    assert (
        agent_client.get(reverse("notifications:read", args=[notification.pk])).status_code == 405
    )
    assert agent_client.get(reverse("notifications:read_all")).status_code == 405
    assert agent_client.post(reverse("notifications:bell")).status_code == 405


# ---------------------------------------------------------------------------------------------
# The bell
# ---------------------------------------------------------------------------------------------


def test_every_page_shows_agents_the_bell_with_their_unread_count(agent_client, agent, ticket):
    desk_notify(ticket, agent, 3)

    for path in [reverse("desk:queue"), reverse("portal:home")]:
        html = agent_client.get(path).text
        assert 'id="desk-bell"' in html
        assert unread_badge(html) == "3"


def test_the_bell_polls_every_30_seconds_and_swaps_itself(agent_client):
    html = agent_client.get(reverse("desk:queue")).text

    bell = re.search(r'<a id="desk-bell"[^>]*>', html, flags=re.S).group(0)
    assert f'hx-get="{reverse("notifications:bell")}"' in bell
    assert 'hx-trigger="every 30s, notifications-changed from:body"' in bell
    assert 'hx-swap="outerHTML"' in bell
    assert f'href="{reverse("notifications:list")}"' in bell
    assert "style=" not in bell


@pytest.mark.django_db
def test_customers_and_visitors_see_no_bell(client):
    assert 'id="desk-bell"' not in client.get(reverse("portal:home")).text
    client.force_login(CustomerWithAccountFactory().user)
    assert 'id="desk-bell"' not in client.get(reverse("portal:home")).text


def test_the_bell_partial_answers_with_just_the_bell_in_a_fixed_number_of_queries(
    agent_client, agent, ticket, django_assert_num_queries
):
    desk_notify(ticket, agent, 2)

    with django_assert_num_queries(BELL_QUERIES):
        response = agent_client.get(reverse("notifications:bell"), **HTMX)

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<a id="desk-bell"')
    assert "<html" not in response.text
    assert unread_badge(response.text) == "2"
    assert "no-cache" in response["Cache-Control"]


def test_the_bell_has_no_badge_when_everything_is_read(agent_client, agent, ticket):
    desk_notify(ticket, agent)
    mine(agent).update(read_at=mine(agent).get().created_at)

    response = agent_client.get(reverse("notifications:bell"), **HTMX)
    assert unread_badge(response.text) is None
    assert "0 unread" in response.text


def test_the_bell_caps_a_large_count(agent_client, agent, ticket):
    desk_notify(ticket, agent, 100)
    assert ">99+<" in agent_client.get(reverse("notifications:bell")).text


# ---------------------------------------------------------------------------------------------
# The list page
# ---------------------------------------------------------------------------------------------


def test_the_list_shows_unread_first_then_newest_with_links_to_tickets(agent_client, agent, ticket):
    desk_notify(ticket, agent, 3)
    newest = mine(agent).order_by("pk").last()
    mine(agent).filter(pk=newest.pk).update(read_at=newest.created_at)

    html = agent_client.get(reverse("notifications:list")).text

    subjects = listed_subjects(html)
    prefix = f"[{ticket.reference}] "
    assert subjects == [prefix + "Escalation 1", prefix + "Escalation 0", prefix + "Escalation 2"]
    assert f'href="/desk/tickets/{ticket.reference}/"' in html
    assert "Level 1 fired." in html
    assert "2 unread" in html


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_query_count_does_not_grow_with_the_rows(
    agent_client, agent, ticket, count, django_assert_num_queries, settings
):
    settings.DESK_PAGE_SIZE = 25
    desk_notify(ticket, agent, count)

    with django_assert_num_queries(LIST_QUERIES):
        page = agent_client.get(reverse("notifications:list"))
    assert len(listed_subjects(page.text)) == min(count, 25)
    assert unread_badge(page.text) == str(count)

    with django_assert_num_queries(LIST_QUERIES):
        partial = agent_client.get(reverse("notifications:list"), **HTMX)
    assert partial.text.lstrip().startswith('<section id="notification-list"')
    assert "<html" not in partial.text
    assert 'id="desk-bell"' not in partial.text


def test_the_list_is_paginated(agent_client, agent, ticket, settings):
    settings.DESK_PAGE_SIZE = 2
    desk_notify(ticket, agent, 5)

    first = agent_client.get(reverse("notifications:list")).text
    third = agent_client.get(reverse("notifications:list"), {"page": 3}).text

    assert len(listed_subjects(first)) == 2
    assert "Page 1 of 3" in first
    assert len(listed_subjects(third)) == 1
    assert f"{reverse('notifications:list')}?page=2" in third


def test_an_empty_list_says_so(agent_client):
    html = agent_client.get(reverse("notifications:list")).text
    assert "No notifications" in html
    assert "All caught up" in html


# ---------------------------------------------------------------------------------------------
# Marking read
# ---------------------------------------------------------------------------------------------


def test_marking_one_read_over_htmx_returns_the_list_and_tells_the_bell(
    agent_client, agent, ticket
):
    desk_notify(ticket, agent, 2)
    first = mine(agent).order_by("pk").first()

    response = agent_client.post(
        reverse("notifications:read", args=[first.pk]), {"page": "1"}, **HTMX
    )

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="notification-list"')
    assert "notifications-changed" in json.loads(response["HX-Trigger"])
    assert "1 unread" in response.text
    first.refresh_from_db()
    assert first.read_at is not None
    assert mine(agent).filter(read_at__isnull=True).count() == 1


def test_marking_read_twice_keeps_the_first_read_time(agent_client, agent, ticket):
    desk_notify(ticket, agent)
    notification = mine(agent).get()
    agent_client.post(reverse("notifications:read", args=[notification.pk]))
    notification.refresh_from_db()
    read_at = notification.read_at

    agent_client.post(reverse("notifications:read", args=[notification.pk]))

    notification.refresh_from_db()
    assert notification.read_at == read_at


def test_mark_all_read_without_javascript_redirects_back_to_the_page(
    agent_client, agent, ticket, other_agent
):
    desk_notify(ticket, agent, 3)
    desk_notify(ticket, other_agent)

    response = agent_client.post(reverse("notifications:read_all"), {"page": "2"})

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('notifications:list')}?page=2"
    assert not mine(agent).filter(read_at__isnull=True).exists()
    assert mine(other_agent).filter(read_at__isnull=True).count() == 1
    assert unread_badge(agent_client.get(reverse("notifications:bell")).text) is None


def test_marking_read_without_javascript_follows_a_safe_next_only(agent_client, agent, ticket):
    desk_notify(ticket, agent, 2)
    first, second = mine(agent).order_by("pk")
    desk_path = f"/desk/tickets/{ticket.reference}/"

    response = agent_client.post(
        reverse("notifications:read", args=[first.pk]), {"next": desk_path}
    )
    assert response["Location"] == desk_path

    response = agent_client.post(
        reverse("notifications:read", args=[second.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("notifications:list")
