"""Create the survey policy row with its defaults, so the admin has a form to open."""

from __future__ import annotations

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def create_settings_row(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    SurveySettings = apps.get_model("metrics", "SurveySettings")
    # Safe to run twice; an existing row keeps its values.
    SurveySettings.objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("metrics", "0001_surveys")]
    operations = [migrations.RunPython(create_settings_row, migrations.RunPython.noop)]
