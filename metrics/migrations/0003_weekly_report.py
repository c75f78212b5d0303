# The weekly voice-of-customer report's table (issue 6).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0002_survey_settings_row"),
    ]

    operations = [
        migrations.CreateModel(
            name="WeeklyReport",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("week_start", models.DateField(help_text="The Monday (UTC) the week starts.", unique=True)),
                ("computed_at", models.DateTimeField()),
                ("data", models.JSONField(default=dict)),
                ("emailed_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "ordering": ["-week_start"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("week_start__iso_week_day", 1)), name="weekly_report_starts_monday"
                    )
                ],
            },
        ),
    ]
