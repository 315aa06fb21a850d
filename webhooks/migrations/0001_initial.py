"""The models moved here from the project package (`helpdesk`) with their tables, which keep
their names: this creates them in Django's state only, the database already has them."""

import django.core.serializers.json
import django.core.validators
import django.db.models.deletion
import django.utils.timezone
import uuid
import webhooks.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('helpdesk', '0003_ratelimitwindow'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='WebhookSubscription',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100)),
                        ('url', models.URLField(max_length=500, validators=[django.core.validators.URLValidator(schemes=['http', 'https'])])),
                        ('secret', models.CharField(default=webhooks.models.new_webhook_secret, help_text='Signs every delivery (X-Helpdesk-Signature). Rotate it from the list.', max_length=100)),
                        ('events', models.JSONField(default=list, validators=[webhooks.models.validate_webhook_events])),
                        ('active', models.BooleanField(default=True)),
                        ('consecutive_failures', models.PositiveIntegerField(default=0, editable=False)),
                        ('disabled_at', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('disabled_reason', models.CharField(blank=True, editable=False, max_length=200)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ('owner', models.ForeignKey(help_text='Told when the subscription is disabled after repeated failures.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='webhook_subscriptions', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'helpdesk_webhooksubscription',
                        'ordering': ['name', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='WebhookDelivery',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('uuid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('event', models.CharField(max_length=50)),
                        ('dedupe_key', models.CharField(help_text='The event and its source: one delivery per subscription.', max_length=255)),
                        ('ticket_reference', models.CharField(blank=True, max_length=30)),
                        ('payload', models.JSONField(encoder=django.core.serializers.json.DjangoJSONEncoder)),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('failed', 'Failed, will retry'), ('succeeded', 'Succeeded'), ('given_up', 'Given up')], default='pending', max_length=10)),
                        ('attempts', models.PositiveSmallIntegerField(default=0)),
                        ('next_attempt_at', models.DateTimeField(blank=True, null=True)),
                        ('last_status_code', models.PositiveSmallIntegerField(blank=True, null=True)),
                        ('last_error', models.CharField(blank=True, max_length=500)),
                        ('response_snippet', models.TextField(blank=True, help_text='The first 500 characters.')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('delivered_at', models.DateTimeField(blank=True, null=True)),
                        ('subscription', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='webhooks.webhooksubscription')),
                    ],
                    options={
                        'verbose_name_plural': 'webhook deliveries',
                        'db_table': 'helpdesk_webhookdelivery',
                        'ordering': ['-created_at', '-id'],
                        'indexes': [models.Index(condition=models.Q(('status__in', ['pending', 'failed'])), fields=['next_attempt_at'], name='webhook_delivery_due'), models.Index(fields=['subscription', '-created_at'], name='webhook_delivery_sub')],
                        'constraints': [models.UniqueConstraint(fields=('subscription', 'dedupe_key'), name='webhook_delivery_once')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
