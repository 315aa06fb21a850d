"""The analytics rollups moved here from `tickets` with their tables, which keep their names:
this creates them in Django's state only, the database already has them."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('tickets', '0023_task_attempt'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='OpenTicketsSnapshot',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('taken_at', models.DateTimeField()),
                        ('team_key', models.PositiveIntegerField(default=0)),
                        ('category_key', models.PositiveIntegerField(default=0)),
                        ('assignee_key', models.PositiveIntegerField(default=0)),
                        ('priority', models.CharField(choices=[('low', 'Low'), ('medium', 'Medium'), ('high', 'High'), ('critical', 'Critical')], max_length=10)),
                        ('open', models.PositiveIntegerField(default=0)),
                    ],
                    options={
                        'db_table': 'tickets_openticketssnapshot',
                        'constraints': [models.UniqueConstraint(fields=('team_key', 'category_key', 'assignee_key', 'priority'), name='open_snapshot_unique')],
                    },
                ),
                migrations.CreateModel(
                    name='TicketMetricsHour',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('hour', models.DateTimeField(help_text='Start of the hour, UTC.')),
                        ('team_key', models.PositiveIntegerField(default=0, help_text='Team id; 0: no team.')),
                        ('category_key', models.PositiveIntegerField(default=0, help_text='Category id; 0: none.')),
                        ('assignee_key', models.PositiveIntegerField(default=0, help_text='User id; 0: unassigned.')),
                        ('created', models.PositiveIntegerField(default=0)),
                        ('created_critical', models.PositiveIntegerField(default=0)),
                        ('cohort_resolved', models.PositiveIntegerField(default=0)),
                        ('cohort_first_responses', models.PositiveIntegerField(default=0)),
                        ('cohort_first_response_seconds', models.BigIntegerField(default=0)),
                        ('cohort_resolution_seconds', models.BigIntegerField(default=0)),
                        ('cohort_breached', models.PositiveIntegerField(default=0)),
                        ('first_responses', models.PositiveIntegerField(default=0)),
                        ('first_response_seconds', models.BigIntegerField(default=0)),
                        ('resolved', models.PositiveIntegerField(default=0)),
                        ('resolution_seconds', models.BigIntegerField(default=0)),
                        ('closed', models.PositiveIntegerField(default=0)),
                        ('finished', models.PositiveIntegerField(default=0, help_text='Left the open statuses: resolved, or closed without resolving.')),
                        ('escalated', models.PositiveIntegerField(default=0, help_text='First escalations.')),
                        ('sla_finished', models.PositiveIntegerField(default=0)),
                        ('sla_on_time', models.PositiveIntegerField(default=0)),
                        ('sla_breaches', models.PositiveIntegerField(default=0)),
                        ('csat_answered', models.PositiveIntegerField(default=0)),
                        ('csat_positive', models.PositiveIntegerField(default=0)),
                    ],
                    options={
                        'db_table': 'tickets_ticketmetricshour',
                        'ordering': ['hour'],
                        'indexes': [models.Index(fields=['team_key', 'hour'], name='metrics_hour_team'), models.Index(fields=['category_key', 'hour'], name='metrics_hour_category')],
                        'constraints': [models.UniqueConstraint(fields=('hour', 'team_key', 'category_key', 'assignee_key'), name='metrics_hour_unique')],
                    },
                ),
                migrations.CreateModel(
                    name='TagMetricsHour',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('hour', models.DateTimeField(help_text='Start of the hour, UTC.')),
                        ('team_key', models.PositiveIntegerField(default=0)),
                        ('category_key', models.PositiveIntegerField(default=0)),
                        ('created', models.PositiveIntegerField(default=0)),
                        ('tag', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tickets.tag')),
                    ],
                    options={
                        'db_table': 'tickets_tagmetricshour',
                        'ordering': ['hour'],
                        'constraints': [models.UniqueConstraint(fields=('hour', 'tag', 'team_key', 'category_key'), name='tag_metrics_hour_unique')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
