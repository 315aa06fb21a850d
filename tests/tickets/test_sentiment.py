"""The customer's sentiment on a ticket: one service writes it with its event, agents see it
on the desk ticket page, and integrators in the agent API."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from common.exceptions import ApplicationError
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_set_sentiment

pytestmark = pytest.mark.django_db


def sentiment_events(ticket) -> list[tuple[str, str]]:
    return list(
        ticket.events.filter(kind=TicketEvent.Kind.SENTIMENT_CHANGED)
        .order_by("pk")
        .values_list("from_value", "to_value")
    )


def test_setting_the_sentiment_writes_one_event_per_change(ticket):
    assert ticket.sentiment is None

    ticket_set_sentiment(ticket=ticket, sentiment="negative", source="ai")
    ticket_set_sentiment(ticket=ticket, sentiment="negative", source="ai")  # no change
    ticket_set_sentiment(ticket=ticket, sentiment=None)

    assert Ticket.objects.get(pk=ticket.pk).sentiment is None
    assert sentiment_events(ticket) == [("", "negative"), ("negative", "")]


def test_an_unknown_sentiment_is_refused_and_nothing_is_saved(ticket):
    with pytest.raises(ValidationError):
        ticket_set_sentiment(ticket=ticket, sentiment="furious")

    assert Ticket.objects.get(pk=ticket.pk).sentiment is None
    assert sentiment_events(ticket) == []


def test_a_closed_ticket_keeps_its_sentiment(ticket):
    Ticket.objects.filter(pk=ticket.pk).update(status="closed")

    with pytest.raises(ApplicationError):
        ticket_set_sentiment(ticket=ticket, sentiment="negative")


def test_the_desk_ticket_page_shows_the_sentiment(client, agent, ticket):
    client.force_login(agent)
    url = reverse("desk:ticket", args=[ticket.reference])

    unknown = client.get(url).content.decode()
    assert re.search(r"<dt>Sentiment</dt><dd><span class=\"muted\">Unknown</span>", unknown)

    ticket_set_sentiment(ticket=ticket, sentiment="negative", source="ai")
    page = client.get(url).content.decode()
    assert re.search(r"<dt>Sentiment</dt><dd><span class=\"sentiment sentiment-negative\"", page)
    assert ">Negative</span>" in page
    assert "recorded the customer&#x27;s sentiment" in page
    assert "as the AI classification read it" in page
