"""Celery application; periodic tasks are declared here and only here (STYLE.md C9)."""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Warnings and breaches must land within seconds of their instant; a sweep that finds nothing
    # due costs one index probe, so every 5 s is cheap. Overlapping runs share work (SKIP LOCKED).
    "sla-sweep-due-clocks": {
        "task": "sla.sweep_due_clocks",
        "schedule": 5.0,
        "options": {"expires": 30},
    },
    # Escalation follows the breach it answers; the same cadence keeps the two close together.
    "tickets-escalate-breached": {
        "task": "tickets.escalate_breached_tickets",
        "schedule": 5.0,
        "options": {"expires": 30},
    },
    # Automation time rules ("idle 24 h", "SLA 75 % used") must act within a minute of coming due
    # (hourly sweeps make "2 hours" mean up to 3). The sweep reads only tickets past each rule's
    # time bounds and not yet handled in their period; it also routes tickets waiting for an agent.
    "tickets-run-time-rules": {
        "task": "tickets.run_time_rules",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Re-apply jobs are queued as rows; picking them up every 10 s needs no broker message, so a
    # job asked for while Redis was down still runs. A job claims itself, so overlaps are harmless.
    "sla-run-reapply-jobs": {
        "task": "sla.run_reapply_jobs",
        "schedule": 10.0,
        "options": {"expires": 60},
    },
    # Alert emails should follow their alert within seconds; each run works up to 40 s, so a
    # burst of breaches drains continuously while a quiet queue costs one index probe.
    "helpdesk-email-due-notifications": {
        "task": "helpdesk.email_due_notifications",
        "schedule": 10.0,
        "options": {"expires": 120},
    },
    # Satisfaction surveys come due hours after a resolution, read from the ticket itself (no
    # per-ticket countdown to lose while Redis or the worker is down). Every 10 s keeps a due
    # survey within seconds of its instant; a sweep with nothing due costs three index probes.
    # Overlapping runs are harmless: one plans (advisory lock), senders share rows (SKIP LOCKED).
    "metrics-sweep-surveys": {
        "task": "metrics.sweep_surveys",
        "schedule": 10.0,
        "options": {"expires": 30},
    },
    # Last week's voice-of-customer report (weeks are Monday-Sunday UTC), e-mailed to managers at
    # Monday 06:00 UTC, before Europe's working day; tags added while triaging the weekend's tickets
    # are in by then. The later hourly runs only look the week up (one index probe) unless a run
    # was missed while beat or the mail server was down: then the next one catches up. The e-mail
    # is claimed with a compare-and-swap, so overlapping runs send it once.
    "metrics-send-weekly-report": {
        "task": "metrics.send_weekly_report",
        "schedule": crontab(minute=0, hour="6-23"),
        "options": {"expires": 3000},
    },
    # Metric facts and rollups follow ticket, SLA and survey changes; dashboards read them, so a
    # figure is at most about a minute old. A run with nothing new costs a few index probes plus
    # the live figures (one pass over open tickets); a run finding the previous one still going
    # skips (row lock), and a large backlog (an import) is worked off 2,000 tickets per run.
    "metrics-refresh-facts": {
        "task": "metrics.refresh_facts",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
    # Agents' replies should reach the customer's inbox within seconds, as alert e-mails do; a
    # sweep with nothing due costs one index probe. Rows are claimed with SKIP LOCKED and marked
    # sent in the claiming transaction, so overlapping runs never send one twice.
    "tickets-send-due-outbound-emails": {
        "task": "tickets.send_due_outbound_emails",
        "schedule": 5.0,
        "options": {"expires": 30},
    },
    # Customers' mail is read within half a minute; polling more often buys little against
    # mail delivery's own delays and costs the IMAP server a login each time. Overlapping runs
    # are harmless: a message is stored once (unique Message-ID) and processed under a row lock.
    "tickets-poll-mailbox": {
        "task": "tickets.poll_mailbox",
        "schedule": 30.0,
        "options": {"expires": 60},
    },
    # Idempotency records only need to outlive a client's retry window (24 h); purge hourly
    # so the table stays small without a visible cost spike.
    "purge-idempotency-keys": {
        "task": "helpdesk.purge_idempotency_keys",
        "schedule": 3600.0,
    },
    # Review reminders are due by the day (a week ahead, then on the date); hourly is prompt
    # enough, and each article is claimed once per review date, so overlapping runs are harmless.
    "kb-remind-review-due": {
        "task": "kb.remind_review_due",
        "schedule": 3600.0,
        "options": {"expires": 1800},
    },
    # Webhooks: fan new event-log rows out into deliveries and hand due ones (first tries and
    # retries) to workers. Integrations expect events within seconds; a sweep with nothing new
    # costs two cursor reads and one index probe. Overlapping runs skip each other (SKIP LOCKED).
    "helpdesk-sweep-webhooks": {
        "task": "helpdesk.sweep_webhooks",
        "schedule": 2.0,
        "options": {"expires": 20},
    },
    # Delivery logs are kept WEBHOOKS_DELIVERY_RETENTION_DAYS; purging hourly keeps each run small.
    "helpdesk-purge-webhook-deliveries": {
        "task": "helpdesk.purge_webhook_deliveries",
        "schedule": 3600.0,
        "options": {"expires": 1800},
    },
}
