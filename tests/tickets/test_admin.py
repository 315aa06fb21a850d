from datetime import timedelta

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agents.models import AgentProfile, OnCallShift, Team
from tests.factories import CustomerFactory, TicketFactory
from tickets.models import (
    Attachment,
    Category,
    Customer,
    Notification,
    Organization,
    Tag,
    Ticket,
    TicketEvent,
    TicketMessage,
)
from tickets.notifications import notify
from tickets.services import ticket_add_note, ticket_assign, ticket_reply

ADMIN_MODELS = [
    Organization,
    Customer,
    Category,
    Tag,
    Ticket,
    TicketMessage,
    TicketEvent,
    Attachment,
    Notification,
    Team,
    AgentProfile,
    OnCallShift,
]


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def history(agent, team, category):
    """A ticket with every kind of row the admin shows."""
    team.categories.add(category)
    agent.agent_profile.teams.add(team)
    ticket = TicketFactory(
        customer=CustomerFactory(organization=Organization.objects.create(name="Initech")),
        category=category,
        tags=["export"],
        files=[SimpleUploadedFile("log.txt", b"error at 10:15", content_type="text/plain")],
    )
    ticket_assign(ticket=ticket, assignee=agent, actor=agent)
    reply = ticket_reply(ticket=ticket, actor=agent, body="Looking into it.")
    ticket_add_note(ticket=ticket, actor=agent, body="Probably the nightly job.")
    notify(
        kind="agent_replied",
        recipients=[ticket.customer],
        ticket=ticket,
        message=reply,
        template="agent_replied",
    )
    notify(
        kind="escalation",
        recipients=[agent],
        ticket=ticket,
        template="agent_notice",
        context={"headline": "Escalated to you"},
    )
    now = timezone.now()
    OnCallShift.objects.create(
        agent=agent.agent_profile,
        team=team,
        starts_at=now,
        ends_at=now + timedelta(hours=8),
        priorities=["high", "critical"],
    )
    ticket.refresh_from_db()
    return ticket


def test_every_ticket_and_agent_model_is_registered():
    for model in ADMIN_MODELS:
        assert admin.site.is_registered(model), model.__name__


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m.__name__)
def test_changelist_and_change_page_answer_200(admin_client, history, model):
    assert admin_client.get(admin_url(model, "changelist")).status_code == 200
    assert admin_client.get(admin_url(model, "changelist"), {"q": "a"}).status_code == 200

    obj = model.objects.order_by("pk").first()
    assert obj is not None, f"no {model.__name__} to show"
    assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200


def test_user_page_shows_the_agent_profile_inline(admin_client, agent):
    response = admin_client.get(admin_url(type(agent), "change", agent.pk))

    assert response.status_code == 200
    assert b"agent profile" in response.content.lower()


def test_ticket_change_form_only_edits_subject_and_body(admin_client, history):
    url = admin_url(Ticket, "change", history.pk)
    page = admin_client.get(url)
    data = {"subject": "Export to CSV never finishes", "body": "Typo fixed."}
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data[f"{formset.prefix}-TOTAL_FORMS"] = formset.total_form_count()
        data[f"{formset.prefix}-INITIAL_FORMS"] = formset.initial_form_count()
    data.update(
        status="closed",
        priority="critical",
        escalation_level="3",
        assignee="",
        resolution="Forced from admin",
        reference="HACK-1",
    )

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    ticket = Ticket.objects.get(pk=history.pk)
    assert ticket.subject == "Export to CSV never finishes"
    assert ticket.body == "Typo fixed."
    assert (ticket.status, ticket.priority, ticket.escalation_level) == (
        history.status,
        history.priority,
        0,
    )
    assert ticket.assignee_id == history.assignee_id
    assert ticket.resolution == ""
    assert ticket.reference == history.reference
    assert ticket.events.count() == history.events.count()


def test_tickets_cannot_be_added_in_admin(admin_client, db):
    assert admin_client.get(admin_url(Ticket, "add")).status_code == 403


def test_ticket_events_cannot_be_added_changed_or_deleted(admin_client, history):
    event = history.events.first()

    assert admin_client.get(admin_url(TicketEvent, "add")).status_code == 403
    assert admin_client.post(admin_url(TicketEvent, "add"), {"kind": "created"}).status_code == 403
    assert (
        admin_client.post(admin_url(TicketEvent, "delete", event.pk), {"post": "yes"}).status_code
        == 403
    )
    admin_client.post(admin_url(TicketEvent, "change", event.pk), {"kind": "escalated"})
    event.refresh_from_db()
    assert event.kind == TicketEvent.Kind.CREATED


def test_messages_cannot_be_added_and_an_edited_body_is_rendered_again(admin_client, history):
    message = history.messages.filter(is_internal=False, author_kind="agent").get()
    assert admin_client.get(admin_url(TicketMessage, "add")).status_code == 403

    response = admin_client.post(
        admin_url(TicketMessage, "change", message.pk),
        {
            "body": "Looking into it, **now**.",
            "body_html": "<script>x</script>",
            "is_internal": "on",
        },
    )

    assert response.status_code == 302
    message.refresh_from_db()
    assert message.body_html == "<p>Looking into it, <strong>now</strong>.</p>\n"
    assert message.is_internal is False


def test_ticket_changelist_queries_do_not_grow_with_rows(admin_client, history, agent):
    url = admin_url(Ticket, "changelist")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(url).status_code == 200
        return len(captured)

    few = queries()
    for _ in range(8):
        ticket = TicketFactory(category=history.category)
        ticket_assign(ticket=ticket, assignee=agent, actor=agent)

    assert queries() == few


def test_send_now_queues_the_selected_unsent_emails_and_leaves_sent_ones(
    admin_client, history, mailoutbox
):
    unsent = Notification.objects.filter(sent_at__isnull=True)
    assert set(unsent.values_list("channel", flat=True)) == {"email"}
    selected = list(Notification.objects.values_list("pk", flat=True))

    response = admin_client.post(
        admin_url(Notification, "changelist"),
        {"action": "send_now", "_selected_action": selected},
        follow=True,
    )

    assert "Queued 2 notification(s)." in response.text
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        [history.customer.email, history.assignee.email]
    )
    assert not Notification.objects.filter(sent_at__isnull=True).exists()


def test_notifications_are_read_only_in_admin(admin_client, history):
    notification = Notification.objects.first()
    assert admin_client.get(admin_url(Notification, "add")).status_code == 403
    response = admin_client.post(admin_url(Notification, "change", notification.pk), {})
    assert response.status_code == 403


def test_an_on_call_shift_is_added_with_priority_checkboxes(admin_client, agent, team):
    data = {
        "agent": agent.agent_profile.pk,
        "team": team.pk,
        "starts_at_0": "2026-12-01",
        "starts_at_1": "08:00",
        "ends_at_0": "2026-12-01",
        "ends_at_1": "20:00",
        "priorities": ["critical", "high"],
        "note": "Weekend cover",
    }
    response = admin_client.post(admin_url(OnCallShift, "add"), data)

    assert response.status_code == 302, response.text
    shift = OnCallShift.objects.get()
    assert shift.priorities == ["high", "critical"]
    assert shift.team == team


def test_an_on_call_shift_that_ends_before_it_starts_is_refused(admin_client, agent):
    data = {
        "agent": agent.agent_profile.pk,
        "starts_at_0": "2026-12-01",
        "starts_at_1": "20:00",
        "ends_at_0": "2026-12-01",
        "ends_at_1": "08:00",
        "priorities": ["low"],
    }
    response = admin_client.post(admin_url(OnCallShift, "add"), data)

    assert response.status_code == 200
    assert "A shift must end after it starts." in response.text
    assert not OnCallShift.objects.exists()
