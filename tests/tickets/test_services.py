"""The lifecycle verbs: every effective change writes exactly one event, every refused move
is refused with a message and writes nothing."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from common.exceptions import ApplicationError
from tests.factories import (
    CategoryFactory,
    CustomerFactory,
    TeamFactory,
    TicketFactory,
    UserFactory,
)
from tickets.models import Customer, Status, Ticket, TicketEvent, TicketMessage
from tickets.services import (
    ALLOWED_TRANSITIONS,
    customer_get_or_create,
    parse_priority,
    ticket_add_note,
    ticket_assign,
    ticket_change_category,
    ticket_change_priority,
    ticket_change_team,
    ticket_claim,
    ticket_close,
    ticket_create,
    ticket_customer_reply,
    ticket_escalate,
    ticket_reopen,
    ticket_reply,
    ticket_resolve,
    ticket_set_tags,
    ticket_transition,
)

pytestmark = pytest.mark.django_db


def kinds(ticket):
    return list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))


def move_to(ticket, status, agent):
    """Walk a fresh ticket along the lifecycle to `status`."""
    path = {
        Status.OPEN: [],
        Status.IN_PROGRESS: [Status.IN_PROGRESS],
        Status.WAITING_CUSTOMER: [Status.IN_PROGRESS, Status.WAITING_CUSTOMER],
        Status.WAITING_INTERNAL: [Status.IN_PROGRESS, Status.WAITING_INTERNAL],
        Status.RESOLVED: [Status.IN_PROGRESS, Status.RESOLVED],
        Status.CLOSED: [Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED],
    }[status]
    for step in path:
        ticket = ticket_transition(
            ticket=ticket, to_status=step, actor=agent, resolution="Fixed in 4.2"
        )
    return ticket


# --- create -------------------------------------------------------------------------------


def test_create_writes_ticket_first_message_tags_and_one_created_event(customer):
    category = CategoryFactory(slug="bug", name="Bug", prefix="BUG")
    ticket = ticket_create(
        customer=customer,
        subject="  App crashes  ",
        body="On **login**",
        category=category,
        priority="urgent",
        type="bug",
        tags=["Mobile App", "mobile-app", "ios"],
    )
    assert ticket.reference == f"BUG-{ticket.pk:05d}"
    assert ticket.subject == "App crashes"
    assert ticket.priority == "critical"  # the alias
    assert ticket.status == Status.OPEN
    assert len(ticket.public_id) >= 20
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["ios", "mobile-app"]
    message = ticket.messages.get()
    assert message.author_kind == "customer" and not message.is_internal
    assert message.body_html == "<p>On <strong>login</strong></p>\n"
    event = ticket.events.get()
    assert event.kind == "created" and event.actor is None
    assert event.data["priority"] == "critical" and event.data["category"] == "bug"


def test_create_without_category_uses_the_tkt_prefix(customer):
    ticket = ticket_create(customer=customer, subject="Hi", body="Hello")
    assert ticket.reference.startswith("TKT-")


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("subject", {"subject": "   "}),
        ("body", {"body": ""}),
        ("subject", {"subject": "x" * 201}),
        ("priority", {"priority": "whenever"}),
        ("type", {"type": "rant"}),
    ],
)
def test_create_refuses_bad_input_and_saves_nothing(customer, field, kwargs):
    values = {"customer": customer, "subject": "Subject", "body": "Body", **kwargs}
    with pytest.raises(ValidationError) as info:
        ticket_create(**values)
    assert field in info.value.message_dict
    assert Ticket.objects.count() == 0
    assert TicketMessage.objects.count() == 0


def test_create_refuses_a_disallowed_attachment_before_writing(customer):
    exe = SimpleUploadedFile("setup.exe", b"MZ...", content_type="image/png")
    with pytest.raises(ValidationError, match="cannot be attached"):
        ticket_create(customer=customer, subject="S", body="B", files=[exe])
    assert Ticket.objects.count() == 0


def test_create_refuses_an_oversized_attachment(customer, settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    big = SimpleUploadedFile("log.txt", b"x" * 11, content_type="text/plain")
    with pytest.raises(ValidationError, match="larger than"):
        ticket_create(customer=customer, subject="S", body="B", files=[big])
    assert Ticket.objects.count() == 0


def test_create_stores_attachments_with_the_type_from_the_name(customer):
    upload = SimpleUploadedFile("trace.txt", b"stack trace", content_type="application/x-evil")
    ticket = ticket_create(customer=customer, subject="S", body="B", files=[upload])
    attachment = ticket.attachments.get()
    assert attachment.content_type == "text/plain"
    assert attachment.size == len(b"stack trace")
    assert attachment.message == ticket.messages.get()
    assert attachment.file.read() == b"stack trace"


def test_customer_get_or_create_matches_email_case_insensitively():
    first = customer_get_or_create(email="Ana@Example.com", name="Ana")
    again = customer_get_or_create(email="ana@example.com", name="Someone else")
    assert first == again and again.name == "Ana"
    assert Customer.objects.count() == 1


def test_customer_get_or_create_refuses_a_bad_email():
    with pytest.raises(ValidationError) as info:
        customer_get_or_create(email="not-an-email", name="X")
    assert "email" in info.value.message_dict


def test_markdown_from_customers_is_sanitised(customer):
    ticket = ticket_create(
        customer=customer,
        subject="S",
        body="<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>",
    )
    html = ticket.messages.get().body_html
    assert "<script" not in html and "<img" not in html
    assert 'href="javascript' not in html
    assert "&lt;script&gt;" in html  # shown as text, not run


def test_sanitiser_strips_what_markdown_lets_through():
    from common.markdown import render_markdown

    html = render_markdown("[ok](https://example.com) [bad](vbscript:msgbox)")
    assert 'href="https://example.com"' in html and 'rel="noopener noreferrer nofollow"' in html
    assert 'href="vbscript' not in html


# --- transitions ----------------------------------------------------------------------------

ALL_STATUSES = list(Status.values)


@pytest.mark.parametrize("start", ALL_STATUSES)
@pytest.mark.parametrize("target", ALL_STATUSES)
def test_transition_table_is_enforced(start, target, agent, customer):
    ticket = move_to(TicketFactory(customer=customer), start, agent)
    before = TicketEvent.objects.count()
    if target == start:
        ticket_transition(ticket=ticket, to_status=target, actor=agent, resolution="r")
        assert TicketEvent.objects.count() == before  # a no-op writes nothing
    elif target in ALLOWED_TRANSITIONS[start]:
        ticket = ticket_transition(ticket=ticket, to_status=target, actor=agent, resolution="r")
        ticket.refresh_from_db()
        assert ticket.status == target
        event = TicketEvent.objects.latest("id")
        assert (event.kind, event.from_value, event.to_value) == ("status_changed", start, target)
        assert event.actor == agent
        assert TicketEvent.objects.count() == before + 1
    else:
        with pytest.raises(ApplicationError, match="cannot move from"):
            ticket_transition(ticket=ticket, to_status=target, actor=agent, resolution="r")
        ticket.refresh_from_db()
        assert ticket.status == start
        assert TicketEvent.objects.count() == before


def test_unknown_status_is_a_validation_error(ticket, agent):
    with pytest.raises(ValidationError):
        ticket_transition(ticket=ticket, to_status="snoozed", actor=agent)


def test_resolve_requires_a_resolution_and_records_it(ticket, agent):
    ticket = move_to(ticket, Status.IN_PROGRESS, agent)
    with pytest.raises(ValidationError):
        ticket_resolve(ticket=ticket, actor=agent, resolution="  ")
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS and ticket.resolution == ""
    ticket = ticket_resolve(ticket=ticket, actor=agent, resolution="Cleared the cache")
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert ticket.resolved_at is not None and ticket.resolution == "Cleared the cache"
    assert TicketEvent.objects.latest("id").data["resolution"] == "Cleared the cache"


def test_close_sets_closed_at_and_then_nothing_changes(ticket, agent):
    ticket = move_to(ticket, Status.RESOLVED, agent)
    ticket = ticket_close(ticket=ticket, actor=agent)
    ticket.refresh_from_db()
    assert ticket.closed_at is not None
    with pytest.raises(ApplicationError, match="closed"):
        ticket_change_priority(ticket=ticket, priority="high", actor=agent)
    with pytest.raises(ApplicationError, match="closed"):
        ticket_reply(ticket=ticket, actor=agent, body="Hello?")


def test_reopen_moves_resolved_back_to_in_progress_and_clears_the_resolution(ticket, agent):
    ticket = move_to(ticket, Status.RESOLVED, agent)
    ticket = ticket_reopen(ticket=ticket, actor=agent, reason="Still broken")
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.resolved_at is None and ticket.resolution == ""
    event = TicketEvent.objects.latest("id")
    assert event.kind == "status_changed" and event.data["reason"] == "Still broken"


def test_reopen_refuses_tickets_that_are_not_resolved(ticket, agent):
    with pytest.raises(ApplicationError, match="Only resolved tickets"):
        ticket_reopen(ticket=ticket, actor=agent)


def test_customers_cannot_use_agent_verbs(ticket):
    stranger = UserFactory()
    with pytest.raises(ApplicationError, match="Only agents"):
        ticket_transition(ticket=ticket, to_status="in_progress", actor=stranger)
    with pytest.raises(ApplicationError, match="Only agents"):
        ticket_reply(ticket=ticket, actor=stranger, body="hi")
    assert kinds(ticket) == ["created"]


# --- assignment ---------------------------------------------------------------------------


def test_assign_and_unassign_write_one_event_each(ticket, agent, other_agent):
    ticket_assign(ticket=ticket, assignee=agent, actor=other_agent)
    ticket_assign(ticket=ticket, assignee=agent, actor=other_agent)  # no-op
    ticket_assign(ticket=ticket, assignee=None, actor=other_agent)
    events = list(ticket.events.filter(kind="assigned"))
    assert len(events) == 2
    assert events[0].data == {"from_id": None, "to_id": agent.pk, "via": "assign"}
    assert events[1].data["to_id"] is None
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_assign_refuses_non_agents(ticket, agent):
    with pytest.raises(ValidationError):
        ticket_assign(ticket=ticket, assignee=UserFactory(), actor=agent)


def test_claim_takes_an_unassigned_ticket(ticket, agent):
    ticket_claim(ticket=ticket, agent=agent)
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    event = ticket.events.get(kind="assigned")
    assert event.data["via"] == "claim" and event.actor == agent


def test_second_claim_is_refused_with_the_winner_named(ticket, agent, other_agent):
    ticket_claim(ticket=ticket, agent=agent)
    with pytest.raises(ApplicationError, match="already claimed by"):
        ticket_claim(ticket=ticket, agent=other_agent)
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    assert ticket.events.filter(kind="assigned").count() == 1


def test_claiming_your_own_ticket_again_is_a_no_op(ticket, agent):
    ticket_claim(ticket=ticket, agent=agent)
    ticket_claim(ticket=ticket, agent=agent)
    assert ticket.events.filter(kind="assigned").count() == 1


def test_change_team_writes_one_event(ticket, agent):
    team = TeamFactory(name="Billing")
    ticket_change_team(ticket=ticket, team=team, actor=agent)
    ticket_change_team(ticket=ticket, team=team, actor=agent)
    event = ticket.events.get(kind="team_changed")
    assert event.to_value == "Billing"


# --- priority, category, tags, escalation -------------------------------------------------


def test_change_priority_accepts_aliases_and_records_from_and_to(ticket, agent):
    ticket_change_priority(ticket=ticket, priority="URGENT", actor=agent)
    event = ticket.events.get(kind="priority_changed")
    assert (event.from_value, event.to_value) == ("medium", "critical")
    ticket_change_priority(ticket=ticket, priority="critical", actor=agent)
    assert ticket.events.filter(kind="priority_changed").count() == 1


def test_parse_priority_names_the_allowed_values():
    assert parse_priority("normal") == "medium"
    with pytest.raises(ValidationError, match="low, medium, high, critical"):
        parse_priority("asap")


def test_change_category_keeps_the_reference(ticket, agent):
    reference = ticket.reference
    ticket_change_category(ticket=ticket, category=CategoryFactory(), actor=agent)
    ticket.refresh_from_db()
    assert ticket.reference == reference and ticket.category.slug == "billing"
    assert ticket.events.get(kind="category_changed").to_value == "Billing"


def test_inactive_category_is_refused(ticket, agent):
    inactive = CategoryFactory(slug="legacy", name="Legacy", prefix="LEG", active=False)
    with pytest.raises(ValidationError):
        ticket_change_category(ticket=ticket, category=inactive, actor=agent)


def test_set_tags_records_added_and_removed(ticket, agent):
    ticket_set_tags(ticket=ticket, tags=["vip", "refund"], actor=agent)
    ticket_set_tags(ticket=ticket, tags=["refund", "Mobile"], actor=agent)
    ticket_set_tags(ticket=ticket, tags=["mobile", "refund"], actor=agent)  # same set
    events = list(ticket.events.filter(kind="tags_changed"))
    assert len(events) == 2
    assert events[1].data == {"added": ["mobile"], "removed": ["vip"]}


def test_escalate_raises_level_and_priority_with_the_reason(ticket, agent):
    ticket_escalate(ticket=ticket, actor=agent, reason="Customer threatens to churn")
    ticket.refresh_from_db()
    assert ticket.escalation_level == 1 and ticket.priority == "high"
    escalated = ticket.events.get(kind="escalated")
    assert escalated.data["reason"] == "Customer threatens to churn"
    priority = ticket.events.get(kind="priority_changed")
    assert (priority.from_value, priority.to_value) == ("medium", "high")


def test_escalating_a_critical_ticket_keeps_it_critical(customer, agent):
    ticket = TicketFactory(customer=customer, priority="critical")
    ticket_escalate(ticket=ticket, actor=agent, reason="Still down")
    ticket.refresh_from_db()
    assert ticket.escalation_level == 1 and ticket.priority == "critical"
    assert not ticket.events.filter(kind="priority_changed").exists()


def test_escalate_requires_a_reason(ticket, agent):
    with pytest.raises(ValidationError):
        ticket_escalate(ticket=ticket, actor=agent, reason=" ")
    assert kinds(ticket) == ["created"]


# --- the conversation -----------------------------------------------------------------------


def test_first_agent_reply_sets_first_response_and_moves_open_to_in_progress(ticket, agent):
    message = ticket_reply(ticket=ticket, actor=agent, body="Looking into it")
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    first_response_at = ticket.first_response_at
    assert first_response_at == message.created_at
    assert kinds(ticket) == ["created", "replied", "status_changed"]
    ticket_reply(ticket=ticket, actor=agent, body="Found it")
    ticket.refresh_from_db()
    assert ticket.first_response_at == first_response_at
    assert kinds(ticket)[-1] == "replied"


def test_internal_note_does_not_count_as_a_response(ticket, agent):
    note = ticket_add_note(ticket=ticket, actor=agent, body="Check the billing logs")
    ticket.refresh_from_db()
    assert note.is_internal
    assert ticket.first_response_at is None and ticket.status == Status.OPEN
    assert kinds(ticket) == ["created", "note_added"]


def test_customer_reply_moves_waiting_customer_back_to_in_progress(ticket, agent, customer):
    ticket = move_to(ticket, Status.WAITING_CUSTOMER, agent)
    ticket_customer_reply(ticket=ticket, customer=customer, body="Here is the log")
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert kinds(ticket)[-2:] == ["customer_replied", "status_changed"]


def test_customer_reply_reopens_a_resolved_ticket(ticket, agent, customer):
    ticket = move_to(ticket, Status.RESOLVED, agent)
    ticket_customer_reply(ticket=ticket, customer=customer, body="Still broken")
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS and ticket.resolved_at is None
    assert ticket.events.latest("id").data["reason"] == "Reopened by the customer's reply"


def test_customer_reply_on_open_ticket_changes_no_status(ticket, customer):
    ticket_customer_reply(ticket=ticket, customer=customer, body="More detail")
    assert kinds(ticket) == ["created", "customer_replied"]


def test_customer_reply_on_closed_ticket_is_refused(ticket, agent, customer):
    ticket = move_to(ticket, Status.CLOSED, agent)
    with pytest.raises(ApplicationError, match="open a new ticket"):
        ticket_customer_reply(ticket=ticket, customer=customer, body="Hello?")
    assert ticket.messages.count() == 1


def test_customer_cannot_reply_on_someone_elses_ticket(ticket):
    with pytest.raises(ApplicationError):
        ticket_customer_reply(ticket=ticket, customer=CustomerFactory(), body="Mine now")
    assert ticket.messages.count() == 1


def test_empty_reply_is_refused(ticket, agent):
    with pytest.raises(ValidationError):
        ticket_reply(ticket=ticket, actor=agent, body="\n  ")
    assert ticket.messages.count() == 1


def test_reply_with_attachment_stores_it_on_the_message(ticket, agent):
    upload = SimpleUploadedFile("fix.pdf", b"%PDF-1.4", content_type="application/pdf")
    message = ticket_reply(ticket=ticket, actor=agent, body="See attached", files=[upload])
    assert message.attachments.get().filename == "fix.pdf"


def test_agent_reply_emails_the_customer_once(
    ticket, agent, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=ticket, actor=agent, body="We fixed it")
        ticket_add_note(ticket=ticket, actor=agent, body="secret internal detail")
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == [ticket.customer.email]
    assert ticket.reference in email.subject
    assert "We fixed it" in email.body and "secret internal detail" not in email.body
    assert f"/portal/t/{ticket.public_id}/" in email.body


def test_created_ticket_sends_the_secure_link(
    customer, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(customer=customer, subject="Help", body="Please")
    assert len(mailoutbox) == 1
    assert f"/portal/t/{ticket.public_id}/" in mailoutbox[0].body
    assert mailoutbox[0].alternatives[0].mimetype == "text/html"
    notification = ticket.notifications.get()
    assert notification.sent_at is not None and notification.attempts == 1


def test_a_notification_task_delivered_twice_sends_once(
    customer, mailoutbox, django_capture_on_commit_callbacks
):
    from tickets.tasks import deliver_notification

    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(customer=customer, subject="Help", body="Please")
    notification = ticket.notifications.get()
    assert deliver_notification(notification.pk) is False
    assert len(mailoutbox) == 1


def test_change_type_writes_one_event_and_runs_its_hooks(
    ticket, agent, django_capture_on_commit_callbacks
):
    from tickets import hooks
    from tickets.services import ticket_change_type

    seen = []
    hooks.register_after("change_type", lambda ctx: seen.append(ctx.changes["type"]))
    try:
        with django_capture_on_commit_callbacks(execute=True):
            ticket_change_type(ticket=ticket, type="bug", actor=agent)
            ticket_change_type(ticket=ticket, type="bug", actor=agent)  # no-op
    finally:
        hooks._after["change_type"].clear()
    event = ticket.events.get(kind="type_changed")
    assert (event.from_value, event.to_value) == ("question", "bug")
    assert seen == ["bug"]
    with pytest.raises(ValidationError):
        ticket_change_type(ticket=ticket, type="rant", actor=agent)
