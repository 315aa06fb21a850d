import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.db.models import F
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


def backfill_recorded_times(apps, schema_editor):
    """Events written before `recorded_at` existed count as recorded when they happened, and
    reports made before `recorded_until` covered what was recorded until they were made: no
    old breach shows up as recorded late in the next report."""
    apps.get_model("sla", "SlaEvent").objects.update(recorded_at=F("at"))
    apps.get_model("sla", "DailySlaReport").objects.update(recorded_until=F("created_at"))


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
        migrations.AddField(
            model_name="slaevent",
            name="recorded_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.AddField(
            model_name="dailyslareport",
            name="recorded_until",
            field=models.DateTimeField(
                blank=True,
                help_text="Breaches recorded from here on were not in this report: the next one "
                "lists those dated before its period as recorded late.",
                null=True,
            ),
        ),
        migrations.RunPython(backfill_recorded_times, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="slaevent",
            name="recorded_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now,
                help_text="When it was written; later than `at` for an alert recorded late (a "
                "priority raise that put the deadline in the past, a worker that was down).",
            ),
        ),
        migrations.AlterField(
            model_name="slaevent",
            name="at",
            field=models.DateTimeField(
                help_text="When it happened: for an alert, the threshold time."
            ),
        ),
        migrations.AddField(
            model_name="escalationstep",
            name="due_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When the level was due; earlier than when it fired if the sweep was "
                "late (several levels overdue at once fire together, each keeps its own due time).",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="escalationlevel",
            name="escalate",
            field=models.BooleanField(
                default=False,
                help_text="Mark the ticket escalated (escalation level + 1) without raising its "
                "priority; reassigning or raising the priority always does.",
            ),
        ),
        migrations.AddField(
            model_name="escalationlevel",
            name="reassign_only_if_uncovered",
            field=models.BooleanField(
                default=False,
                help_text="Reassign only when nobody is assigned or the assignee is away or "
                "offline.",
            ),
        ),
        migrations.AddIndex(
            model_name="slaevent",
            index=models.Index(fields=["kind", "recorded_at"], name="sla_event_kind_recorded"),
        ),
    ]
