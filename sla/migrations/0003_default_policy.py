from django.db import migrations

DEFAULT_NAME = "Default"


def install_default_policy(apps, schema_editor):
    from sla.default_targets import default_target_rows

    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    SlaTarget = apps.get_model("sla", "SlaTarget")
    policy, created = SlaPolicy.objects.get_or_create(
        name=DEFAULT_NAME,
        defaults={
            "description": "Applies when no organization or category policy matches.",
            "pause_statuses": ["waiting_customer"],
        },
    )
    if created:
        SlaTarget.objects.bulk_create(
            SlaTarget(policy=policy, **row) for row in default_target_rows()
        )


def remove_default_policy(apps, schema_editor):
    apps.get_model("sla", "SlaPolicy").objects.filter(name=DEFAULT_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("sla", "0002_policies_and_clocks")]

    operations = [migrations.RunPython(install_default_policy, remove_default_policy)]
