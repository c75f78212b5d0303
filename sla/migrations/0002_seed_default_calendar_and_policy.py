"""Seed the default business calendar and the catch-all policy from the reference's tables.

Values are copied here on purpose: a data migration must not import app code (STYLE.md C17).
Safe to run twice: it does nothing when a default already exists.
"""

import datetime

from django.db import migrations

# (first response, next reply, periodic update, resolution) minutes; P1 in calendar hours.
BASE = {
    "p1": ((15, 15, 30, 240), False),
    "p2": ((60, 60, 120, 480), True),
    "p3": ((240, 240, 480, 1440), True),
    "p4": ((480, 480, 1440, 4320), True),
    "p5": ((1440, 1440, None, 2400), True),
}
METRICS = ("first_response", "next_reply", "periodic_update", "resolution")
MULTIPLIERS = {"enterprise": 0.5, "business": 1.0, "professional": 1.5, "starter": 2.0, "free": 4.0}


def seed(apps, schema_editor):
    BusinessCalendar = apps.get_model("sla", "BusinessCalendar")
    WeeklyInterval = apps.get_model("sla", "WeeklyInterval")
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    SlaTarget = apps.get_model("sla", "SlaTarget")
    SlaPolicyVersion = apps.get_model("sla", "SlaPolicyVersion")
    if not BusinessCalendar.objects.filter(is_default=True).exists():
        calendar = BusinessCalendar.objects.create(name="Business hours (Mon-Fri 09:00-17:00 UTC)", time_zone="UTC", is_default=True)
        WeeklyInterval.objects.bulk_create(
            WeeklyInterval(calendar=calendar, weekday=day, start=datetime.time(9), end=datetime.time(17)) for day in range(5)
        )
    if SlaPolicy.objects.filter(is_default=True).exists():
        return
    policy = SlaPolicy.objects.create(name="Standard (catch-all)", is_default=True, position=1000, version=1)
    targets = {}
    cells = []
    for priority, (minutes, business_hours) in BASE.items():
        for tier, factor in MULTIPLIERS.items():
            for metric, value in zip(METRICS, minutes, strict=True):
                scaled = None if value is None else max(1, round(value * factor))
                cells.append(SlaTarget(policy=policy, priority=priority, tier=tier, metric=metric, minutes=scaled, business_hours=business_hours))
                targets.setdefault(priority, {}).setdefault(tier, {})[metric] = {
                    "minutes": scaled, "business_hours": business_hours, "calendar": None,
                }
    SlaTarget.objects.bulk_create(cells)
    SlaPolicyVersion.objects.create(
        policy=policy,
        number=1,
        snapshot={
            "policy": policy.pk,
            "name": policy.name,
            "pause_statuses": ["on_hold", "pending"],
            "automatic_reply_counts": False,
            "warning_levels": [50, 80, 90, 100, 200],
            "escalation": {"raise_tier": True, "team": None, "raise_priority": False, "director": None},
            "targets": targets,
        },
    )


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
