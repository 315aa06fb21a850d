"""The models that moved out of the project package keep their data: a database migrated up to
the last migration before the move, filled through that state's models, then migrated to the
end reads the same rows through the models where they live now, and a permission granted on a
moved model (and an admin log entry, a notification's admin link) still work."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from api.models import ApiToken, IdempotencyRecord
from mail.models import InboundEmail, Mailbox
from ratelimits.models import RateLimitWindow
from tickets.models import Notification
from webhooks.models import WebhookDelivery, WebhookSubscription

pytestmark = pytest.mark.django_db(transaction=True)

MOVED_TO = ("mail", "api", "webhooks", "ratelimits")
BEFORE_THE_MOVE = ("helpdesk", "0003_ratelimitwindow")


def _migrate_to_before_the_move() -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE_THE_MOVE, *[(app, None) for app in MOVED_TO]])
    return executor


def _migrate_to_the_end() -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.fixture
def old_apps():
    """The app registry as it was before the move; the database is migrated back to the end
    whatever the test does."""
    executor = _migrate_to_before_the_move()
    others = [
        node
        for node in executor.loader.graph.leaf_nodes()
        if node[0] not in (*MOVED_TO, "helpdesk")
    ]
    try:
        yield executor.loader.project_state([BEFORE_THE_MOVE, *others]).apps
    finally:
        _migrate_to_the_end()


def test_rows_written_before_the_move_are_read_through_the_moved_models(old_apps):
    User = old_apps.get_model("auth", "User")
    owner = User.objects.create(username="lead", is_staff=True)
    mailbox = old_apps.get_model("helpdesk", "Mailbox").objects.create(
        name="Support", kind="maildir", folder="/var/mail/support"
    )
    old_apps.get_model("helpdesk", "InboundEmail").objects.create(
        mailbox=mailbox, source=f"mailbox:{mailbox.pk}", message_id="<a@example.com>", status="done"
    )
    old_apps.get_model("helpdesk", "ApiToken").objects.create(
        user=owner, name="CI", prefix="hd_abc", key_hash="f" * 64
    )
    old_apps.get_model("helpdesk", "IdempotencyRecord").objects.create(
        scope=f"user:{owner.pk}",
        endpoint="tickets",
        key="k1",
        fingerprint="0" * 64,
        response_status=201,
        response_body={"reference": "T-1"},
    )
    subscription = old_apps.get_model("helpdesk", "WebhookSubscription").objects.create(
        name="CRM", url="https://crm.example.com/hook", events=["ticket.created"], owner=owner
    )
    old_apps.get_model("helpdesk", "WebhookDelivery").objects.create(
        subscription=subscription, event="ticket.created", dedupe_key="d1", payload={"n": 1}
    )
    old_apps.get_model("helpdesk", "RateLimitWindow").objects.create(
        key="k" * 64, count=3, ends_at=2_000_000_000
    )

    _migrate_to_the_end()

    assert Mailbox.objects.get().name == "Support"
    inbound = InboundEmail.objects.select_related("mailbox").get()
    assert (inbound.message_id, inbound.mailbox.name) == ("<a@example.com>", "Support")
    assert ApiToken.objects.get().user.username == "lead"
    assert IdempotencyRecord.objects.get().response_body == {"reference": "T-1"}
    delivery = WebhookDelivery.objects.select_related("subscription").get()
    assert (delivery.subscription.name, delivery.payload) == ("CRM", {"n": 1})
    assert WebhookSubscription.objects.get().secret == subscription.secret
    assert RateLimitWindow.objects.get().count == 3
    # New rows still get fresh ids after the old ones (the tables' sequences came along).
    second = Mailbox.objects.create(name="Sales", kind="maildir", folder="/var/mail/sales")
    assert second.pk > mailbox.pk


def test_permissions_log_entries_and_admin_links_follow_the_moved_models(old_apps):
    User = old_apps.get_model("auth", "User")
    Permission = old_apps.get_model("auth", "Permission")
    ContentType = old_apps.get_model("contenttypes", "ContentType")
    clerk = User.objects.create(username="clerk", is_staff=True)
    mailbox_type = ContentType.objects.get(app_label="helpdesk", model="mailbox")
    clerk.user_permissions.add(
        Permission.objects.get(content_type=mailbox_type, codename="change_mailbox")
    )
    old_apps.get_model("admin", "LogEntry").objects.create(
        user=clerk, content_type=mailbox_type, object_id="1", object_repr="Support", action_flag=2
    )
    old_apps.get_model("tickets", "Notification").objects.create(
        kind="webhook_disabled",
        channel="desk",
        recipient_user=clerk,
        subject="Webhook disabled",
        # (In two parts so that the module-move rewrite leaves the old address as it was.)
        link="/admin/" + "helpdesk/webhooksubscription/7/change/",
        dedupe_key="webhook-disabled:7",
    )

    _migrate_to_the_end()

    clerk = get_user_model().objects.get(username="clerk")
    assert clerk.has_perm("mail.change_mailbox")
    assert not clerk.has_perm("mail.delete_mailbox")
    assert LogEntry.objects.get().content_type.model_class() is Mailbox
    assert Notification.objects.get().link == "/admin/webhooks/webhooksubscription/7/change/"
