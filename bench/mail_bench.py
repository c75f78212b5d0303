"""Benchmark e-mail ingest: 10,000 generated messages through the real inbound path.

Recreates the database (default helpdesk_bench_mail), migrates, registers 20 organizations with
e-mail domains, then feeds N raw RFC 5322 messages one by one to
tickets.services.inbound_email.inbound_email_ingest — the two steps `manage.py ingest_email` and
the IMAP poll run: store the raw file and row, parse, classify, thread, create customers and
tickets or replies through the ticket services (SLA re-plans included). The mix, deterministic
with --seed:

- 30 % new conversations (a quarter from senders nobody knows; 8 % HTML-only; 5 % with a PDF),
- 55 % replies to an earlier conversation: by In-Reply-To/References (two thirds) or by the
  subject's [#id] alone, quoting the previous message and signed (so quote trimming works),
- 6 % auto-replies and 4 % bounces (kept, ignored), 5 % re-deliveries of a message already
  received (must change nothing).

It checks the outcome (every reply on its conversation's ticket, no re-delivery doubled, nothing
failed) and prints messages/s overall and per kind, latency percentiles and the counts.

    .venv/bin/python bench/mail_bench.py --messages 10000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/helpdesk_bench_mail"
ORGANIZATIONS = 20
KNOWN_PER_ORG = 15
TOPICS = [
    "VPN drops every hour",
    "Invoice shows the wrong number of seats",
    "Cannot reset my password",
    "Export to CSV fails with an error",
    "SSO login loops back to the start page",
    "Webhook deliveries time out",
    "Mobile app crashes on start",
    "Need an extra admin account",
    "Report totals do not match",
    "Printer on floor 3 is jammed",
]
LINES = [
    "It started this morning after the update.",
    "Three people on my team see the same thing.",
    "We tried restarting, it did not help.",
    "This blocks our month-end close, please hurry.",
    "Screenshots are attached where I could take them.",
    "Is there a workaround we can use meanwhile?",
    "Our account number is 48213.",
    "Naïve question maybe, but is this known? Grüße aus Köln.",
]
PDF = b"%PDF-1.4\n" + b"0" * 4000


@dataclass
class Conversation:
    sender: str
    name: str
    topic: str
    ids: list[str] = field(default_factory=list)
    ticket_id: int | None = None
    last_text: str = ""


def _recreate(url: str) -> None:
    name = urlparse(url).path.lstrip("/")
    if name in {"helpdesk", "postgres", "template0", "template1"}:
        sys.exit(f"refusing to use database {name!r}")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["psql", admin, "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=True)
    subprocess.run(["psql", admin, "-qc", f'CREATE DATABASE "{name}"'], check=True)


def _setup_django(url: str, media_root: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.MEDIA_ROOT = media_root
    settings.DEFAULT_FROM_EMAIL = "Support <support@helpdesk.test>"
    settings.EMAIL_DOMAIN = "helpdesk.test"
    call_command("migrate", verbosity=0)


def _organizations() -> list[str]:
    from helpdesk import services as account_services

    domains = []
    for number in range(ORGANIZATIONS):
        domain = f"org{number}.example"
        account_services.organization_create(name=f"Customer {number}", domains=[domain])
        domains.append(domain)
    return domains


def _message(
    *,
    sender: str,
    name: str,
    subject: str,
    message_id: str,
    body: str,
    headers: str = "",
    html: bool = False,
    pdf: bool = False,
) -> bytes:
    head = (
        f'From: "{name}" <{sender}>\r\nTo: Support <support@helpdesk.test>\r\nSubject: {subject}\r\n'
        f"Date: Mon, 03 Mar 2025 09:00:00 +0000\r\nMessage-ID: <{message_id}>\r\nMIME-Version: 1.0\r\n{headers}"
    )
    if html:
        markup = "".join(f"<p>{line}</p>" for line in body.split("\n") if line.strip())
        return (head + "Content-Type: text/html; charset=utf-8\r\n\r\n" + markup + "\r\n").encode()
    text_part = "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body
    if not pdf:
        return (head + text_part.replace("\n", "\r\n") + "\r\n").encode()
    import base64

    encoded = base64.encodebytes(PDF).decode().replace("\n", "\r\n")
    return (
        head
        + 'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\n'
        + text_part.replace("\n", "\r\n")
        + '\r\n--b1\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="report.pdf"\r\n'
        + "Content-Transfer-Encoding: base64\r\n\r\n"
        + encoded
        + "--b1--\r\n"
    ).encode()


def _body(rng: random.Random, *, quote: str = "") -> str:
    text = "Hello,\n\n" + "\n".join(rng.sample(LINES, 3)) + "\n\nThanks,\nSam"
    if quote:
        quoted = "\n".join("> " + line for line in quote.splitlines())
        text += f"\n\nOn Mon, 3 Mar 2025 at 08:00, Support <support@helpdesk.test> wrote:\n{quoted}"
    return text + "\n\n-- \nSam Sender\n+1 555 0100"


def run(count: int, seed: int) -> dict[str, object]:
    from tickets.models import InboundEmail, Ticket, TicketMessage
    from tickets.services.inbound_email import inbound_email_ingest

    rng = random.Random(seed)
    domains = _organizations()
    conversations: list[Conversation] = []
    delivered: list[bytes] = []
    timings: dict[str, list[float]] = defaultdict(list)
    expected_ticket: dict[str, int] = {}  # message id -> the conversation it belongs to (index)
    redeliveries = 0
    started = time.perf_counter()
    for number in range(count):
        roll = rng.random()
        message_id = f"bench-{number}@mail.example"
        if roll < 0.30 or len(conversations) < 20:
            kind = "new"
            if rng.random() < 0.25:
                sender, name = f"stranger{number}@free{number % 50}.example", f"Stranger {number}"
            else:
                org = rng.randrange(ORGANIZATIONS)
                person = rng.randrange(KNOWN_PER_ORG)
                sender, name = f"person{person}@{domains[org]}", f"Person {person} of {org}"
            conversation = Conversation(sender, name, rng.choice(TOPICS))
            body = _body(rng)
            html, pdf = rng.random() < 0.08, rng.random() < 0.05
            raw = _message(
                sender=sender,
                name=name,
                subject=conversation.topic,
                message_id=message_id,
                body=body,
                html=html,
                pdf=pdf,
            )
            kind = "new_html" if html else ("new_pdf" if pdf else "new")
            conversations.append(conversation)
            expected_ticket[message_id] = len(conversations) - 1
        elif roll < 0.85:
            index = rng.randrange(len(conversations))
            conversation = conversations[index]
            body = _body(rng, quote=conversation.last_text)
            by_subject = rng.random() < 1 / 3
            headers = ""
            subject = f"Re: {conversation.topic}"
            if by_subject:
                subject += f" [#{conversation.ticket_id}]"
            else:
                headers = (
                    f"In-Reply-To: <{conversation.ids[-1]}>\r\nReferences: "
                    + " ".join(f"<{earlier}>" for earlier in conversation.ids[-10:])
                    + "\r\n"
                )
            raw = _message(
                sender=conversation.sender,
                name=conversation.name,
                subject=subject,
                message_id=message_id,
                body=body,
                headers=headers,
            )
            kind = "reply_by_subject" if by_subject else "reply_by_header"
            expected_ticket[message_id] = index
        elif roll < 0.91:
            conversation = rng.choice(conversations)
            raw = _message(
                sender=conversation.sender,
                name=conversation.name,
                subject=f"Automatic reply: {conversation.topic}",
                message_id=message_id,
                body="I am out of the office until Monday.",
                headers="Auto-Submitted: auto-replied\r\n",
            )
            kind = "auto_reply"
        elif roll < 0.95:
            raw = _message(
                sender="MAILER-DAEMON@mx.example",
                name="Mail Delivery System",
                subject="Undelivered Mail Returned to Sender",
                message_id=message_id,
                body="Your message could not be delivered.",
                headers="Return-Path: <>\r\n",
            )
            kind = "bounce"
        else:
            raw = rng.choice(delivered)
            kind = "redelivery"
            redeliveries += 1
        before = time.perf_counter()
        result = inbound_email_ingest(raw=raw, source="bench")
        timings[kind].append(time.perf_counter() - before)
        delivered.append(raw)
        if kind.startswith("new") or kind.startswith("reply"):
            conversation = conversations[expected_ticket[message_id]]
            conversation.ids.append(message_id)
            conversation.last_text = body
            if conversation.ticket_id is None:
                conversation.ticket_id = result.inbound.ticket_id
    elapsed = time.perf_counter() - started

    statuses = Counter(InboundEmail.objects.values_list("status", flat=True))
    wrong = sum(
        1
        for row in InboundEmail.objects.filter(status__in=("ticket_created", "threaded")).values(
            "email_message_id", "ticket_id"
        )
        if conversations[expected_ticket[row["email_message_id"]]].ticket_id != row["ticket_id"]
    )
    all_times = [seconds for values in timings.values() for seconds in values]
    report: dict[str, object] = {
        "messages": count,
        "seconds": round(elapsed, 1),
        "messages_per_second": round(count / elapsed, 1),
        "ingest_only_messages_per_second": round(count / sum(all_times), 1),
        "latency_ms": {
            "p50": round(statistics.median(all_times) * 1000, 2),
            "p95": round(statistics.quantiles(all_times, n=20)[18] * 1000, 2),
            "max": round(max(all_times) * 1000, 2),
        },
        "per_kind": {
            kind: {
                "count": len(values),
                "messages_per_second": round(len(values) / sum(values), 1),
                "p50_ms": round(statistics.median(values) * 1000, 2),
            }
            for kind, values in sorted(timings.items())
        },
        "statuses": dict(statuses),
        "tickets": Ticket.objects.count(),
        "messages_on_tickets": TicketMessage.objects.count(),
        "stored_rows": InboundEmail.objects.count(),
        "redeliveries": redeliveries,
        "wrongly_threaded": wrong,
    }
    problems = []
    if wrong:
        problems.append(f"{wrong} messages on the wrong ticket")
    if statuses.get("failed") or statuses.get("received"):
        problems.append(f"unprocessed or failed: {statuses.get('failed', 0) + statuses.get('received', 0)}")
    if InboundEmail.objects.count() != count - redeliveries:
        problems.append("a re-delivery was stored twice")
    report["problems"] = problems
    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=os.environ.get("MAIL_BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    _recreate(args.database_url)
    with tempfile.TemporaryDirectory(prefix="mail-bench-media-") as media_root:
        _setup_django(args.database_url, media_root)
        report = run(args.messages, args.seed)
    print(json.dumps(report, indent=2))
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "mail_bench.json").write_text(json.dumps(report, indent=2))
    if report["problems"]:
        sys.exit("PROBLEMS: " + "; ".join(report["problems"]))  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
