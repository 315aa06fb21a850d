from django.db import migrations


def install(apps, schema_editor):
    from sla.defaults import first_installed_ladders, install_default_ladders

    install_default_ladders(
        apps.get_model("sla", "EscalationLadder"),
        apps.get_model("sla", "EscalationLevel"),
        ladders=first_installed_ladders(),
    )


def remove(apps, schema_editor):
    from sla.defaults import DEFAULT_LADDERS

    names = [spec["name"] for spec in DEFAULT_LADDERS]
    apps.get_model("sla", "EscalationLadder").objects.filter(name__in=names).delete()


class Migration(migrations.Migration):
    dependencies = [("sla", "0004_escalation_ladders")]

    operations = [migrations.RunPython(install, remove)]
