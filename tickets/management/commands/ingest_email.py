"""`manage.py ingest_email`: take one RFC 5322 message on standard input (an MTA pipe).

Exit codes follow sysexits, which MTAs understand: 0 once the message is stored, whatever became
of it (an ignored auto-reply or a failure kept for an admin are not the sender's problem);
75 (EX_TEMPFAIL) when it could not be stored, so the MTA keeps it and tries again; 66
(EX_NOINPUT) for empty input.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tickets.services import inbound_email

EX_NOINPUT = 66
EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Read one e-mail message on standard input and open or thread a ticket from it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--source", default="pipe", help="Recorded as where the message came from (default: pipe)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        raw = sys.stdin.buffer.read()
        if not raw.strip():
            self.stderr.write("ingest_email: no message on standard input.")
            sys.exit(EX_NOINPUT)
        try:
            inbound, created = inbound_email.inbound_email_receive(raw=raw, source=options["source"][:120])
        except Exception as error:  # the message is not stored: the MTA must keep it
            self.stderr.write(f"ingest_email: could not store the message ({type(error).__name__}: {error}).")
            sys.exit(EX_TEMPFAIL)
        if not created and inbound.status != "received":
            self.stdout.write(
                f"Already received as inbound e-mail #{inbound.pk} ({inbound.status}); nothing changed."
            )
            return
        inbound = inbound_email.inbound_email_process(inbound_id=inbound.pk)
        ticket = f", ticket #{inbound.ticket_id}" if inbound.ticket_id else ""
        detail = f": {inbound.error.splitlines()[0]}" if inbound.error else ""
        self.stdout.write(f"Inbound e-mail #{inbound.pk}: {inbound.status}{ticket}{detail}")
