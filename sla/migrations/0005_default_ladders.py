from django.db import migrations

# Seed 001's levels. Business minutes after the alert (the escalate button: levels fire one
# per press). Editable in admin like everything else.
DEFAULT_LADDERS = [
    {
        "name": "SLA at risk",
        "trigger": "warning",
        "levels": [{"after_minutes": 0, "notify_assignee": True}],
    },
    {
        "name": "SLA breached",
        "trigger": "breach",
        "levels": [
            {"after_minutes": 0, "notify_assignee": True, "notify_team_lead": True},
            {"after_minutes": 30, "reassign_to": "senior", "notify_team_lead": True},
            {"after_minutes": 60, "reassign_to": "team_lead", "notify_manager": True},
        ],
    },
    {
        "name": "Escalate button",
        "trigger": "manual",
        "levels": [
            {"after_minutes": 0, "reassign_to": "senior", "notify_team_lead": True},
            {"after_minutes": 0, "reassign_to": "team_lead", "notify_manager": True},
            {"after_minutes": 0, "notify_manager": True, "notify_on_call": True},
        ],
    },
]


def install(apps, schema_editor):
    Ladder = apps.get_model("sla", "EscalationLadder")
    Level = apps.get_model("sla", "EscalationLevel")
    for spec in DEFAULT_LADDERS:
        ladder, created = Ladder.objects.get_or_create(
            name=spec["name"], defaults={"trigger": spec["trigger"]}
        )
        if created:
            for position, level in enumerate(spec["levels"], start=1):
                Level.objects.create(ladder=ladder, position=position, **level)


def remove(apps, schema_editor):
    names = [spec["name"] for spec in DEFAULT_LADDERS]
    apps.get_model("sla", "EscalationLadder").objects.filter(name__in=names).delete()


class Migration(migrations.Migration):
    dependencies = [("sla", "0004_escalation_ladders")]

    operations = [migrations.RunPython(install, remove)]
