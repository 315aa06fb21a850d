"""Taking in email: new tickets, replies threaded by headers, plus address and subject tag,
noise ignored without a ticket or a mail back, bad messages quarantined, dedupe, reprocess."""

from email.utils import make_msgid

import pytest

from common.exceptions import ApplicationError
from mail import services as mail_services
from mail.identifiers import ticket_root_message_id
from mail.models import InboundEmail
from mail.services import inbound_email_receive, inbound_email_reprocess
from tests.factories import TicketFactory
from tests.mail.conftest import SUPPORT, build_email
from tickets.models import Attachment, Customer, Status, Ticket, TicketEvent, TicketMessage
from tickets.services import ticket_close, ticket_reply, ticket_resolve

SOURCE = "webhook"
Outcome, St = InboundEmail.Outcome, InboundEmail.Status


@pytest.fixture
def receive(db, django_capture_on_commit_callbacks):
    """Take in raw bytes like a fetch run would, running on-commit work (the emails)."""

    def run(raw: bytes, source: str = SOURCE):
        with django_capture_on_commit_callbacks(execute=True):
            return inbound_email_receive(raw=raw, source=source)

    return run


@pytest.fixture
def email_ticket(receive, mailoutbox):
    """A ticket filed by email from ann@example.org, and its confirmation email."""
    received = receive(build_email(message_id="<first@mail.example.org>"))
    [confirmation] = mailoutbox
    return received.inbound.ticket, confirmation


def _reply_headers(sent) -> dict:
    return {"in_reply_to": sent.extra_headers["Message-ID"]}


# ---------------------------------------------------------------------------------------------
# New tickets
# ---------------------------------------------------------------------------------------------


def test_a_new_email_files_an_email_ticket_for_a_new_customer(email_ticket):
    ticket, confirmation = email_ticket

    assert ticket.channel == "email"
    assert ticket.subject == "The export is broken"
    assert ticket.customer.email == "ann@example.org"
    assert ticket.customer.name == "Ann Customer"
    assert ticket.messages.get().body == "The export button spins forever."
    inbound = InboundEmail.objects.get()
    assert (inbound.status, inbound.outcome, inbound.ticket) == (
        St.PROCESSED,
        Outcome.NEW_TICKET,
        ticket,
    )
    assert inbound.message_id == "<first@mail.example.org>"
    assert inbound.from_address == "ann@example.org"
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.CREATED).count() == 1
    # The confirmation threads under the customer's own email.
    assert confirmation.to == ["ann@example.org"]
    assert confirmation.extra_headers["In-Reply-To"] == "<first@mail.example.org>"
    assert confirmation.extra_headers["References"] == (
        f"{ticket_root_message_id(ticket)} <first@mail.example.org>"
    )
    assert confirmation.reply_to == [f"support+{ticket.reference}@example.com"]
    assert confirmation.extra_headers["Auto-Submitted"] == "auto-replied"


def test_an_existing_customer_is_matched_case_insensitively(receive, customer):
    received = receive(build_email(sender=f"Someone <{customer.email.upper()}>"))

    assert received.inbound.ticket.customer == customer
    assert Customer.objects.count() == 1


def test_an_empty_body_and_subject_still_file_a_ticket(receive):
    received = receive(build_email(subject="", body=""))

    ticket = received.inbound.ticket
    assert ticket.subject == "(no subject)"
    assert ticket.messages.get().body == "(The email had no text.)"


# ---------------------------------------------------------------------------------------------
# Threading: replies land on their ticket
# ---------------------------------------------------------------------------------------------


def test_a_reply_to_our_email_is_a_reply_on_the_same_ticket(email_ticket, receive, mailoutbox):
    ticket, confirmation = email_ticket
    raw = build_email(
        subject="Re: something else entirely",
        body="Here is more detail.\n\nOn Mon, Support <support@example.com> wrote:\n> Thanks",
        in_reply_to=confirmation.extra_headers["Message-ID"],
        references=confirmation.extra_headers["References"],
    )
    received = receive(raw)

    assert received.inbound.outcome == Outcome.REPLY
    assert received.inbound.ticket == ticket
    assert Ticket.objects.count() == 1
    reply = ticket.messages.last()
    assert reply.author_kind == TicketMessage.AuthorKind.CUSTOMER
    assert reply.body == "Here is more detail."
    assert received.inbound.ticket_message == reply
    assert TicketEvent.objects.filter(ticket=ticket, kind="customer_replied").count() == 1
    assert "matched by headers" in received.inbound.reason
    # A customer's reply sends nothing back: no auto-reply to a reply.
    assert len(mailoutbox) == 1


def test_a_reply_naming_only_the_ticket_root_id_is_matched(ticket, receive):
    received = receive(
        build_email(
            references=ticket_root_message_id(ticket), subject="hi", sender=ticket.customer.email
        )
    )

    assert received.inbound.ticket == ticket and received.inbound.outcome == Outcome.REPLY


def test_a_forged_root_id_for_another_ticket_is_not_trusted(ticket, receive):
    forged = f"<ticket.{ticket.reference}.0000000000000000@example.com>"
    received = receive(build_email(references=forged, sender=ticket.customer.email, subject="x"))

    assert received.inbound.outcome == Outcome.NEW_TICKET
    assert received.inbound.ticket != ticket


def test_a_reply_by_plus_address_is_matched_without_threading_headers(ticket, receive):
    raw = build_email(
        sender=ticket.customer.email,
        to=f"support+{ticket.reference.lower()}@example.com",
        subject="no tag here",
    )
    received = receive(raw)

    assert received.inbound.ticket == ticket
    assert "matched by address" in received.inbound.reason


def test_a_plus_address_in_delivered_to_is_matched(ticket, receive):
    raw = build_email(
        sender=ticket.customer.email,
        to="help@example.com",
        subject="x",
        headers={"Delivered-To": f"support+{ticket.reference}@example.com"},
    )
    assert receive(raw).inbound.ticket == ticket


def test_a_reply_by_subject_tag_is_matched(ticket, receive):
    raw = build_email(sender=ticket.customer.email, subject=f"RE: [{ticket.reference}] Export")
    received = receive(raw)

    assert received.inbound.ticket == ticket
    assert "matched by subject" in received.inbound.reason


def test_an_unknown_reference_files_a_new_ticket(ticket, receive):
    received = receive(build_email(sender=ticket.customer.email, subject="Re: [TKT-99999] Old"))

    assert received.inbound.outcome == Outcome.NEW_TICKET
    assert Ticket.objects.count() == 2


def test_someone_else_naming_a_ticket_gets_a_ticket_of_their_own(ticket, receive):
    raw = build_email(sender="mallory@example.net", subject=f"[{ticket.reference}] let me in")
    received = receive(raw)

    assert received.inbound.outcome == Outcome.NEW_TICKET
    assert received.inbound.ticket.customer.email == "mallory@example.net"
    assert ticket.messages.count() == 1
    assert "not that ticket's customer" in received.inbound.reason


def test_a_reply_to_a_closed_ticket_files_a_follow_up(ticket, agent, receive):
    ticket_reply(ticket=ticket, actor=agent, body="Fixed.")
    ticket_resolve(ticket=ticket, actor=agent, resolution="Fixed.")
    ticket_close(ticket=ticket, actor=agent)
    raw = build_email(
        sender=ticket.customer.email,
        subject=f"Re: [{ticket.reference}] x",
        body="It broke again.\n\n-- \nAnn",
    )
    received = receive(raw)

    new = received.inbound.ticket
    assert new != ticket and new.channel == "email"
    assert new.messages.get().body == (
        f"(Follow-up to {ticket.reference}, which is closed.)\n\nIt broke again."
    )


def test_a_reply_reopens_a_resolved_ticket(ticket, agent, receive):
    ticket_reply(ticket=ticket, actor=agent, body="Fixed.")
    ticket_resolve(ticket=ticket, actor=agent, resolution="Fixed.")
    receive(build_email(sender=ticket.customer.email, subject=f"[{ticket.reference}] no"))

    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS


def test_mail_from_an_agent_address_is_quarantined(ticket, agent, receive):
    received = receive(build_email(sender=agent.email, subject=f"[{ticket.reference}] x"))

    assert received.inbound.status == St.QUARANTINED
    assert "agent" in received.inbound.reason
    assert ticket.messages.count() == 1


def test_an_agent_reply_email_threads_under_the_customers_latest_email(
    email_ticket, receive, agent, mailoutbox, django_capture_on_commit_callbacks
):
    ticket, confirmation = email_ticket
    receive(
        build_email(
            message_id="<second@mail.example.org>",
            in_reply_to=confirmation.extra_headers["Message-ID"],
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=ticket, actor=agent, body="We found it.")

    reply = mailoutbox[-1]
    assert reply.extra_headers["In-Reply-To"] == "<second@mail.example.org>"
    assert reply.extra_headers["References"] == (
        f"{ticket_root_message_id(ticket)} <first@mail.example.org> <second@mail.example.org>"
    )
    # Written by a person: no Auto-Submitted, so the customer's auto-responder may answer.
    assert "Auto-Submitted" not in reply.extra_headers


# ---------------------------------------------------------------------------------------------
# Loop and noise protection
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "sender", "reason"),
    [
        ({"Auto-Submitted": "auto-replied"}, None, "Auto-Submitted"),
        ({"Auto-Submitted": "auto-generated"}, None, "Auto-Submitted"),
        ({"X-Autoreply": "yes"}, None, "X-Autoreply"),
        ({"Precedence": "bulk"}, None, "Precedence"),
        ({"Precedence": "auto_reply"}, None, "Precedence"),
        ({"Precedence": "list"}, None, "Precedence"),
        ({"Return-Path": "<>"}, None, "empty Return-Path"),
        ({}, "MAILER-DAEMON@mx.example.org", "Bounce"),
        ({"List-Id": "<users.lists.example.org>"}, None, "Mailing-list"),
        ({"List-Unsubscribe": "<mailto:leave@example.org>"}, None, "Mailing-list"),
        ({}, f"Support <{SUPPORT}>", "loop"),
        ({}, "support+TKT-00001@example.com", "loop"),
    ],
)
def test_noise_is_ignored_without_a_ticket_or_a_mail_back(
    receive, mailoutbox, headers, sender, reason
):
    raw = build_email(headers=headers, sender=sender or "Ann <ann@example.org>")
    received = receive(raw)

    assert received.inbound.status == St.IGNORED
    assert reason in received.inbound.reason
    assert Ticket.objects.count() == 0
    assert Customer.objects.count() == 0
    assert mailoutbox == []


def test_auto_submitted_no_is_a_person(receive):
    assert receive(build_email(headers={"Auto-Submitted": "no"})).inbound.status == St.PROCESSED


def test_an_out_of_office_reply_to_our_email_does_not_reach_the_ticket(email_ticket, receive):
    ticket, confirmation = email_ticket
    raw = build_email(
        subject="Automatic reply: away",
        in_reply_to=confirmation.extra_headers["Message-ID"],
        headers={"Auto-Submitted": "auto-replied"},
    )
    assert receive(raw).inbound.status == St.IGNORED
    assert ticket.messages.count() == 1


def test_a_delivery_report_is_ignored(receive, mailoutbox):
    report = (
        b"From: Mail Delivery System <bounces@mx.example.org>\r\nTo: support@example.com\r\n"
        b"Subject: Undelivered Mail\r\nMessage-ID: <dsn1@mx.example.org>\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nCould not deliver.\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--b--\r\n"
    )
    assert receive(report).inbound.status == St.IGNORED
    assert mailoutbox == []


# ---------------------------------------------------------------------------------------------
# Attachments
# ---------------------------------------------------------------------------------------------


def test_allowed_attachments_are_kept_and_refused_ones_listed(receive, settings):
    settings.ATTACHMENT_MAX_FILES = 2
    settings.ATTACHMENT_MAX_BYTES = 1000
    raw = build_email(
        attachments=(
            ("screen.png", b"\x89PNG" + b"0" * 10, "image/png"),
            ("setup.exe", b"MZ" + b"0" * 10, "application/octet-stream"),
            ("huge.pdf", b"%PDF" + b"0" * 2000, "application/pdf"),
            ("log.txt", b"line 1\n", "text/plain"),
            ("extra.txt", b"more\n", "text/plain"),
        )
    )
    received = receive(raw)

    ticket = received.inbound.ticket
    stored = Attachment.objects.filter(ticket=ticket)
    assert sorted(stored.values_list("filename", flat=True)) == ["log.txt", "screen.png"]
    assert stored.get(filename="screen.png").file.read().startswith(b"\x89PNG")
    body = ticket.messages.get().body
    assert "setup.exe" in body and "huge.pdf" in body and "extra.txt" in body
    assert "Attachments not kept" in received.inbound.reason


# ---------------------------------------------------------------------------------------------
# Quarantine, dedupe, reprocess
# ---------------------------------------------------------------------------------------------


def test_an_oversized_message_is_quarantined_and_the_next_one_processed(receive, settings):
    settings.INBOUND_EMAIL_MAX_BYTES = 5000
    big = build_email(body="x" * 10_000, message_id="<big@example.org>")
    first = receive(big)
    second = receive(build_email())

    assert first.inbound.status == St.QUARANTINED
    assert "over the" in first.inbound.reason and "limit" in first.inbound.reason
    assert first.inbound.raw_truncated and first.inbound.from_address == "ann@example.org"
    assert second.inbound.status == St.PROCESSED
    assert Ticket.objects.count() == 1


def test_a_malformed_message_is_quarantined_with_the_reason(receive):
    received = receive(b"Subject: no sender\r\nMessage-ID: <m1@example.org>\r\n\r\nbody")

    assert received.inbound.status == St.QUARANTINED
    assert received.inbound.reason == "The message has no valid From address."
    assert received.inbound.message_id == "<m1@example.org>"
    assert Ticket.objects.count() == 0


def test_taking_the_same_message_twice_files_it_once(receive, mailoutbox):
    raw = build_email()
    first = receive(raw)
    second = receive(raw)

    assert not first.duplicate and second.duplicate
    assert second.inbound.pk == first.inbound.pk
    assert Ticket.objects.count() == 1 and InboundEmail.objects.count() == 1
    assert len(mailoutbox) == 1


def test_the_same_message_id_from_two_mailboxes_is_taken_once_per_source(receive):
    raw = build_email()
    receive(raw, source="mailbox:1")
    receive(raw, source="mailbox:2")
    assert InboundEmail.objects.count() == 2


def test_a_failure_mid_way_saves_nothing_and_reprocess_files_it_later(
    receive, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(**kwargs):
        Customer.objects.create(email="half@example.org", name="half")
        raise RuntimeError("database hiccup")

    with monkeypatch.context() as patched:
        patched.setattr(mail_services, "ticket_create", broken)
        received = receive(build_email(message_id=make_msgid()))

    inbound = received.inbound
    assert inbound.status == St.QUARANTINED
    assert "RuntimeError: database hiccup" in inbound.reason
    assert Ticket.objects.count() == 0 and Customer.objects.count() == 0
    assert inbound.ticket is None

    with django_capture_on_commit_callbacks(execute=True):
        inbound = inbound_email_reprocess(inbound=inbound)
    inbound.refresh_from_db()
    assert inbound.status == St.PROCESSED and inbound.ticket is not None
    assert InboundEmail.objects.count() == 1


def test_only_whole_quarantined_messages_can_be_reprocessed(receive, settings):
    processed = receive(build_email()).inbound
    with pytest.raises(ApplicationError, match="Only quarantined"):
        inbound_email_reprocess(inbound=processed)

    settings.INBOUND_EMAIL_MAX_BYTES = 100
    truncated = receive(build_email(message_id="<t@example.org>")).inbound
    with pytest.raises(ApplicationError, match="not kept"):
        inbound_email_reprocess(inbound=truncated)


def test_a_ticket_filed_by_email_is_matched_again_by_the_customers_own_thread(
    email_ticket, receive
):
    """A customer answering their own first email (with a CC added, say) stays on the ticket."""
    ticket, _ = email_ticket
    raw = build_email(subject="Re: The export is broken", in_reply_to="<first@mail.example.org>")
    assert receive(raw).inbound.ticket == ticket
    assert Ticket.objects.count() == 1


def test_a_reply_to_a_merged_ticket_lands_on_the_surviving_ticket(customer, agent, receive):
    from tickets.services import ticket_merge

    source = TicketFactory(customer=customer)
    target = TicketFactory(customer=customer)
    ticket_merge(source=source, target=target, actor=agent)
    received = receive(build_email(sender=customer.email, subject=f"[{source.reference}] more"))

    assert received.inbound.ticket == target
