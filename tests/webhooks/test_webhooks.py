"""Outbound webhooks against a real local HTTP receiver: signing, the payload of each event,
once-only recording and delivery, retries with backoff, giving up, and disabling."""

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tests.factories import AgentFactory, CustomerWithAccountFactory, TicketFactory
from tickets import hooks
from tickets.models import Notification
from tickets.services import (
    ticket_add_note,
    ticket_assign,
    ticket_customer_reply,
    ticket_escalate,
    ticket_reply,
    ticket_resolve,
)
from webhooks import services as webhooks
from webhooks.models import WEBHOOK_EVENTS, WebhookDelivery, WebhookSubscription
from webhooks.services import (
    BACKOFF,
    DISABLE_AFTER_FAILURES,
    MAX_ATTEMPTS,
    webhook_emit,
    webhook_send,
)
from webhooks.tasks import deliver_webhook, retry_due_webhooks

Status = WebhookDelivery.Status


@pytest.fixture
def receiver(settings):
    """A real HTTP server on a free local port. Answers 204 unless a status is queued in
    `answers`; records every request; verifies each signature as a receiver would. Loopback
    is allowed for these tests, as an operator allows an on-premise receiver."""
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    received: list[SimpleNamespace] = []
    answers: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(SimpleNamespace(path=self.path, headers=self.headers, body=body))
            status = answers.pop(0) if answers else 204
            reply = b"" if status == 204 else f"answer {status}".encode()
            self.send_response(status)
            if status in (301, 302, 307):
                self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/hooks/in"
    yield SimpleNamespace(url=url, received=received, answers=answers)
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def owner(db):
    return AgentFactory(agent_profile__seniority="manager")


@pytest.fixture
def subscription(receiver, owner):
    return WebhookSubscription.objects.create(
        name="CRM", url=receiver.url, events=list(WEBHOOK_EVENTS), owner=owner
    )


def verify(request, secret: str, *, tolerance: int = 300) -> dict:
    """What a receiver does: check the timestamp is fresh and the signature matches."""
    timestamp = request.headers["X-Helpdesk-Timestamp"]
    assert abs(time.time() - int(timestamp)) <= tolerance
    signed = timestamp.encode() + b"." + request.body
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, request.headers["X-Helpdesk-Signature"])
    return json.loads(request.body)


def payloads(receiver, subscription, event: str) -> list[dict]:
    bodies = [verify(r, subscription.secret) for r in receiver.received]
    return [body["data"] for body in bodies if body["event"] == event]


def fail_once_and_get(subscription, receiver, status: int = 500) -> WebhookDelivery:
    receiver.answers.append(status)
    delivery = webhook_send(
        subscription=subscription, event="rule.fired", data={"n": 1}, source_key="x"
    )
    assert deliver_webhook(delivery.pk) is False
    delivery.refresh_from_db()
    return delivery


# ---------------------------------------------------------------------------------------------
# Signing and the envelope
# ---------------------------------------------------------------------------------------------


def test_a_delivery_is_signed_with_the_timestamp_and_names_its_event_and_id(
    subscription, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = TicketFactory()

    [request] = receiver.received
    assert request.path == "/hooks/in"
    assert request.headers["Content-Type"] == "application/json"
    body = verify(request, subscription.secret)
    delivery = WebhookDelivery.objects.get()
    assert request.headers["X-Helpdesk-Event"] == "ticket.created"
    assert request.headers["X-Helpdesk-Delivery"] == str(delivery.uuid)
    assert body["id"] == str(delivery.uuid)
    assert body["event"] == "ticket.created"
    assert parse_datetime(body["created_at"]) == delivery.created_at.replace(
        microsecond=delivery.created_at.microsecond // 1000 * 1000
    )
    assert body["data"]["reference"] == ticket.reference
    assert delivery.status == Status.SUCCEEDED
    assert delivery.attempts == 1 and delivery.last_status_code == 204
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None


def test_a_wrong_secret_does_not_verify(subscription, receiver, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        TicketFactory()

    with pytest.raises(AssertionError):
        verify(receiver.received[0], "not-the-secret")


# ---------------------------------------------------------------------------------------------
# Each event's payload
# ---------------------------------------------------------------------------------------------


def test_ticket_created_payload(
    subscription, receiver, customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = TicketFactory(customer=customer)

    [data] = payloads(receiver, subscription, "ticket.created")
    created_at = data.pop("created_at")
    assert data == {
        "reference": ticket.reference,
        "url": f"http://127.0.0.1:8000/desk/tickets/{ticket.reference}/",
        "subject": ticket.subject,
        "type": ticket.type,
        "priority": ticket.priority,
        "status": "open",
        "category": ticket.category.name if ticket.category_id else None,
        "channel": ticket.channel,
        "customer": {"email": customer.email, "name": customer.name},
    }
    assert parse_datetime(created_at).replace(microsecond=0) == ticket.created_at.replace(
        microsecond=0
    )


def test_ticket_assigned_payload_names_the_agent(
    subscription, receiver, ticket, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket_assign(ticket=ticket, assignee=agent, actor=agent)

    [data] = payloads(receiver, subscription, "ticket.assigned")
    assert data["reference"] == ticket.reference
    assert data["agent"] == {"id": agent.pk, "name": agent.agent_profile.display_name}
    assert data["previous_agent"] is None
    assert data["via"] == "assign"
    assert "strategy" not in data


def test_ticket_assigned_payload_carries_the_routing_strategy(
    subscription, receiver, ticket, agent
):
    ticket_assign(ticket=ticket, assignee=agent, actor=None, via="routing")
    event = ticket.events.get(kind="assigned")
    event.data["strategy"] = "round_robin"  # what routing records on its assignments
    event.save(update_fields=["data"])

    webhooks.on_ticket_changed(hooks.HookContext(verb="assign", ticket=ticket, events=[event]))
    deliver_webhook(WebhookDelivery.objects.get(event="ticket.assigned").pk)

    [data] = payloads(receiver, subscription, "ticket.assigned")
    assert (data["via"], data["strategy"]) == ("routing", "round_robin")
    assert data["agent"]["id"] == agent.pk


def test_long_source_keys_stay_distinct(subscription):
    first = webhook_send(subscription=subscription, event="a.b", data={}, source_key="k" * 300)
    second = webhook_send(
        subscription=subscription, event="a.b", data={}, source_key="k" * 299 + "j"
    )
    assert first is not None and second is not None
    assert len(first.dedupe_key) <= 255 and first.dedupe_key != second.dedupe_key


def test_ticket_escalated_payload(
    subscription, receiver, ticket, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket_escalate(ticket=ticket, actor=agent, reason="Customer is blocked")

    [data] = payloads(receiver, subscription, "ticket.escalated")
    assert data["reference"] == ticket.reference
    assert data["level"] == 1
    assert data["reason"] == "Customer is blocked"


def test_ticket_resolved_payload_and_other_status_changes_send_nothing(
    subscription, receiver, ticket, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=ticket, actor=agent, body="Looking.")  # open → in progress
        ticket_resolve(ticket=ticket, actor=agent, resolution="Cleared the cache.")

    [data] = payloads(receiver, subscription, "ticket.resolved")
    assert data["reference"] == ticket.reference
    assert data["resolution"] == "Cleared the cache."
    assert WebhookDelivery.objects.filter(event="ticket.resolved").count() == 1


def test_public_messages_are_sent_and_internal_notes_never(
    subscription, receiver, agent, django_capture_on_commit_callbacks
):
    customer = CustomerWithAccountFactory()
    ticket = TicketFactory(customer=customer)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_add_note(ticket=ticket, actor=agent, body="Secret internal detail")
        reply = ticket_reply(ticket=ticket, actor=agent, body="**We** are on it.")
        answer = ticket_customer_reply(ticket=ticket, customer=customer, body="Thanks!")

    messages = [d["message"] for d in payloads(receiver, subscription, "message.created")]
    assert [(m["id"], m["author_kind"], m["body"]) for m in messages] == [
        (reply.pk, "agent", "**We** are on it."),
        (answer.pk, "customer", "Thanks!"),
    ]
    assert all(b"Secret internal detail" not in r.body for r in receiver.received)


def test_no_payload_ever_carries_the_customers_secret_link(
    subscription, receiver, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = TicketFactory()
        ticket_assign(ticket=ticket, assignee=agent, actor=agent)
        ticket_escalate(ticket=ticket, actor=agent, reason="Blocked")
        ticket_reply(ticket=ticket, actor=agent, body="On it.")
        ticket_resolve(ticket=ticket, actor=agent, resolution="Done.")

    events = {json.loads(r.body)["event"] for r in receiver.received}
    assert events == {
        "ticket.created",
        "ticket.assigned",
        "ticket.escalated",
        "message.created",
        "ticket.resolved",
    }
    assert all(ticket.public_id.encode() not in r.body for r in receiver.received)
    assert all(b"public_id" not in r.body for r in receiver.received)


def test_only_subscribed_events_are_recorded(receiver, owner, django_capture_on_commit_callbacks):
    only_resolved = WebhookSubscription.objects.create(
        name="Resolved only", url=receiver.url, events=["ticket.resolved"], owner=owner
    )
    WebhookSubscription.objects.create(
        name="Off", url=receiver.url, events=list(WEBHOOK_EVENTS), active=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        TicketFactory()

    assert not WebhookDelivery.objects.exists()
    assert receiver.received == []
    assert only_resolved.deliveries.count() == 0


def test_the_survey_feature_emits_with_its_own_data(subscription, receiver, ticket):
    webhook_emit(
        event="survey.submitted",
        ticket=ticket,
        data={"rating": 5, "comment": "Great"},
        source_key="survey:1",
    )
    delivery = WebhookDelivery.objects.get(event="survey.submitted")
    assert deliver_webhook(delivery.pk) is True

    [data] = payloads(receiver, subscription, "survey.submitted")
    assert data["reference"] == ticket.reference
    assert (data["rating"], data["comment"]) == (5, "Great")


def test_emitting_an_unknown_event_is_refused(subscription):
    with pytest.raises(ValueError, match="Unknown webhook event"):
        webhook_emit(event="ticket.exploded", data={}, source_key="x")


# ---------------------------------------------------------------------------------------------
# Once and only once
# ---------------------------------------------------------------------------------------------


def test_emitting_the_same_event_twice_delivers_once(
    subscription, receiver, ticket, django_capture_on_commit_callbacks
):
    def emit():
        return webhook_emit(
            event="survey.submitted", ticket=ticket, data={"rating": 4}, source_key="survey:9"
        )

    with django_capture_on_commit_callbacks(execute=True):
        first = emit()
        second = emit()

    assert len(first) == 1 and second == []
    assert WebhookDelivery.objects.count() == 1
    assert len(receiver.received) == 1


def test_running_a_hook_again_for_the_same_events_records_nothing_new(
    subscription, receiver, ticket, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket_escalate(ticket=ticket, actor=agent, reason="Blocked")
    event = ticket.events.get(kind="escalated")

    webhooks.on_ticket_changed(hooks.HookContext(verb="escalate", ticket=ticket, events=[event]))

    assert WebhookDelivery.objects.filter(event="ticket.escalated").count() == 1


def test_delivering_twice_posts_once(subscription, receiver, ticket):
    [delivery] = webhook_emit(
        event="survey.submitted", ticket=ticket, data={}, source_key="survey:2"
    )

    assert deliver_webhook(delivery.pk) is True
    assert deliver_webhook(delivery.pk) is False
    assert deliver_webhook(999_999) is False
    assert len(receiver.received) == 1


def test_the_retry_task_run_twice_delivers_once(subscription, receiver, ticket):
    webhook_emit(event="survey.submitted", ticket=ticket, data={}, source_key="survey:3")

    assert retry_due_webhooks() == 1
    assert retry_due_webhooks() == 0

    assert len(receiver.received) == 1
    assert WebhookDelivery.objects.get().status == Status.SUCCEEDED


# ---------------------------------------------------------------------------------------------
# Failures, backoff, giving up, disabling
# ---------------------------------------------------------------------------------------------


def test_a_500_is_logged_retried_after_the_backoff_and_then_succeeds(subscription, receiver):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        delivery = fail_once_and_get(subscription, receiver)

        assert delivery.status == Status.FAILED
        assert delivery.attempts == 1
        assert delivery.last_status_code == 500
        assert delivery.last_error == "HTTP 500"
        assert delivery.response_snippet == "answer 500"
        assert delivery.next_attempt_at == start + BACKOFF[0]
        subscription.refresh_from_db()
        assert subscription.consecutive_failures == 1
        assert retry_due_webhooks() == 0  # not due yet

    with time_machine.travel(start + BACKOFF[0] + timedelta(seconds=1), tick=False):
        assert retry_due_webhooks() == 1

    delivery.refresh_from_db()
    assert delivery.status == Status.SUCCEEDED
    assert delivery.attempts == 2 and delivery.last_status_code == 204
    assert delivery.last_error == ""
    assert len(receiver.received) == 2
    assert receiver.received[0].body == receiver.received[1].body
    assert {r.headers["X-Helpdesk-Delivery"] for r in receiver.received} == {str(delivery.uuid)}
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 0


def test_a_redirect_is_a_failure(subscription, receiver):
    delivery = fail_once_and_get(subscription, receiver, status=302)

    assert delivery.status == Status.FAILED and delivery.last_status_code == 302
    assert len(receiver.received) == 1


def test_an_unreachable_receiver_is_a_failure_without_status_code(subscription):
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        url="http://127.0.0.1:1/nothing-listens-here"
    )
    subscription.refresh_from_db()
    delivery = webhook_send(subscription=subscription, event="rule.fired", data={}, source_key="u")

    assert deliver_webhook(delivery.pk) is False
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED
    assert delivery.last_status_code is None
    assert delivery.last_error.startswith("Unreachable")


def test_a_delivery_is_given_up_after_the_maximum_attempts(subscription, receiver):
    receiver.answers.extend([500] * MAX_ATTEMPTS)
    delivery = webhook_send(subscription=subscription, event="rule.fired", data={}, source_key="g")
    moment = timezone.now()
    for _ in range(MAX_ATTEMPTS):
        with time_machine.travel(moment, tick=False):
            assert retry_due_webhooks() == 1
        moment += timedelta(days=1)

    delivery.refresh_from_db()
    assert delivery.status == Status.GIVEN_UP
    assert delivery.attempts == MAX_ATTEMPTS
    assert delivery.next_attempt_at is None
    with time_machine.travel(moment, tick=False):
        assert retry_due_webhooks() == 0
    assert len(receiver.received) == MAX_ATTEMPTS


def test_consecutive_failures_disable_the_subscription_and_notify_its_owner(
    subscription, receiver, owner
):
    receiver.answers.extend([500] * DISABLE_AFTER_FAILURES)
    deliveries = [
        webhook_send(subscription=subscription, event="rule.fired", data={}, source_key=str(i))
        for i in range(DISABLE_AFTER_FAILURES + 1)
    ]
    for delivery in deliveries[:-1]:
        deliver_webhook(delivery.pk)

    subscription.refresh_from_db()
    assert subscription.active is False
    assert subscription.disabled_at is not None
    assert "10 deliveries failed in a row" in subscription.disabled_reason
    notice = Notification.objects.get(kind="webhook_disabled", channel="desk")
    assert notice.recipient_user == owner
    assert "CRM" in notice.subject
    assert notice.link.endswith(f"/webhooks/webhooksubscription/{subscription.pk}/change/")

    # The rest is not sent, and nothing new is recorded while it is off.
    assert deliver_webhook(deliveries[-1].pk) is False
    deliveries[-1].refresh_from_db()
    assert deliveries[-1].status == Status.GIVEN_UP
    assert len(receiver.received) == DISABLE_AFTER_FAILURES
    assert webhook_send(subscription=subscription, event="x.y", data={}, source_key="z") is None

    webhooks.webhook_subscription_enable(subscription=subscription)
    subscription.refresh_from_db()
    assert subscription.active and subscription.consecutive_failures == 0


def test_a_success_resets_the_run_of_failures(subscription, receiver):
    fail_once_and_get(subscription, receiver)
    delivery = webhook_send(subscription=subscription, event="rule.fired", data={}, source_key="2")

    assert deliver_webhook(delivery.pk) is True
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 0


# ---------------------------------------------------------------------------------------------
# webhook_send (the rules engine's action), subscriptions, admin
# ---------------------------------------------------------------------------------------------


def test_webhook_send_posts_the_callers_data_to_the_chosen_subscription(
    subscription, receiver, ticket, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        delivery = webhook_send(
            subscription=subscription,
            event="rule.fired",
            data={"rule": "VIP escalations"},
            source_key="rule:1|event:5",
            ticket=ticket,
        )
        again = webhook_send(
            subscription=subscription,
            event="rule.fired",
            data={"rule": "VIP escalations"},
            source_key="rule:1|event:5",
        )

    assert again is None
    body = verify(receiver.received[0], subscription.secret)
    assert body["id"] == str(delivery.uuid)
    assert body["data"] == {
        "reference": ticket.reference,
        "url": f"http://127.0.0.1:8000/desk/tickets/{ticket.reference}/",
        "rule": "VIP escalations",
    }


def test_webhook_send_refuses_a_malformed_event_name(subscription):
    with pytest.raises(ValidationError):
        webhook_send(subscription=subscription, event="Not An Event", data={}, source_key="x")


@pytest.mark.parametrize(
    ("url", "events"),
    [
        ("ftp://example.com/in", ["ticket.created"]),
        ("file:///etc/passwd", ["ticket.created"]),
        ("https://example.com/in", ["ticket.exploded"]),
        ("https://example.com/in", []),
        ("https://example.com/in", ["ticket.created", "ticket.created"]),
    ],
)
def test_subscriptions_accept_only_http_urls_and_known_events(db, url, events):
    subscription = WebhookSubscription(name="x", url=url, events=events)
    with pytest.raises(ValidationError):
        subscription.full_clean()


def test_a_new_subscription_gets_a_random_secret(db):
    first = WebhookSubscription.objects.create(name="a", url="https://a.example", events=[])
    second = WebhookSubscription.objects.create(name="b", url="https://b.example", events=[])
    assert len(first.secret) >= 40 and first.secret != second.secret


def test_admin_ping_and_secret_rotation(
    subscription, receiver, admin_client, django_capture_on_commit_callbacks
):
    changelist = "/admin/webhooks/webhooksubscription/"
    old_secret = subscription.secret

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            changelist, {"action": "send_test_ping", "_selected_action": [subscription.pk]}
        )
    assert response.status_code == 302
    [request] = receiver.received
    assert verify(request, old_secret)["event"] == "ping"

    admin_client.post(
        changelist, {"action": "rotate_secret", "_selected_action": [subscription.pk]}
    )
    subscription.refresh_from_db()
    assert subscription.secret != old_secret

    page = admin_client.get(f"{changelist}{subscription.pk}/change/")
    assert page.status_code == 200
    assert subscription.secret in page.content.decode()
    assert 'name="secret"' not in page.content.decode()
    assert admin_client.get("/admin/webhooks/webhookdelivery/?status=succeeded").status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert (
        admin_client.get(f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/").status_code
        == 200
    )


def test_admin_creates_a_subscription_with_chosen_events(admin_client, admin_user):
    response = admin_client.post(
        "/admin/webhooks/webhooksubscription/add/",
        {
            "name": "Chat",
            "url": "https://chat.example.com/in",
            "events": ["ticket.created", "ticket.resolved"],
            "active": "on",
            "owner": admin_user.pk,
            "secret": "s3cret-value",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    subscription = WebhookSubscription.objects.get(name="Chat")
    assert subscription.events == ["ticket.created", "ticket.resolved"]
    assert subscription.owner == admin_user
