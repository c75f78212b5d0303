"""Replay every ticket's event log and compare (--check) or rewrite its SLA clocks."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from sla import services
from sla.models import TicketSla
from tickets import selectors as ticket_selectors


class Command(BaseCommand):
    help = "Recompute SLA clocks from the ticket event log; --check only reports differences."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="Report clocks that differ; write nothing.")
        parser.add_argument("--ticket", type=int, action="append", help="Only these ticket ids (repeatable).")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        ids = options["ticket"] or list(
            TicketSla.objects.order_by("ticket_id").values_list("ticket_id", flat=True)
        )
        differences = 0
        for ticket_id in ids:
            if options["check"]:
                problems = services.clocks_check(ticket_id=ticket_id, now=now)
                for problem in problems:
                    self.stdout.write(problem)
                differences += len(problems)
            else:
                with transaction.atomic():
                    if ticket_selectors.ticket_lock_for_sla(ticket_id) is not None:
                        services.clocks_replan(ticket_id=ticket_id, now=timezone.now())
        if options["check"]:
            self.stdout.write(f"checked {len(ids)} tickets: {differences} differences")
            if differences:
                raise CommandError(f"{differences} clock values differ from the event log")
        else:
            self.stdout.write(f"re-planned {len(ids)} tickets")
