"""`manage.py seed_demo`: fill an empty database with a realistic demo helpdesk."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from helpdesk import demo


class Command(BaseCommand):
    help = (
        "Create demo organizations, teams, people, taxonomy and ~90 days of ticket history through "
        "the services. Does nothing when demo data exist, or (unless --force) when the database has other data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickets", type=int, default=1000, help="How many tickets (default 1000).")
        parser.add_argument(
            "--seed", type=int, default=0, help="Random seed; the same seed gives the same data."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even though the database already holds other (non-demo) users or tickets.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["tickets"] < 0:
            raise CommandError("--tickets must be zero or more.")
        if demo.demo_data_exists():
            self.stdout.write(f"Demo data already present ({demo.DEMO_MARKER_EMAIL} exists); nothing to do.")
            return
        if not demo.database_is_empty() and not options["force"]:
            # Not an error: `make run` calls this on every start, also against a database in real use.
            self.stdout.write(
                "The database already has users, teams or tickets; not seeding. "
                "Pass --force to add demo data anyway."
            )
            return
        self.stdout.write(f"Seeding demo data: {options['tickets']} tickets (seed {options['seed']})...")
        report = demo.demo_seed(tickets=options["tickets"], seed=options["seed"])
        self.stdout.write(self.style.SUCCESS(f"{report.message} ({report.seconds:.1f}s)"))
        for name, value in report.counts.items():
            self.stdout.write(f"  {name:<14} {value}")
        self.stdout.write("  priorities     " + ", ".join(f"{k}: {v}" for k, v in report.priorities.items()))
        self.stdout.write(
            "  statuses       " + ", ".join(f"{k}: {v}" for k, v in demo.demo_statuses().items())
        )
        self.stdout.write("\nDemo logins (email / password):")
        for email, password, what in demo.DEMO_LOGINS:
            self.stdout.write(f"  {email:<24} {password:<20} {what}")
