"""`manage.py ingest_email`: one message on standard input, exit codes an MTA understands."""

from __future__ import annotations

import io
import sys

import pytest
from django.core.management import call_command

from tickets.models import InboundEmail, Ticket
from tickets.services import inbound_email

from .conftest import corpus

pytestmark = pytest.mark.django_db


def _run(raw: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    stdin = io.TextIOWrapper(io.BytesIO(raw))
    monkeypatch.setattr(sys, "stdin", stdin)
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("ingest_email", stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_a_piped_message_opens_a_ticket(monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = _run(corpus("plain_new.eml"), monkeypatch)

    row = InboundEmail.objects.get()
    assert (code, out.strip()) == (0, f"Inbound e-mail #{row.pk}: ticket_created, ticket #{row.ticket_id}")
    assert (row.source, Ticket.objects.count()) == ("pipe", 1)


def test_piping_it_again_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    _run(corpus("plain_new.eml"), monkeypatch)

    code, out, _ = _run(corpus("plain_new.eml"), monkeypatch)

    row = InboundEmail.objects.get()
    assert (code, out.strip()) == (
        0,
        f"Already received as inbound e-mail #{row.pk} (ticket_created); nothing changed.",
    )
    assert Ticket.objects.count() == 1


def test_an_auto_reply_exits_zero_and_opens_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = _run(corpus("auto_reply.eml", TICKET=1, IN_REPLY_TO="x@y"), monkeypatch)

    assert (code, "ignored_auto_reply" in out, Ticket.objects.count()) == (0, True, 0)


def test_an_unusable_message_is_kept_and_still_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = _run(corpus("missing_headers.eml"), monkeypatch)

    assert code == 0
    assert "failed: The message names no sender address" in out
    assert InboundEmail.objects.get().status == "failed"


def test_empty_input_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _run(b"\r\n", monkeypatch)[0] == 66


def test_a_storage_failure_asks_the_mta_to_try_again(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_storage(**kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(inbound_email, "inbound_email_receive", broken_storage)

    code, _, err = _run(corpus("plain_new.eml"), monkeypatch)

    assert (code, "disk full" in err, InboundEmail.objects.count()) == (75, True, 0)
