"""The analytics rollups (TicketMetricsHour, TagMetricsHour, OpenTicketsSnapshot) moved to the
`analytics` app with their tables (see analytics' 0001_initial). This deletes them from the
tickets app's state only, and moves their content types to the `analytics` label, so anything
pointing at a content type (permissions, admin log entries) keeps working."""

from django.db import migrations

MOVED = ("ticketmetricshour", "tagmetricshour", "openticketssnapshot")


def _relabel(apps, *, old: str, new: str):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        moving = ContentType.objects.filter(app_label=old, model=model).first()
        if moving is None:
            continue  # a new database: post_migrate creates the rows under the new label
        # A row under the new label only exists if something created it before this ran; it
        # holds nothing of value (the old row holds the permissions), so it gives way.
        ContentType.objects.filter(app_label=new, model=model).delete()
        moving.app_label = new
        moving.save(update_fields=["app_label"])


def forwards(apps, schema_editor):
    _relabel(apps, old="tickets", new="analytics")


def backwards(apps, schema_editor):
    _relabel(apps, old="analytics", new="tickets")


class Migration(migrations.Migration):

    dependencies = [
        ("tickets", "0023_task_attempt"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("analytics", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="TicketMetricsHour"),
                migrations.DeleteModel(name="TagMetricsHour"),
                migrations.DeleteModel(name="OpenTicketsSnapshot"),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
