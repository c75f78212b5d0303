"""Signatures: HMAC-SHA256 over "<timestamp>.<body>", checked by the receiver's own code too."""

from __future__ import annotations

import hashlib
import hmac

from helpdesk.webhooks import signing
from tests.helpdesk.webhooks.receiver import verify


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    # given / when
    header = signing.signature("whsec_test", 1_700_000_000, b'{"a":1}')

    # then
    digest = hmac.new(b"whsec_test", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert header == f"v1={digest}"


def test_receiver_accepts_either_signature_during_a_rotation() -> None:
    body = b'{"type":"ticket.created"}'
    header = signing.signature_header(["whsec_new", "whsec_old"], 1_700_000_000, body)
    headers = {"X-Helpdesk-Timestamp": "1700000000", "X-Helpdesk-Signature": header}

    assert verify("whsec_new", headers, body, now=1_700_000_010)
    assert verify("whsec_old", headers, body, now=1_700_000_010)
    assert not verify("whsec_other", headers, body, now=1_700_000_010)


def test_receiver_refuses_a_changed_body_or_an_old_timestamp() -> None:
    body = b'{"score":5}'
    headers = {
        "X-Helpdesk-Timestamp": "1700000000",
        "X-Helpdesk-Signature": signing.signature("whsec_x", 1_700_000_000, body),
    }

    assert not verify("whsec_x", headers, b'{"score":1}', now=1_700_000_000)
    assert not verify("whsec_x", headers, body, now=1_700_000_000 + 301)
    assert signing.signature_matches("whsec_x", 1_700_000_000, body, headers["X-Helpdesk-Signature"])


def test_secrets_are_random_and_prefixed() -> None:
    first, second = signing.secret_generate(), signing.secret_generate()

    assert first != second
    assert first.startswith("whsec_")
    assert len(first) == len("whsec_") + 43
