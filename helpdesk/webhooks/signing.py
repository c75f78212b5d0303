"""Signing webhook bodies: HMAC-SHA256 over "<timestamp>.<body>". Pure: no Django imports.

The receiver recomputes the signature with its copy of the secret and compares in constant time;
including the timestamp lets it refuse replays older than a few minutes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence

SIGNATURE_VERSION = "v1"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a public prefix, not a secret


def secret_generate() -> str:
    """Return a new random signing secret (256 bits, URL-safe)."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """Return "v1=<hex HMAC-SHA256 of '<timestamp>.<body>' keyed with the secret>"."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def signature_header(secrets_in_use: Sequence[str], timestamp: int, body: bytes) -> str:
    """Return the X-Helpdesk-Signature value: one signature per secret, comma-separated.

    Two secrets are in use for a while after a rotation that keeps the previous one, so
    receivers can switch without losing deliveries.
    """
    return ",".join(signature(secret, timestamp, body) for secret in secrets_in_use)


def signature_matches(secret: str, timestamp: int, body: bytes, header: str) -> bool:
    """Return whether any signature in `header` was made with `secret` (constant-time compare)."""
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, part.strip()) for part in header.split(","))
