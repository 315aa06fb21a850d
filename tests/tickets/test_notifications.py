"""The notification service: routing per role, idempotent queueing and delivery, email
content, and the manager webhook against a real local HTTP receiver."""

import hashlib
import hmac
import json
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from tests.factories import AgentFactory, CustomerWithAccountFactory, TicketFactory, UserFactory
from tickets.models import Notification
from tickets.notification_delivery import notification_deliver
from tickets.notifications import (
    build_dedupe_key,
    notification_mark_read,
    notifications_mark_all_read,
    notify,
    ticket_link,
)
from tickets.services import ticket_add_note, ticket_reply
from tickets.tasks import deliver_notification, retry_unsent_notifications

EMAIL, DESK, WEBHOOK = "email", "desk", "webhook"
SECRET = "webhook-test-secret"


def channels(recipient_filter) -> list[str]:
    return sorted(Notification.objects.filter(**recipient_filter).values_list("channel", flat=True))


def escalate(ticket, recipients, **kwargs) -> list[Notification]:
    return notify(
        kind="escalation",
        recipients=recipients,
        ticket=ticket,
        template="agent_notice",
        context={"headline": "Escalated: needs a senior look", "text": "Customer is blocked."},
        **kwargs,
    )


@pytest.fixture
def manager(db):
    return AgentFactory(agent_profile__seniority="manager")


@pytest.fixture
def notification(ticket):
    """A confirmation email recorded but not delivered (its on-commit task never ran)."""
    [notification] = notify(
        kind="ticket_created",
        recipients=[ticket.customer],
        ticket=ticket,
        template="ticket_created",
    )
    return notification


@pytest.fixture
def receiver(settings):
    """A real HTTP server on a free local port, standing in for the manager webhook.
    Answers 204 unless a status is queued in `answers`; records every request."""
    received: list[SimpleNamespace] = []
    answers: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(SimpleNamespace(path=self.path, headers=self.headers, body=body))
            status = answers.pop(0) if answers else 204
            self.send_response(status)
            if status in (301, 302, 307):
                self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # A short poll interval: shutdown() waits for the next poll.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/hooks/helpdesk"
    settings.MANAGER_WEBHOOK_URL = url
    settings.MANAGER_WEBHOOK_SECRET = SECRET
    yield SimpleNamespace(url=url, received=received, answers=answers)
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


# ---------------------------------------------------------------------------------------------
# The after-hooks: customer emails
# ---------------------------------------------------------------------------------------------


def test_filing_a_ticket_sends_the_customer_one_confirmation(
    customer, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = TicketFactory(customer=customer)

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == [customer.email]
    assert email.subject.startswith(f"[{ticket.reference}]")
    assert ticket_link(ticket) in email.body
    assert ticket.public_id in ticket_link(ticket)
    assert email.alternatives[0].mimetype == "text/html"
    notification = Notification.objects.get(ticket=ticket)
    assert notification.kind == "ticket_created"
    assert notification.channel == EMAIL
    assert notification.recipient_email == customer.email
    assert notification.sent_at is not None
    assert notification.attempts == 1


def test_an_agent_reply_emails_the_customer_and_an_internal_note_does_not(
    ticket, agent, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket_add_note(ticket=ticket, actor=agent, body="Checked the logs.")
    assert mailoutbox == []

    with django_capture_on_commit_callbacks(execute=True):
        message = ticket_reply(ticket=ticket, actor=agent, body="We are on it.")

    assert len(mailoutbox) == 1
    assert "We are on it." in mailoutbox[0].body
    notification = Notification.objects.get(ticket=ticket)
    assert notification.kind == "agent_replied"
    assert notification.message == message


# ---------------------------------------------------------------------------------------------
# Routing: who gets which channel (seed 001)
# ---------------------------------------------------------------------------------------------


def test_a_customer_is_notified_by_email_only(ticket, settings, receiver):
    notify(kind="survey", recipients=[ticket.customer], ticket=ticket, template="ticket_created")

    assert channels({"kind": "survey"}) == [EMAIL]


def test_a_customer_login_is_emailed_at_the_customer_address(ticket):
    customer = CustomerWithAccountFactory()

    notify(kind="survey", recipients=[customer.user], ticket=ticket, template="ticket_created")

    notification = Notification.objects.get(kind="survey")
    assert notification.channel == EMAIL
    assert notification.recipient_email == customer.email
    assert notification.recipient_user is None


@pytest.mark.parametrize("seniority", ["agent", "senior"])
def test_an_agent_is_notified_in_the_desk_and_by_email(ticket, receiver, seniority):
    agent = AgentFactory(agent_profile__seniority=seniority)

    escalate(ticket, [agent])

    assert channels({"recipient_user": agent}) == [DESK, EMAIL]
    assert not Notification.objects.filter(channel=WEBHOOK).exists()


@pytest.mark.parametrize("seniority", ["team_lead", "manager"])
def test_leads_and_managers_also_get_the_webhook_when_it_is_configured(ticket, receiver, seniority):
    lead = AgentFactory(agent_profile__seniority=seniority)

    escalate(ticket, [lead])

    assert channels({"recipient_user": lead}) == [DESK, EMAIL]
    webhook = Notification.objects.get(channel=WEBHOOK)
    assert webhook.recipient_user is None and webhook.recipient_email == ""


def test_without_a_webhook_url_leads_get_desk_and_email(ticket, lead, settings):
    settings.MANAGER_WEBHOOK_URL = ""

    escalate(ticket, [lead])

    assert sorted(Notification.objects.values_list("channel", flat=True)) == [DESK, EMAIL]


def test_one_webhook_per_event_however_many_leads(ticket, lead, manager, receiver):
    created = escalate(ticket, [lead, manager])

    assert sorted(n.channel for n in created) == [DESK, DESK, EMAIL, EMAIL, WEBHOOK]


def test_a_superuser_without_a_profile_is_notified_as_an_agent(ticket, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.com", "x")

    escalate(ticket, [root])

    assert channels({"recipient_user": root}) == [DESK, EMAIL]


def test_inactive_users_are_skipped_and_an_agent_without_email_gets_the_desk_only(ticket):
    gone = AgentFactory(is_active=False)
    no_email = AgentFactory(email="")

    escalate(ticket, [gone, no_email])

    assert not Notification.objects.filter(recipient_user=gone).exists()
    assert channels({"recipient_user": no_email}) == [DESK]


def test_customers_get_the_secure_link_and_agents_the_desk_page(ticket, agent, settings):
    settings.SITE_URL = "https://help.example.com"

    notify(kind="survey", recipients=[ticket.customer], ticket=ticket, template="ticket_created")
    escalate(ticket, [agent])

    desk_path = f"/desk/tickets/{ticket.reference}/"
    assert Notification.objects.get(kind="survey").link == ticket_link(ticket)
    assert Notification.objects.get(kind="escalation", channel=EMAIL).link == (
        "https://help.example.com" + desk_path
    )
    assert Notification.objects.get(kind="escalation", channel=DESK).link == desk_path


def test_the_agent_email_and_desk_text_come_from_the_generic_agent_template(
    ticket, agent, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        escalate(ticket, [agent])

    [email] = mailoutbox
    assert email.to == [agent.email]
    assert email.subject == f"[{ticket.reference}] Escalated: needs a senior look"
    assert "Customer is blocked." in email.body
    assert f"/desk/tickets/{ticket.reference}/" in email.body
    assert "Customer is blocked." in email.alternatives[0].content
    desk = Notification.objects.get(channel=DESK)
    assert desk.subject == email.subject
    assert desk.body_text == "Customer is blocked."
    assert desk.body_html == ""


# ---------------------------------------------------------------------------------------------
# Idempotency
# ---------------------------------------------------------------------------------------------


def test_notifying_twice_records_one_row_per_recipient_and_channel(
    ticket, agent, lead, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        first = escalate(ticket, [ticket.customer, agent, lead])
        second = escalate(ticket, [ticket.customer, agent, lead])

    assert len(first) == 1 + 2 + 3
    assert second == []
    assert Notification.objects.count() == 6
    # Only emails and the webhook are delivered by a task; desk notifications are sent.
    assert len(callbacks) == 4
    assert Notification.objects.filter(channel=DESK, sent_at__isnull=False).count() == 2


def test_queueing_the_same_reply_notification_twice_records_it_once(ticket):
    message = ticket.messages.get()

    def queue():
        return notify(
            kind="agent_replied",
            recipients=[ticket.customer],
            ticket=ticket,
            message=message,
            template="agent_replied",
        )

    assert len(queue()) == 1
    assert queue() == []
    assert Notification.objects.filter(ticket=ticket).count() == 1


def test_dedupe_parts_tell_repeated_events_apart(ticket, agent):
    escalate(ticket, [agent], dedupe=["level", 1])
    escalate(ticket, [agent], dedupe=["level", 1])
    escalate(ticket, [agent], dedupe=["level", 2])

    assert Notification.objects.filter(channel=DESK).count() == 2


def test_the_dedupe_key_names_its_parts_and_long_keys_stay_unique(ticket):
    key = build_dedupe_key(
        kind="sla_warning", channel=EMAIL, recipient_key="user:7", parts=[ticket, "resolution"]
    )
    assert key == f"sla_warning|email|user:7|ticket:{ticket.pk}|resolution"

    long_a = build_dedupe_key(kind="k", channel=EMAIL, recipient_key="x", parts=["a" * 400])
    long_b = build_dedupe_key(kind="k", channel=EMAIL, recipient_key="x", parts=["a" * 399 + "b"])
    assert len(long_a) <= 255 and len(long_b) <= 255
    assert long_a != long_b


def test_delivering_twice_sends_once(notification, mailoutbox):
    assert notification_deliver(notification=notification) is True
    assert notification_deliver(notification=notification) is False
    assert deliver_notification(notification.pk) is False

    assert len(mailoutbox) == 1
    notification.refresh_from_db()
    assert notification.attempts == 1


def test_a_failed_send_is_recorded_and_a_later_attempt_succeeds(
    notification, mailoutbox, monkeypatch
):
    def smtp_down(self, *args, **kwargs):
        raise ConnectionRefusedError("SMTP server refused the connection")

    with monkeypatch.context() as patched:
        patched.setattr(EmailMultiAlternatives, "send", smtp_down)
        with pytest.raises(ConnectionRefusedError):
            deliver_notification(notification.pk)

    notification.refresh_from_db()
    assert notification.sent_at is None
    assert notification.attempts == 1
    assert "refused" in notification.last_error

    assert deliver_notification(notification.pk) is True
    notification.refresh_from_db()
    assert notification.sent_at is not None
    assert notification.attempts == 2
    assert notification.last_error == ""
    assert len(mailoutbox) == 1


def test_the_delivery_task_does_nothing_for_a_notification_that_is_gone(db, mailoutbox):
    assert deliver_notification(999_999) is False
    assert mailoutbox == []


def test_the_retry_job_requeues_emails_and_webhooks_but_never_desk_notifications(
    ticket, lead, receiver, mailoutbox
):
    escalate(ticket, [lead])
    Notification.objects.update(created_at=timezone.now() - timedelta(minutes=3))

    assert retry_unsent_notifications() == 2
    assert retry_unsent_notifications() == 0

    assert len(mailoutbox) == 1
    assert len(receiver.received) == 1
    assert not Notification.objects.filter(sent_at__isnull=True).exists()


# ---------------------------------------------------------------------------------------------
# Desk notifications: read state
# ---------------------------------------------------------------------------------------------


def test_desk_notifications_are_unread_until_marked_read(ticket, agent, other_agent):
    escalate(ticket, [agent, other_agent], dedupe=[1])
    escalate(ticket, [agent], dedupe=[2])
    mine = Notification.objects.filter(recipient_user=agent, channel=DESK)
    assert mine.filter(read_at__isnull=True).count() == 2

    first = mine.first()
    assert notification_mark_read(notification=first) is True
    assert notification_mark_read(notification=first) is False
    assert mine.filter(read_at__isnull=True).count() == 1

    assert notifications_mark_all_read(user=agent) == 1
    assert mine.filter(read_at__isnull=True).count() == 0
    other = Notification.objects.get(recipient_user=other_agent, channel=DESK)
    assert other.read_at is None


# ---------------------------------------------------------------------------------------------
# The manager webhook, against a real HTTP receiver
# ---------------------------------------------------------------------------------------------


def test_the_webhook_posts_signed_json_to_the_configured_url(
    ticket, manager, receiver, django_capture_on_commit_callbacks
):
    before = int(time.time())
    with django_capture_on_commit_callbacks(execute=True):
        escalate(ticket, [manager])

    [request] = receiver.received
    assert request.path == "/hooks/helpdesk"
    assert request.headers["Content-Type"] == "application/json"
    payload = json.loads(request.body)
    assert payload == {
        "kind": "escalation",
        "subject": f"[{ticket.reference}] Escalated: needs a senior look",
        "text": "Customer is blocked.",
        "link": f"http://127.0.0.1:8000/desk/tickets/{ticket.reference}/",
        "ticket": ticket.reference,
    }
    expected = hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["X-Helpdesk-Signature"], f"sha256={expected}")
    assert before <= int(request.headers["X-Helpdesk-Timestamp"]) <= int(time.time())
    webhook = Notification.objects.get(channel=WEBHOOK)
    assert request.headers["X-Helpdesk-Delivery"] == str(webhook.pk)
    assert webhook.sent_at is not None and webhook.attempts == 1


def test_a_webhook_answering_500_is_recorded_and_a_retry_succeeds(ticket, manager, receiver):
    escalate(ticket, [manager])
    webhook = Notification.objects.get(channel=WEBHOOK)
    receiver.answers.append(500)

    with pytest.raises(Exception, match="HTTP 500"):
        deliver_notification(webhook.pk)

    webhook.refresh_from_db()
    assert webhook.sent_at is None
    assert webhook.attempts == 1
    assert "HTTP 500" in webhook.last_error

    Notification.objects.filter(pk=webhook.pk).update(
        created_at=timezone.now() - timedelta(minutes=3)
    )
    Notification.objects.exclude(pk=webhook.pk).update(sent_at=timezone.now())
    assert retry_unsent_notifications() == 1

    webhook.refresh_from_db()
    assert webhook.sent_at is not None
    assert webhook.attempts == 2
    assert webhook.last_error == ""
    assert len(receiver.received) == 2
    assert receiver.received[0].body == receiver.received[1].body
    assert deliver_notification(webhook.pk) is False
    assert len(receiver.received) == 2


def test_a_webhook_redirect_is_a_failure_not_a_silent_get(ticket, manager, receiver):
    escalate(ticket, [manager])
    webhook = Notification.objects.get(channel=WEBHOOK)
    receiver.answers.append(302)

    with pytest.raises(Exception, match="HTTP 302"):
        deliver_notification(webhook.pk)

    assert len(receiver.received) == 1
    webhook.refresh_from_db()
    assert webhook.sent_at is None and "HTTP 302" in webhook.last_error


def test_an_unreachable_webhook_is_recorded_as_a_failure(ticket, manager, receiver, settings):
    escalate(ticket, [manager])
    webhook = Notification.objects.get(channel=WEBHOOK)
    settings.MANAGER_WEBHOOK_URL = "http://127.0.0.1:1/nothing-listens-here"

    with pytest.raises(Exception, match="unreachable"):
        deliver_notification(webhook.pk)

    webhook.refresh_from_db()
    assert webhook.sent_at is None and webhook.attempts == 1
    assert "unreachable" in webhook.last_error


def test_without_a_secret_the_webhook_is_sent_unsigned(
    ticket, manager, receiver, settings, django_capture_on_commit_callbacks
):
    settings.MANAGER_WEBHOOK_SECRET = ""

    with django_capture_on_commit_callbacks(execute=True):
        escalate(ticket, [manager])

    [request] = receiver.received
    assert "X-Helpdesk-Signature" not in request.headers
    assert Notification.objects.get(channel=WEBHOOK).sent_at is not None


def test_plain_users_without_a_customer_record_are_emailed(ticket):
    user = UserFactory()

    notify(kind="survey", recipients=[user], ticket=ticket, template="ticket_created")

    assert Notification.objects.get(kind="survey").recipient_email == user.email


# ---------------------------------------------------------------------------------------------
# A follow-up task killed mid-way and run again
# ---------------------------------------------------------------------------------------------


class WorkerKilled(BaseException):
    """Stands in for SIGKILL: not an `Exception`, so no handler on the way records or sends
    anything, and the transaction open at that moment rolls back, as a dead process's does."""


def _queued_follow_up():
    """The follow-up task a new ticket queued, taken off the queue as a worker takes it."""
    from django_q.models import OrmQ

    [row] = OrmQ.objects.all()
    task = row.task
    assert task["func"] == "tickets.tasks.run_deferred_hooks"
    return task


@pytest.mark.django_db(transaction=True)
def test_a_killed_follow_up_task_sends_the_confirmation_when_it_runs_again(
    customer, mailoutbox, monkeypatch
):
    from django_q.conf import Conf

    from tickets import notification_delivery
    from tickets.tasks import run_deferred_hooks

    monkeypatch.setattr(Conf, "SYNC", False)  # the follow-up goes to the queue, as in production
    ticket = TicketFactory(customer=customer)
    task = _queued_follow_up()

    def killed_while_sending(notification):
        raise WorkerKilled

    # First run: records the confirmation, then the worker dies while sending it.
    with monkeypatch.context() as patch:
        patch.setitem(notification_delivery.SENDERS, EMAIL, killed_while_sending)
        with pytest.raises(WorkerKilled):
            run_deferred_hooks(*task["args"], **task["kwargs"])
    confirmation = Notification.objects.get(ticket=ticket, channel=EMAIL)
    assert confirmation.sent_at is None
    assert mailoutbox == []

    # The broker hands the task out again: the re-run sends it at once, not the retry job.
    run_deferred_hooks(*task["args"], **task["kwargs"])
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [customer.email]
    confirmation.refresh_from_db()
    assert confirmation.sent_at is not None
    assert confirmation.attempts == 1

    # A third run (the broker's retry after a kill that came after the send) sends nothing.
    run_deferred_hooks(*task["args"], **task["kwargs"])
    assert len(mailoutbox) == 1
    assert Notification.objects.filter(ticket=ticket, channel=EMAIL).count() == 1


# ---------------------------------------------------------------------------------------------
# Plain-text templates are not HTML-escaped; HTML parts are
# ---------------------------------------------------------------------------------------------

MARKUP = """Billing & Accounts <EU> "Tier 1" 'gold'"""
ESCAPED_FORMS = ("&amp;", "&lt;", "&gt;", "&quot;", "&#x27;", "&#39;")


def test_the_daily_sla_report_email_keeps_ampersands_and_quotes_in_a_team_name(
    db, mailoutbox, django_capture_on_commit_callbacks
):
    from datetime import UTC

    from sla.services.reports import sla_daily_reports_run
    from tests.factories import TeamFactory

    team = TeamFactory(name=MARKUP, lead=AgentFactory(agent_profile__seniority="team_lead"))
    with django_capture_on_commit_callbacks(execute=True):
        [report] = sla_daily_reports_run(now=datetime(2026, 3, 3, 9, 30, tzinfo=UTC))

    [email] = mailoutbox
    assert MARKUP in email.subject
    assert MARKUP in email.body
    assert not any(form in email.subject + email.body for form in ESCAPED_FORMS)
    html = email.alternatives[0].content
    assert "Billing &amp; Accounts &lt;EU&gt; &quot;Tier 1&quot; &#x27;gold&#x27;" in html
    assert MARKUP not in html
    desk = Notification.objects.get(kind="daily_report", channel=DESK)
    assert MARKUP in desk.subject and MARKUP in desk.body_text  # escaped where a page shows it
    assert report.team == team


class _Anything:
    """Any attribute, key or string of it is MARKUP; iterating it gives nothing. Not a date
    (the `date` filter renders nothing for it)."""

    def __getattr__(self, name):
        if name.startswith("_") or hasattr(datetime, name):
            raise AttributeError(name)
        if name == "body_html":
            return ""  # a message's sanitized HTML, shown as it is (`|safe`) on purpose
        return self

    def __len__(self):
        return 0

    def __getitem__(self, key):
        return getattr(self, key) if isinstance(key, str) else self

    def __iter__(self):
        return iter(())

    def __str__(self):
        return MARKUP


class _AnyName(dict):
    def __contains__(self, key):
        return key not in ("True", "False", "None")

    def __missing__(self, key):
        return _Anything()


def _email_templates(suffix: str) -> list[str]:
    from django.conf import settings

    folder = settings.BASE_DIR / "templates" / "emails"
    return sorted(f"emails/{path.name}" for path in folder.glob(f"*{suffix}"))


@pytest.mark.parametrize("name", _email_templates(".txt"))
def test_every_plain_text_email_template_renders_markup_characters_as_written(name):
    from tickets.notification_rendering import render_plain_text

    text = render_plain_text(name, _AnyName())
    assert MARKUP in text
    assert not any(form in text for form in ESCAPED_FORMS)


@pytest.mark.parametrize("name", _email_templates(".html"))
def test_every_html_email_template_still_escapes_markup_characters(name):
    from django.template.loader import render_to_string

    html = render_to_string(name, _AnyName())
    assert "Billing &amp; Accounts &lt;EU&gt;" in html
    assert MARKUP not in html
