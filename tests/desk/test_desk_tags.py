"""The ticket page's template helpers (desk.templatetags.desk_tags)."""

import re

import pytest
from django.urls import reverse

from desk.forms import Option
from desk.templatetags.desk_tags import assignee_options, desk_url
from desk.views.ticket import TicketChoices
from tests.factories import AgentFactory, TicketFactory
from tickets import services

NAMES = [
    "canned_search",
    "ticket_acknowledge",
    "ticket_assign",
    "ticket_category",
    "ticket_claim",
    "ticket_escalate",
    "ticket_merge",
    "ticket_note",
    "ticket_presence",
    "ticket_priority",
    "ticket_reply",
    "ticket_resolve",
    "ticket_status",
    "ticket_suggest",
    "ticket_tags",
    "ticket_team",
]


@pytest.mark.parametrize("name", NAMES)
def test_desk_url_is_what_url_reversal_gives(name):
    assert desk_url("BIL-1042", name) == reverse(f"desk:{name}", args=["BIL-1042"])


def test_every_desk_url_of_the_ticket_page_names_a_known_url():
    with open("templates/desk/ticket.html", encoding="utf-8") as template:
        used = set(re.findall(r"desk_url:'([a-z_]+)'", template.read()))
    assert used == set(NAMES)


def choices(agents, assignee_id=None):
    return TicketChoices(agents=agents, assignee_id=assignee_id, teams=[], categories=[])


def test_assignee_options_select_the_assignee_mark_the_viewer_and_escape_names():
    agents = [Option(1, "Ada"), Option(2, "<b>Bob</b> & co"), Option(3, "Cy")]

    html = assignee_options(choices(agents, assignee_id=3), 2)

    assert html == (
        '<option value="1">Ada</option>'
        '<option value="2">&lt;b&gt;Bob&lt;/b&gt; &amp; co (you)</option>'
        '<option value="3" selected>Cy</option>'
    )


@pytest.mark.django_db
def test_the_ticket_page_assignee_select_shows_every_agent_and_the_assignee(client, agent):
    colleague = AgentFactory(agent_profile__display_name="Carla <Colleague>")
    ticket = TicketFactory()
    services.ticket_assign(ticket=ticket, assignee=colleague, actor=agent)
    client.force_login(agent)

    html = client.get(reverse("desk:ticket", args=[ticket.reference])).text

    select = re.search(r'<select name="assignee".*?</select>', html, re.S).group(0)
    assert f'<option value="{colleague.pk}" selected>Carla &lt;Colleague&gt;</option>' in select
    assert f'<option value="{agent.pk}">' in select and " (you)</option>" in select
    assert f'hx-post="{reverse("desk:ticket_assign", args=[ticket.reference])}"' in html
