# Routing, automation rules and macros (issue 7): the tables of tickets/automation/models.py and
# the TicketEvent kinds rule_fired, macro_applied and routed.

import django.contrib.postgres.fields
import django.db.models.deletion
import django.db.models.functions.text
import django.utils.timezone
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("tickets", "0007_email_channel"),
        ("helpdesk", "0001_initial"),
        ("sla", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='ticketevent',
            name='kind',
            field=models.CharField(choices=[('created', 'Created'), ('field_changed', 'Field changed'), ('status_changed', 'Status changed'), ('assigned', 'Assigned'), ('message_added', 'Message added'), ('merged', 'Merged into another ticket'), ('merge_received', 'Received a merged duplicate'), ('linked', 'Linked'), ('unlinked', 'Unlinked'), ('escalated', 'Escalated'), ('de_escalated', 'De-escalated'), ('satisfaction_rated', 'Satisfaction rated'), ('rule_fired', 'Automation rule fired'), ('macro_applied', 'Macro applied'), ('routed', 'Routed')], max_length=20),
        ),
        migrations.CreateModel(
            name='AutomationRule',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=120)),
                ('description', models.TextField(blank=True)),
                ('kind', models.CharField(choices=[('event', 'When a ticket changes'), ('time', 'On time (checked every minute)')], default='event', max_length=8)),
                ('triggers', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(choices=[('created', 'Ticket created'), ('updated', 'Ticket updated'), ('customer_replied', 'Customer replied')], max_length=20), blank=True, default=list, size=None)),
                ('conditions', models.JSONField(blank=True, default=dict)),
                ('actions', models.JSONField(default=list)),
                ('position', models.PositiveIntegerField(default=0)),
                ('is_active', models.BooleanField(default=False)),
                ('stop_processing', models.BooleanField(default=False)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['position', 'id'],
            },
        ),
        migrations.CreateModel(
            name='CategorySkill',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('category', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='routing_skill', to='tickets.category')),
                ('skill', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='helpdesk.skill')),
            ],
        ),
        migrations.CreateModel(
            name='Macro',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=120)),
                ('body', models.TextField(blank=True, help_text='Markdown with {{ placeholders }}; may be empty.')),
                ('visibility', models.CharField(choices=[('public', 'Public reply'), ('internal', 'Internal note')], default='public', max_length=8)),
                ('actions', models.JSONField(blank=True, default=list)),
                ('is_active', models.BooleanField(default=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('owner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='macros', to=settings.AUTH_USER_MODEL)),
                ('team', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='macros', to='helpdesk.team')),
            ],
            options={
                'ordering': ['name', 'id'],
            },
        ),
        migrations.CreateModel(
            name='RuleFiring',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('period_start', models.DateTimeField()),
                ('fired_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('rule', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='firings', to='tickets.automationrule')),
                ('ticket', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tickets.ticket')),
            ],
        ),
        migrations.CreateModel(
            name='TeamRouting',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('strategy', models.CharField(choices=[('manual', 'Manual (no automatic assignment)'), ('round_robin', 'Round-robin'), ('load_balanced', 'Load-balanced (fewest open tickets)'), ('skill_based', 'Skill-based (category → skill → tier)'), ('sticky_owner', "Sticky to the organization's owner")], default='manual', max_length=16)),
                ('auto_assign', models.BooleanField(default=True, help_text='Assign new tickets, and tickets waiting unassigned, without a rule asking for it.')),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('last_assigned', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('team', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='routing', to='helpdesk.team')),
            ],
        ),
        migrations.CreateModel(
            name='AgentRouting',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('ramp_share', models.DecimalField(decimal_places=2, default=Decimal('1.00'), help_text='Share of the normal maximum load, for new hires ramping up (0.25–1.00).', max_digits=3)),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('agent', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='routing_settings', to=settings.AUTH_USER_MODEL)),
                ('calendar', models.ForeignKey(blank=True, help_text="Working hours; empty means the team's calendar (or always, when it has none).", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='sla.businesscalendar')),
            ],
            options={
                'constraints': [models.CheckConstraint(condition=models.Q(('ramp_share__gte', Decimal('0.25')), ('ramp_share__lte', Decimal('1.00'))), name='agent_routing_ramp_share_range')],
            },
        ),
        migrations.AddConstraint(
            model_name='automationrule',
            constraint=models.UniqueConstraint(django.db.models.functions.text.Lower('name'), name='automation_rule_name_unique_ci'),
        ),
        migrations.AddConstraint(
            model_name='rulefiring',
            constraint=models.UniqueConstraint(fields=('rule', 'ticket', 'period_start'), name='rule_firing_once_per_period'),
        ),
    ]
