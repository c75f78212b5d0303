"""Celery application; periodic tasks are declared here and only here (STYLE.md C9)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Idempotency records only need to outlive a client's retry window (24 h); purge hourly
    # so the table stays small without a visible cost spike.
    "purge-idempotency-keys": {
        "task": "helpdesk.purge_idempotency_keys",
        "schedule": 3600.0,
    },
}
