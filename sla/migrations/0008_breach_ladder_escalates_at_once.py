from django.db import migrations


def upgrade(apps, schema_editor):
    """Seed 000: the default breach ladder escalates at once and hands an uncovered ticket to
    the on-call agent (a first level an admin changed is left as it is)."""
    from sla.defaults import upgrade_breach_ladder

    upgrade_breach_ladder(
        apps.get_model("sla", "EscalationLadder"), apps.get_model("sla", "EscalationLevel")
    )


class Migration(migrations.Migration):
    dependencies = [("sla", "0007_sla_engine_fixes")]

    operations = [migrations.RunPython(upgrade, migrations.RunPython.noop)]
