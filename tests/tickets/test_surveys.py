"""Satisfaction surveys: scheduled on resolve, sent once when due, answered once by a signed
link; low ratings alert the team lead (tickets.surveys, portal.views.survey)."""

from datetime import timedelta

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from tickets import surveys
from tickets.models import Notification, SatisfactionSurvey, Status, Ticket, TicketEvent
from tickets.services import ticket_change_team, ticket_reopen, ticket_resolve, ticket_transition
from tickets.surveys import survey_link, survey_token
from tickets.tasks import create_survey, send_due_surveys
from webhooks.models import WebhookDelivery, WebhookSubscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def resolve(agent, django_capture_on_commit_callbacks):
    """Resolve a ticket through the lifecycle verbs, running the after-hooks (so the survey
    task runs, inline in tests)."""

    def run(ticket, resolution="Cleared the export cache."):
        with django_capture_on_commit_callbacks(execute=True):
            if Ticket.objects.get(pk=ticket.pk).status != Status.IN_PROGRESS:
                ticket_transition(ticket=ticket, to_status=Status.IN_PROGRESS, actor=agent)
            ticket_resolve(ticket=ticket, actor=agent, resolution=resolution)
        return Ticket.objects.get(pk=ticket.pk)

    return run


def make_due(survey: SatisfactionSurvey) -> None:
    SatisfactionSurvey.objects.filter(pk=survey.pk).update(
        due_at=timezone.now() - timedelta(minutes=1)
    )


def sent_survey(ticket, resolve) -> SatisfactionSurvey:
    resolve(ticket)
    survey = SatisfactionSurvey.objects.get(ticket=ticket)
    make_due(survey)
    send_due_surveys()
    survey.refresh_from_db()
    return survey


def survey_url(survey) -> str:
    return reverse("portal:survey", args=[survey_token(survey)])


# Scheduling ---------------------------------------------------------------------------------


def test_resolving_records_one_survey_due_after_the_configured_delay(ticket, resolve, settings):
    settings.SURVEY_DELAY_MINUTES = 30
    ticket = resolve(ticket)
    survey = SatisfactionSurvey.objects.get(ticket=ticket)
    assert survey.resolved_at == ticket.resolved_at
    assert survey.due_at == ticket.resolved_at + timedelta(minutes=30)
    assert survey.sent_at is None and survey.rating is None

    # The task delivered twice (at-least-once) still leaves one survey.
    assert create_survey(ticket.pk, ticket.resolved_at.isoformat()) is False
    assert SatisfactionSurvey.objects.filter(ticket=ticket).count() == 1


def test_the_default_delay_is_one_hour(ticket, resolve):
    ticket = resolve(ticket)
    survey = SatisfactionSurvey.objects.get(ticket=ticket)
    assert survey.due_at - survey.resolved_at == timedelta(hours=1)


def test_a_survey_is_not_sent_before_it_is_due(ticket, resolve, mailoutbox):
    resolve(ticket)
    assert send_due_surveys() == 0
    assert SatisfactionSurvey.objects.get(ticket=ticket).sent_at is None
    assert not Notification.objects.filter(kind="survey").exists()


def test_a_due_survey_is_emailed_once_with_its_signed_link(
    ticket, resolve, mailoutbox, django_capture_on_commit_callbacks
):
    resolve(ticket)
    survey = SatisfactionSurvey.objects.get(ticket=ticket)
    make_due(survey)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_surveys() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_surveys() == 0  # the second run finds it sent

    survey.refresh_from_db()
    assert survey.sent_at is not None
    notification = Notification.objects.get(kind="survey")
    assert notification.channel == "email" and notification.recipient_email == ticket.customer.email
    prefix = survey_link(survey).rsplit("/", 2)[0] + "/"
    assert notification.link.startswith(prefix)
    token = notification.link.removeprefix(prefix).rstrip("/")
    assert surveys.survey_from_token(token) == survey
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.subject.startswith(f"[{ticket.reference}] How did we do?")
    assert notification.link in email.body


def test_a_ticket_reopened_before_the_survey_is_due_is_skipped_and_the_next_resolution_surveyed(
    ticket, resolve, agent, django_capture_on_commit_callbacks
):
    first_resolution = resolve(ticket).resolved_at
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reopen(
            ticket=Ticket.objects.get(pk=ticket.pk), actor=agent, reason="Customer says it is back"
        )
    second_resolution = resolve(ticket, "Rebuilt the index.").resolved_at

    first = SatisfactionSurvey.objects.get(ticket=ticket, resolved_at=first_resolution)
    second = SatisfactionSurvey.objects.get(ticket=ticket, resolved_at=second_resolution)
    make_due(first)
    make_due(second)
    assert send_due_surveys() == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.sent_at is None and first.skipped_at is not None
    assert second.sent_at is not None and second.skipped_at is None
    assert send_due_surveys() == 0


def test_a_ticket_closed_after_its_resolution_is_still_surveyed(ticket, resolve, agent):
    resolve(ticket)
    from tickets.services import ticket_close

    ticket_close(ticket=ticket, actor=agent)
    survey = SatisfactionSurvey.objects.get(ticket=ticket)
    make_due(survey)
    assert send_due_surveys() == 1


# The page and the answer --------------------------------------------------------------------


def test_the_survey_page_asks_for_a_rating_from_1_to_5(client, ticket, resolve):
    survey = sent_survey(ticket, resolve)
    response = client.get(survey_url(survey))
    assert response.status_code == 200
    html = response.content.decode()
    assert "How did we do?" in html and ticket.subject in html
    for value in range(1, 6):
        assert f'name="rating" value="{value}"' in html
    assert "Very dissatisfied" in html and "Very satisfied" in html


def test_answering_records_the_rating_on_the_survey_and_the_ticket_once(
    client, ticket, resolve, lead
):
    WebhookSubscription.objects.create(
        name="CRM", url="https://crm.example.com/hook", events=["survey.submitted"]
    )
    survey = sent_survey(ticket, resolve)
    url = survey_url(survey)

    response = client.post(url, {"rating": "5", "comment": "  Quick and kind  "})
    assert response.status_code == 302 and response["Location"] == f"{url}?thanks=1"
    assert "Thank you for your feedback" in client.get(response["Location"]).content.decode()

    survey.refresh_from_db()
    ticket.refresh_from_db()
    assert (survey.rating, survey.comment) == (5, "Quick and kind")
    assert survey.answered_at is not None
    assert (ticket.satisfaction_rating, ticket.satisfaction_comment) == (5, "Quick and kind")
    event = TicketEvent.objects.get(ticket=ticket, kind="satisfaction_rated")
    assert event.to_value == "5" and event.data["survey_id"] == survey.pk
    delivery = WebhookDelivery.objects.get(event="survey.submitted")
    assert delivery.payload["data"]["rating"] == 5
    assert delivery.payload["data"]["comment"] == "Quick and kind"
    assert delivery.ticket_reference == ticket.reference
    # A good rating adds no note and alerts nobody.
    assert not ticket.messages.filter(is_internal=True).exists()
    assert not Notification.objects.filter(kind="low_rating").exists()


def test_a_reused_link_shows_already_answered_and_writes_nothing(client, ticket, resolve):
    survey = sent_survey(ticket, resolve)
    url = survey_url(survey)
    client.post(url, {"rating": "4", "comment": "Fine"})

    again = client.post(url, {"rating": "1", "comment": "Changed my mind"})
    assert again.status_code == 409
    assert "already answered" in again.content.decode()
    page = client.get(url)
    assert page.status_code == 200 and "already answered" in page.content.decode()

    survey.refresh_from_db()
    ticket.refresh_from_db()
    assert (survey.rating, survey.comment) == (4, "Fine")
    assert ticket.satisfaction_rating == 4
    assert TicketEvent.objects.filter(ticket=ticket, kind="satisfaction_rated").count() == 1


def test_the_service_refuses_a_second_answer(ticket, resolve):
    from common.exceptions import ApplicationError

    survey = sent_survey(ticket, resolve)
    surveys.survey_answer(survey=survey, rating=3, comment="")
    with pytest.raises(ApplicationError, match="already answered"):
        surveys.survey_answer(survey=survey, rating=5, comment="")
    survey.refresh_from_db()
    assert survey.rating == 3


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda s: survey_token(s)[:-3] + "abc", id="changed-signature"),
        pytest.param(
            lambda s: survey_token(s).replace(
                signing.dumps({"survey": s.pk}, salt=surveys.SIGNING_SALT).split(":")[0],
                signing.dumps({"survey": s.pk + 1}, salt=surveys.SIGNING_SALT).split(":")[0],
            ),
            id="other-survey-id-same-signature",
        ),
        pytest.param(lambda s: signing.dumps({"survey": s.pk}), id="unsalted"),
        pytest.param(lambda s: signing.dumps({"survey": s.pk}, salt="other"), id="other-salt"),
        pytest.param(
            lambda s: signing.dumps({"survey": 999_999}, salt=surveys.SIGNING_SALT),
            id="no-such-survey",
        ),
        pytest.param(lambda s: "not-a-token", id="garbage"),
    ],
)
def test_a_forged_or_changed_link_is_refused_with_a_clear_page(client, ticket, resolve, make_token):
    survey = sent_survey(ticket, resolve)
    url = reverse("portal:survey", args=[make_token(survey)])
    for response in (client.get(url), client.post(url, {"rating": "1"})):
        assert response.status_code == 400
        assert "This survey link is not valid" in response.content.decode()
    survey.refresh_from_db()
    assert survey.rating is None and survey.answered_at is None


def test_an_expired_link_says_so(client, ticket, resolve, monkeypatch):
    survey = sent_survey(ticket, resolve)
    url = survey_url(survey)
    monkeypatch.setattr(surveys, "LINK_MAX_AGE", timedelta(seconds=-1))
    response = client.post(url, {"rating": "5"})
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    survey.refresh_from_db()
    assert survey.rating is None


@pytest.mark.parametrize("rating", ["", "0", "6", "five"])
def test_an_invalid_rating_is_refused_and_nothing_saved(client, ticket, resolve, rating):
    survey = sent_survey(ticket, resolve)
    response = client.post(survey_url(survey), {"rating": rating, "comment": "Hm"})
    assert response.status_code == 400
    assert "Please choose a rating from 1 to 5." in response.content.decode()
    survey.refresh_from_db()
    assert survey.rating is None and survey.answered_at is None
    assert not TicketEvent.objects.filter(kind="satisfaction_rated").exists()


def test_a_rating_after_the_ticket_reopened_counts_for_the_resolution_it_was_sent_for(
    client, ticket, resolve, agent
):
    survey = sent_survey(ticket, resolve)
    ticket_reopen(
        ticket=Ticket.objects.get(pk=ticket.pk), actor=agent, reason="Not fixed after all"
    )

    response = client.post(survey_url(survey), {"rating": "3", "comment": "Came back"})
    assert response.status_code == 302
    survey.refresh_from_db()
    ticket.refresh_from_db()
    assert survey.rating == 3 and survey.resolved_at is not None
    assert ticket.status == Status.IN_PROGRESS and ticket.resolved_at is None
    assert ticket.satisfaction_rating == 3


def test_a_late_answer_about_an_earlier_resolution_does_not_overwrite_a_newer_rating(
    ticket, resolve, agent
):
    first = sent_survey(ticket, resolve)
    ticket_reopen(ticket=Ticket.objects.get(pk=ticket.pk), actor=agent, reason="Back again")
    resolve(ticket, "Second fix")
    second = SatisfactionSurvey.objects.exclude(pk=first.pk).get(ticket=ticket)
    surveys.survey_answer(survey=second, rating=5, comment="Second time lucky")
    surveys.survey_answer(survey=first, rating=2, comment="First fix failed")

    ticket.refresh_from_db()
    assert ticket.satisfaction_rating == 5
    first.refresh_from_db()
    assert first.rating == 2
    late = TicketEvent.objects.filter(kind="satisfaction_rated").order_by("pk").last()
    assert late.data["current"] is False and late.to_value == "2"


# Low ratings --------------------------------------------------------------------------------


def test_a_rating_of_2_alerts_the_team_lead_and_adds_an_internal_note(
    client, ticket, resolve, lead, agent, team
):
    team.lead = lead
    team.save()
    ticket_change_team(ticket=ticket, team=team, actor=agent)
    survey = sent_survey(ticket, resolve)

    response = client.post(survey_url(survey), {"rating": "2", "comment": "Slow to answer."})
    assert response.status_code == 302

    note = ticket.messages.get(is_internal=True)
    assert note.author_kind == "system" and note.author is None
    assert "2/5" in note.body and "Slow to answer." in note.body
    assert TicketEvent.objects.filter(ticket=ticket, kind="note_added").exists()
    alerts = Notification.objects.filter(kind="low_rating")
    assert {n.channel for n in alerts} == {"desk", "email"}
    assert {n.recipient_user for n in alerts} == {lead}
    assert all(n.ticket_id == ticket.pk for n in alerts)
    desk = alerts.get(channel="desk")
    assert "rated" in desk.body_text and "2/5" in desk.body_text
    # The customer's portal never shows the note.
    public = client.get(reverse("portal:ticket", args=[ticket.public_id])).content.decode()
    assert "Low satisfaction rating" not in public


def test_without_a_team_lead_the_managers_hear_of_a_rating_of_1(ticket, resolve):
    from tests.factories import AgentFactory

    manager = AgentFactory(agent_profile__seniority="manager")
    survey = sent_survey(ticket, resolve)
    surveys.survey_answer(survey=survey, rating=1, comment="")
    assert set(
        Notification.objects.filter(kind="low_rating").values_list("recipient_user", flat=True)
    ) == {manager.pk}
    note = ticket.messages.get(is_internal=True)
    assert "left no comment" in note.body


def test_a_rating_of_3_alerts_nobody(ticket, resolve, lead):
    survey = sent_survey(ticket, resolve)
    surveys.survey_answer(survey=survey, rating=3, comment="Okay")
    assert not Notification.objects.filter(kind="low_rating").exists()
    assert not ticket.messages.filter(is_internal=True).exists()


def test_the_at_risk_rule_reads_the_ratings_from_surveys(ticket, resolve, customer):
    """Seed 001's at-risk rule: "customer's average satisfaction" comes from survey answers."""
    from tickets.automation.conditions import TicketFacts

    survey = sent_survey(ticket, resolve)
    surveys.survey_answer(survey=survey, rating=2, comment="")
    from tests.factories import TicketFactory

    new_ticket = TicketFactory(customer=customer)
    assert TicketFacts(new_ticket).get("average_satisfaction") == 2


# Demo data ----------------------------------------------------------------------------------


def test_seed_demo_records_sent_and_answered_surveys_without_emailing_anyone(mailoutbox):
    from io import StringIO

    from django.core.management import call_command

    from tickets.models import Organization

    call_command("seed_demo", "--tickets", "40", stdout=StringIO())
    resolved = Ticket.objects.filter(resolved_at__isnull=False)
    assert SatisfactionSurvey.objects.count() == resolved.count() > 0
    assert not SatisfactionSurvey.objects.filter(sent_at__isnull=True).exists()
    answered = SatisfactionSurvey.objects.filter(answered_at__isnull=False)
    assert answered.exists()
    for survey in answered.select_related("ticket"):
        assert survey.ticket.satisfaction_rating == survey.rating
        assert survey.resolved_at <= survey.sent_at <= survey.answered_at
    assert TicketEvent.objects.filter(kind="satisfaction_rated").count() == answered.count()
    assert not Organization.objects.filter(health_updated_at__isnull=True).exists()
    assert send_due_surveys() == 0
    assert not [m for m in mailoutbox if "How did we do?" in m.subject]
