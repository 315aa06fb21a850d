from django.db import migrations


def install(apps, schema_editor):
    from sla.defaults import install_default_policy

    install_default_policy(apps.get_model("sla", "SlaPolicy"), apps.get_model("sla", "SlaTarget"))


def remove(apps, schema_editor):
    from sla.defaults import DEFAULT_POLICY_NAME

    apps.get_model("sla", "SlaPolicy").objects.filter(name=DEFAULT_POLICY_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("sla", "0002_policies_and_clocks")]

    operations = [migrations.RunPython(install, remove)]
