"""Organization health (seed 003 "health_check"): refreshed on resolve and on survey answers,
shown on the desk's organization page (tickets.organization_health)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sla.models import SlaClock, SlaEvent
from tests.factories import CustomerFactory, OrganizationFactory, TicketFactory
from tickets import surveys
from tickets.models import Organization, SatisfactionSurvey, Status, Ticket
from tickets.organization_health import organization_refresh_health
from tickets.services import ticket_resolve, ticket_transition
from tickets.tasks import refresh_organization_health

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(db):
    return OrganizationFactory(name="Northwind", plan_tier="enterprise", domain="northwind.test")


@pytest.fixture
def members(org):
    return [
        CustomerFactory(name="Ada North", organization=org),
        CustomerFactory(name="Bo North", organization=org),
    ]


def resolve(ticket, agent, capture):
    with capture(execute=True):
        ticket_transition(ticket=ticket, to_status=Status.IN_PROGRESS, actor=agent)
        ticket_resolve(ticket=ticket, actor=agent, resolution="Fixed")
    return Ticket.objects.get(pk=ticket.pk)


def answer(ticket, rating: int, capture) -> None:
    survey = SatisfactionSurvey.objects.get(ticket=ticket)
    with capture(execute=True):
        surveys.survey_answer(survey=survey, rating=rating, comment="")


def test_resolving_a_ticket_refreshes_its_organizations_health(
    org, members, agent, django_capture_on_commit_callbacks
):
    tickets = [TicketFactory(customer=members[i % 2]) for i in range(3)]
    TicketFactory(customer=CustomerFactory())  # another organization's ticket
    assert Organization.objects.get(pk=org.pk).health_updated_at is None

    resolve(tickets[0], agent, django_capture_on_commit_callbacks)

    org.refresh_from_db()
    assert org.health_updated_at is not None
    assert org.tickets_30d == 3
    assert org.csat_30d is None and org.surveys_answered_30d == 0
    assert org.breaches_30d == 0


def test_survey_answers_feed_the_csat_as_the_share_rated_4_or_5(
    org, members, agent, django_capture_on_commit_callbacks
):
    tickets = [TicketFactory(customer=members[0]) for _ in range(3)]
    for ticket, rating in zip(tickets, [5, 4, 2], strict=True):
        resolve(ticket, agent, django_capture_on_commit_callbacks)
        answer(ticket, rating, django_capture_on_commit_callbacks)

    org.refresh_from_db()
    assert org.surveys_answered_30d == 3
    assert org.csat_30d == 67  # 2 of 3 rated 4 or 5


def test_only_the_last_30_days_count_and_breaches_are_counted(org, members, agent):
    old, recent = TicketFactory(customer=members[0]), TicketFactory(customer=members[1])
    Ticket.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    now = timezone.now()
    SatisfactionSurvey.objects.create(
        ticket=old,
        resolved_at=now - timedelta(days=39),
        rating=1,
        answered_at=now - timedelta(days=35),
    )
    SatisfactionSurvey.objects.create(
        ticket=recent,
        resolved_at=now - timedelta(days=2),
        rating=4,
        answered_at=now - timedelta(days=1),
    )
    clock = SlaClock.objects.get(ticket=recent, metric="resolution")  # started on filing
    SlaEvent.objects.create(
        clock=clock, ticket=recent, kind="breached", at=now - timedelta(hours=3)
    )
    SlaEvent.objects.create(
        clock=clock, ticket=recent, kind="breached", generation=2, at=now - timedelta(days=31)
    )

    organization_refresh_health(organization=org)
    org.refresh_from_db()
    assert (org.tickets_30d, org.csat_30d, org.surveys_answered_30d, org.breaches_30d) == (
        1,
        100,
        1,
        1,
    )


def test_the_refresh_task_twice_gives_the_same_figures(org, members):
    TicketFactory(customer=members[0])
    assert refresh_organization_health(org.pk) is True
    first = Organization.objects.values("tickets_30d", "csat_30d", "breaches_30d").get(pk=org.pk)
    assert refresh_organization_health(org.pk) is True
    second = Organization.objects.values("tickets_30d", "csat_30d", "breaches_30d").get(pk=org.pk)
    assert first == second == {"tickets_30d": 1, "csat_30d": None, "breaches_30d": 0}
    assert refresh_organization_health(999_999) is False


# The desk page ------------------------------------------------------------------------------


def test_the_organization_page_shows_health_customers_and_recent_tickets(
    client, agent, org, members, django_capture_on_commit_callbacks
):
    ticket = TicketFactory(customer=members[0], subject="Invoices missing")
    resolve(ticket, agent, django_capture_on_commit_callbacks)
    answer(ticket, 5, django_capture_on_commit_callbacks)
    client.force_login(agent)

    response = client.get(reverse("desk:organization", args=[org.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Northwind" in html and "Enterprise" in html
    assert "Ada North" in html and "Bo North" in html
    assert "Invoices missing" in html and ticket.reference in html
    assert "100 %" in html and "5/5" in html


def test_the_organization_page_query_count_does_not_grow_with_tickets(
    client, agent, org, members, django_assert_max_num_queries
):
    for i in range(25):
        TicketFactory(customer=members[i % 2])
    client.force_login(agent)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("desk:organization", args=[org.pk]))
    assert response.status_code == 200
    assert response.content.decode().count('class="cell-ref"') == 20


def test_the_organization_page_is_for_agents_only(client, org, customer):
    url = reverse("desk:organization", args=[org.pk])
    assert client.get(url).status_code == 302  # to the login page
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get(url).status_code == 403


def test_an_unknown_organization_is_a_404(client, agent):
    client.force_login(agent)
    assert client.get(reverse("desk:organization", args=[999_999])).status_code == 404


def test_the_desk_ticket_page_links_the_customers_organization(client, agent, org, members):
    ticket = TicketFactory(customer=members[0])
    client.force_login(agent)
    html = client.get(reverse("desk:ticket", args=[ticket.reference])).content.decode()
    assert f'href="{reverse("desk:organization", args=[org.pk])}"' in html
