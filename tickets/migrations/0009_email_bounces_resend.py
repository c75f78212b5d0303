# E-mail delivery problems (issue 7): bounces recorded per recipient (OutboundBounce), the bounced
# outbound status, an admin's resend counters, the index of the "needs attention" list, and the
# content digest that tells a re-delivery from another message reusing a Message-ID.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0008_automation'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='OutboundBounce',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('recipient', models.CharField(max_length=254)),
                ('status', models.CharField(blank=True, help_text='The DSN status code, e.g. 5.1.1.', max_length=32)),
                ('diagnostic', models.TextField(blank=True, help_text='What the receiving server said.')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.AddField(
            model_name='inboundemail',
            name='content_sha256',
            field=models.CharField(blank=True, help_text='Digest of the message less its trace headers: the same message delivered twice has the same.', max_length=64),
        ),
        migrations.AddField(
            model_name='outboundemail',
            name='bounced_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='outboundemail',
            name='resends',
            field=models.PositiveSmallIntegerField(default=0, help_text='How often an admin queued it again after it failed or bounced.'),
        ),
        migrations.AddField(
            model_name='outboundemail',
            name='resent_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='outboundemail',
            name='resent_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='inboundemail',
            name='status',
            field=models.CharField(choices=[('received', 'Received, not processed yet'), ('ticket_created', 'Opened a ticket'), ('threaded', 'Added to a ticket'), ('ignored_auto_reply', 'Ignored: auto-reply'), ('ignored_bounce', 'Ignored: bounce or delivery report'), ('bounce_recorded', 'Bounce: recorded on its ticket'), ('ignored_loop', 'Ignored: our own mail came back'), ('blocked', 'Blocked sender'), ('failed', 'Failed: needs an admin')], default='received', max_length=20),
        ),
        migrations.AlterField(
            model_name='outboundemail',
            name='status',
            field=models.CharField(choices=[('pending', 'Waiting to be sent'), ('sent', 'Sent'), ('failed', 'Failed: not sent'), ('bounced', 'Bounced: sent, then reported undeliverable')], default='pending', max_length=8),
        ),
        migrations.AddIndex(
            model_name='outboundemail',
            index=models.Index(condition=models.Q(('status__in', ('failed', 'bounced'))), fields=['-created_at'], name='outbound_email_problem_idx'),
        ),
        migrations.AddField(
            model_name='outboundbounce',
            name='inbound',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='bounces', to='tickets.inboundemail'),
        ),
        migrations.AddField(
            model_name='outboundbounce',
            name='note',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='tickets.ticketmessage'),
        ),
        migrations.AddField(
            model_name='outboundbounce',
            name='outbound',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='bounces', to='tickets.outboundemail'),
        ),
        migrations.AddIndex(
            model_name='outboundbounce',
            index=models.Index(fields=['outbound', 'recipient', 'created_at'], name='outbound_bounce_lookup_idx'),
        ),
        migrations.AddConstraint(
            model_name='outboundbounce',
            constraint=models.UniqueConstraint(fields=('inbound', 'outbound', 'recipient'), name='outbound_bounce_once_per_report'),
        ),
    ]
