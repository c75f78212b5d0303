"""Fuzzing the ingest path: random bytes and mutated corpus messages never raise and are always kept.

Bounded and deterministic (hypothesis, derandomized, no example database): a few hundred inputs,
well under 30 seconds.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tickets.mail import parse
from tickets.models import InboundEmail, InboundStatus
from tickets.services.inbound_email import inbound_email_ingest

from .conftest import CORPUS
from .corpus.realworld import World, cases

pytestmark = pytest.mark.django_db

_WORLD = World(
    vpn_ticket=1,
    vpn_first_id="vpn-first@acme.test",
    vpn_reply_id="ticket-1.message-1@helpdesk.test",
    closed_ticket=2,
    gone_ticket=3,
    gone_reply_ids=tuple(f"ticket-3.message-{n}@helpdesk.test" for n in range(2, 8)),
    agent_email="agent@helpdesk.test",
)
# Seeds: every corpus message small enough to mutate quickly.
SEEDS = [case.raw for case in cases(_WORLD) if 0 < len(case.raw) < 200_000] + [
    path.read_bytes() for path in sorted(CORPUS.glob("*.eml"))
]

_FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A corpus message cut, spliced, flipped, duplicated or re-ended."""
    raw = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["cut", "insert", "flip", "delete", "repeat", "newlines", "nul"]))
        at = draw(st.integers(0, len(raw)))
        if kind == "cut":
            del raw[at:]
        elif kind == "insert":
            raw[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "flip" and raw:
            at = min(at, len(raw) - 1)
            raw[at] = draw(st.integers(0, 255))
        elif kind == "delete":
            del raw[at : at + draw(st.integers(1, 200))]
        elif kind == "repeat":
            raw[at:at] = raw[max(0, at - 300) : at]
        elif kind == "newlines":
            raw = bytearray(bytes(raw).replace(b"\r\n", draw(st.sampled_from([b"\n", b"\r", b"\r\r\n"]))))
        elif kind == "nul":
            raw[at:at] = b"\x00"
    return bytes(raw)


_HEADERISH = st.lists(
    st.sampled_from(
        [
            b"From: ",
            b"To: ",
            b"Subject: =?utf-8?B?",
            b"Content-Type: multipart/mixed; boundary=",
            b"Content-Transfer-Encoding: base64",
            b"\r\n",
            b"\r\n\r\n",
            b"--",
            b"=?",
            b"?=",
            b"<",
            b">",
            b"@",
            b";",
            b'"',
            b"\x00",
            b"\xff\xfe",
        ]
    )
    | st.binary(max_size=20),
    max_size=40,
).map(b"".join)


def _ingest_and_check(raw: bytes) -> None:
    result = inbound_email_ingest(raw=raw, source="fuzz")  # must not raise
    row = result.inbound
    assert row.status != InboundStatus.RECEIVED, row.error
    with row.raw.open("rb") as stored:
        kept = stored.read()
    if result.created:
        assert kept == raw
    else:  # the same message (by Message-ID and content, trace headers aside) was kept before
        assert parse.content_digest(kept) == parse.content_digest(raw)


@_FUZZ
@given(raw=st.binary(max_size=3000) | _HEADERISH)
def test_random_bytes_are_kept_and_never_raise(raw: bytes) -> None:
    _ingest_and_check(raw)


@_FUZZ
@given(raw=mutated())
def test_mutated_corpus_messages_are_kept_and_never_raise(raw: bytes) -> None:
    _ingest_and_check(raw)


def test_the_fuzzers_reach_every_outcome_family() -> None:
    # given a sample of what the fuzzers feed in (the seeds themselves, and random bytes)
    for raw in [*SEEDS[:40], b"", b"\x00\xff" * 50]:
        _ingest_and_check(raw)

    # then the inputs are not all rejected the same way: the fuzzing reaches real processing
    statuses = set(InboundEmail.objects.values_list("status", flat=True))
    assert {InboundStatus.TICKET_CREATED, InboundStatus.FAILED} <= statuses
