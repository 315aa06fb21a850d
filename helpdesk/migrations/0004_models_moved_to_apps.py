"""The project package keeps no models: mail, API, webhook and rate-limit models moved to their
apps with their tables (see each app's 0001_initial). This deletes them from the helpdesk app's
state only, and moves their content types to the new app labels, so permissions granted on
them, admin log entries and anything else pointing at a content type keep working. Links
to their admin pages kept in notifications follow the new admin addresses."""

from django.db import migrations
from django.db.models import Value
from django.db.models.functions import Replace

# Model (lower case) -> the app it lives in now.
MOVED = {
    "inboundemail": "mail",
    "mailbox": "mail",
    "apitoken": "api",
    "idempotencyrecord": "api",
    "webhookdelivery": "webhooks",
    "webhooksubscription": "webhooks",
    "ratelimitwindow": "ratelimits",
}


def _relabel(apps, *, forward: bool):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model, app_label in MOVED.items():
        old, new = ("helpdesk", app_label) if forward else (app_label, "helpdesk")
        moving = ContentType.objects.filter(app_label=old, model=model).first()
        if moving is None:
            continue  # a new database: post_migrate creates the rows under the new label
        # A row under the new label only exists if something created it before this ran; it
        # holds nothing of value (the old row holds the permissions), so it gives way.
        ContentType.objects.filter(app_label=new, model=model).delete()
        moving.app_label = new
        moving.save(update_fields=["app_label"])


def _relink(apps, *, forward: bool):
    Notification = apps.get_model("tickets", "Notification")
    for model, app_label in MOVED.items():
        old, new = f"/admin/helpdesk/{model}/", f"/admin/{app_label}/{model}/"
        if not forward:
            old, new = new, old
        Notification.objects.filter(link__contains=old).update(
            link=Replace("link", Value(old), Value(new))
        )


def forwards(apps, schema_editor):
    _relabel(apps, forward=True)
    _relink(apps, forward=True)


def backwards(apps, schema_editor):
    _relabel(apps, forward=False)
    _relink(apps, forward=False)


class Migration(migrations.Migration):

    dependencies = [
        ("helpdesk", "0003_ratelimitwindow"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("tickets", "0023_task_attempt"),
        ("mail", "0001_initial"),
        ("api", "0001_initial"),
        ("webhooks", "0001_initial"),
        ("ratelimits", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="InboundEmail"),
                migrations.DeleteModel(name="Mailbox"),
                migrations.DeleteModel(name="ApiToken"),
                migrations.DeleteModel(name="IdempotencyRecord"),
                migrations.DeleteModel(name="WebhookDelivery"),
                migrations.DeleteModel(name="WebhookSubscription"),
                migrations.DeleteModel(name="RateLimitWindow"),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
