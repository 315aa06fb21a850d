"""The models moved here from the project package (`helpdesk`) with their tables, which keep
their names: this creates them in Django's state only, the database already has them."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('helpdesk', '0003_ratelimitwindow'),
        ('tickets', '0013_analytics_rollups'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Mailbox',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100, unique=True)),
                        ('kind', models.CharField(choices=[('imap', 'IMAP'), ('maildir', 'Maildir folder')], default='imap', max_length=10)),
                        ('host', models.CharField(blank=True, help_text='IMAP only.', max_length=200)),
                        ('port', models.PositiveIntegerField(default=993, help_text='IMAP only: 993 with SSL.')),
                        ('use_ssl', models.BooleanField(default=True, help_text='IMAP only: IMAP over TLS.')),
                        ('username', models.CharField(blank=True, help_text='IMAP only.', max_length=200)),
                        ('password_env', models.CharField(blank=True, help_text='IMAP only: the NAME of the environment variable holding the password.', max_length=100)),
                        ('folder', models.CharField(blank=True, default='INBOX', help_text="IMAP: the folder to read. Maildir: the folder's path on the server.", max_length=200)),
                        ('processed_folder', models.CharField(blank=True, help_text='IMAP only: move processed messages here. Empty: mark them seen and leave them in the folder (only unseen messages are read).', max_length=200)),
                        ('active', models.BooleanField(default=True)),
                        ('last_fetched_at', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('last_error', models.TextField(blank=True, editable=False)),
                    ],
                    options={
                        'verbose_name_plural': 'mailboxes',
                        'db_table': 'helpdesk_mailbox',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='InboundEmail',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('source', models.CharField(help_text='mailbox:<id> or webhook.', max_length=30)),
                        ('message_id', models.CharField(max_length=255)),
                        ('from_address', models.CharField(blank=True, max_length=254)),
                        ('subject', models.CharField(blank=True, max_length=300)),
                        ('received_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('status', models.CharField(choices=[('processed', 'Processed'), ('ignored', 'Ignored (auto-reply, bounce, list)'), ('quarantined', 'Quarantined')], max_length=12)),
                        ('outcome', models.CharField(blank=True, choices=[('', 'None'), ('new_ticket', 'New ticket'), ('reply', 'Reply on a ticket')], max_length=12)),
                        ('reason', models.TextField(blank=True)),
                        ('size', models.PositiveIntegerField(default=0)),
                        ('raw', models.BinaryField(blank=True)),
                        ('raw_truncated', models.BooleanField(default=False, editable=False)),
                        ('ticket', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='inbound_emails', to='tickets.ticket')),
                        ('ticket_message', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='tickets.ticketmessage')),
                        ('mailbox', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='messages', to='mail.mailbox')),
                    ],
                    options={
                        'db_table': 'helpdesk_inboundemail',
                        'ordering': ['-received_at', '-id'],
                        'indexes': [models.Index(fields=['message_id'], name='inbound_email_message_id'), models.Index(fields=['status', '-received_at'], name='inbound_email_status')],
                        'constraints': [models.UniqueConstraint(fields=('source', 'message_id'), name='inbound_email_once')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
