"""Celery application; periodic tasks are declared here and only here (STYLE.md C9)."""

from __future__ import annotations

import os

from celery import Celery

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
}
