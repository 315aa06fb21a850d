from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def stop_duplicate_runs(apps, schema_editor):
    """Before one open run per ladder and ticket is enforced: where two sweep workers started
    the same ladder twice, the earliest run goes on and the later ones stop (acknowledged by
    the system, nobody named), so the constraint can be added."""
    escalation_model = apps.get_model("sla", "TicketEscalation")
    seen = set()
    duplicates = []
    open_runs = escalation_model.objects.filter(acknowledged_at__isnull=True).order_by(
        "started_at", "pk"
    )
    for run_id, ticket_id, ladder_id in open_runs.values_list("pk", "ticket_id", "ladder_id"):
        if (ticket_id, ladder_id) in seen:
            duplicates.append(run_id)
        seen.add((ticket_id, ladder_id))
    escalation_model.objects.filter(pk__in=duplicates).update(
        acknowledged_at=timezone.now(), next_fire_at=None
    )


class Migration(migrations.Migration):
    dependencies = [
        ("sla", "0006_dailyslareport"),
        ("tickets", "0018_open_created_with_subject"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(stop_duplicate_runs, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="ticketescalation",
            constraint=models.UniqueConstraint(
                condition=models.Q(("acknowledged_at__isnull", True)),
                fields=("ticket", "ladder"),
                name="escalation_one_open_run_per_ladder",
            ),
        ),
    ]
