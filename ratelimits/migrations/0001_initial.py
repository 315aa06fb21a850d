"""The models moved here from the project package (`helpdesk`) with their tables, which keep
their names: this creates them in Django's state only, the database already has them."""

from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('helpdesk', '0003_ratelimitwindow'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='RateLimitWindow',
                    fields=[
                        ('key', models.CharField(max_length=64, primary_key=True, serialize=False)),
                        ('count', models.PositiveIntegerField(default=0)),
                        ('ends_at', models.BigIntegerField()),
                    ],
                    options={
                        'db_table': 'helpdesk_ratelimitwindow',
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
