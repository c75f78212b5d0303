"""`manage.py metrics_rebuild [--check]`: recompute metric facts and rollups from the event logs."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from metrics.reporting.rebuild import metrics_check, metrics_rebuild


class Command(BaseCommand):
    help = (
        "Recompute every ticket's metric fact and every rollup row from the ticket and SLA event logs. "
        "With --check, recompute without writing and compare with the live rows the sweep keeps: "
        "prints every difference and exits with status 1 when there is any."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="Compare only; change nothing.")
        parser.add_argument(
            "--no-refresh",
            action="store_true",
            help="With --check: compare as the rows are, without first running the sweep.",
        )
        parser.add_argument("--limit", type=int, default=50, help="With --check: differences to print.")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        if options["check"]:
            report = metrics_check(now=now, refresh_first=not options["no_refresh"], limit=options["limit"])
            if report.agrees:
                self.stdout.write(self.style.SUCCESS("Metrics agree with a rebuild from the event logs."))
                return
            for line in report.lines:
                self.stdout.write(line)
            raise CommandError(
                f"{report.facts_differing} facts and {report.rows_differing} rollup rows differ from a rebuild."
            )
        verbosity = options["verbosity"]
        report = metrics_rebuild(now=now, progress=self.stdout.write if verbosity > 1 else None)
        self.stdout.write(
            self.style.SUCCESS(
                f"Rebuilt {report.tickets} ticket facts and {report.rows} rollup rows over {report.days} days "
                f"in {report.seconds:.1f}s."
            )
        )
