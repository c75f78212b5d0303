# The e-mail channel (issue 7): inbound messages kept raw, blocked senders, queued replies and
# admin-editable templates. Schema only.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import tickets.mail.models


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0006_ticketevent_satisfaction_rated"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='EmailTemplate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(choices=[('reply_subject', 'Reply: subject'), ('reply_text', 'Reply: plain-text body'), ('reply_html', 'Reply: HTML body')], max_length=20, unique=True)),
                ('body', models.TextField(help_text='Django template syntax; see docs/email.md for the variables.')),
                ('is_active', models.BooleanField(default=True)),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'ordering': ['name'],
            },
        ),
        migrations.CreateModel(
            name='BlockedSender',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('pattern', models.CharField(help_text='An address (ana@example.com) or a whole domain (@example.com).', max_length=254, unique=True)),
                ('note', models.CharField(blank=True, max_length=200)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['pattern'],
            },
        ),
        migrations.CreateModel(
            name='InboundEmail',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('email_message_id', models.CharField(max_length=255, unique=True)),
                ('raw', models.FileField(max_length=300, upload_to=tickets.mail.models.inbound_raw_upload_to)),
                ('raw_size', models.PositiveBigIntegerField()),
                ('raw_sha256', models.CharField(max_length=64)),
                ('source', models.CharField(help_text='Where it came from: imap:<user>@<host>/<folder>, pipe…', max_length=120)),
                ('from_address', models.CharField(blank=True, max_length=254)),
                ('subject', models.CharField(blank=True, max_length=250)),
                ('cc', models.JSONField(blank=True, default=list, help_text='Other people the message was addressed to.')),
                ('status', models.CharField(choices=[('received', 'Received, not processed yet'), ('ticket_created', 'Opened a ticket'), ('threaded', 'Added to a ticket'), ('ignored_auto_reply', 'Ignored: auto-reply'), ('ignored_bounce', 'Ignored: bounce or delivery report'), ('ignored_loop', 'Ignored: our own mail came back'), ('blocked', 'Blocked sender'), ('failed', 'Failed: needs an admin')], default='received', max_length=20)),
                ('error', models.TextField(blank=True)),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('received_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('processed_at', models.DateTimeField(blank=True, null=True)),
                ('message', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='tickets.ticketmessage')),
                ('ticket', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='inbound_emails', to='tickets.ticket')),
            ],
            options={
                'ordering': ['-received_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='OutboundEmail',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('email_message_id', models.CharField(max_length=255, unique=True)),
                ('in_reply_to', models.CharField(blank=True, max_length=255)),
                ('references', models.TextField(blank=True)),
                ('from_email', models.CharField(max_length=254)),
                ('to', models.JSONField(default=list)),
                ('cc', models.JSONField(blank=True, default=list)),
                ('subject', models.CharField(max_length=300)),
                ('body_text', models.TextField()),
                ('body_html', models.TextField(blank=True)),
                ('status', models.CharField(choices=[('pending', 'Waiting to be sent'), ('sent', 'Sent'), ('failed', 'Failed: not sent')], default='pending', max_length=8)),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('next_attempt_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('last_error', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('message', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='outbound_email', to='tickets.ticketmessage')),
                ('ticket', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='outbound_emails', to='tickets.ticket')),
            ],
            options={
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.AddIndex(
            model_name='inboundemail',
            index=models.Index(fields=['ticket', 'received_at'], name='inbound_email_ticket_idx'),
        ),
        migrations.AddIndex(
            model_name='inboundemail',
            index=models.Index(fields=['status', '-received_at'], name='inbound_email_status_idx'),
        ),
        migrations.AddIndex(
            model_name='inboundemail',
            index=models.Index(condition=models.Q(('status__in', ('received', 'failed'))), fields=['received_at'], name='inbound_email_pending_idx'),
        ),
        migrations.AddIndex(
            model_name='outboundemail',
            index=models.Index(fields=['ticket', 'created_at'], name='outbound_email_ticket_idx'),
        ),
        migrations.AddIndex(
            model_name='outboundemail',
            index=models.Index(condition=models.Q(('status', 'pending')), fields=['next_attempt_at'], name='outbound_email_due_idx'),
        ),
    ]
