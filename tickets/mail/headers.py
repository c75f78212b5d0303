"""Header values of real-world mail, decoded without ever raising. Pure.

Values are read raw (as the parser stored them, 8-bit bytes surrogate-escaped) and decoded here:
RFC 2047 encoded words (adjacent words of one charset joined before decoding, so a multibyte
character split across two words survives), raw UTF-8 or Latin-1 bytes, unknown charsets.
Addresses are split before their display names are decoded, so an encoded comma in a name
cannot split one address into two.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from tickets.mail import charsets

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_WHITESPACE_BETWEEN_WORDS = re.compile(r"(\?=)[ \t\r\n]+(?==\?)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_MESSAGE_ID = re.compile(r"<([^<>\s]{1,2000})>")
# No control characters either: a NUL byte in an address is no address (and PostgreSQL refuses it).
_ADDRESS = re.compile(
    r"^[^@\s<>()\[\],;:\"\x00-\x1f\x7f]+@[^@\s<>()\[\],;:\"\x00-\x1f\x7f]+\.[^@\s<>()\[\],;:\"\x00-\x1f\x7f]+$"
)
MAX_MESSAGE_ID = 250


@dataclass(frozen=True, slots=True)
class Address:
    address: str  # lower-case
    name: str = ""


def raw_values(message: Message, name: str) -> list[str]:
    """Return every raw value of header `name`, 8-bit bytes restored as UTF-8 (or Latin-1) text."""
    wanted = name.lower()
    values = []
    for key, value in message.raw_items():
        if str(key).lower() == wanted:
            values.append(_restore_8bit(str(value)))
    return values


def raw_value(message: Message, name: str) -> str:
    """Return the first raw value of header `name`, or ''."""
    values = raw_values(message, name)
    return values[0] if values else ""


def _restore_8bit(value: str) -> str:
    # The bytes parser keeps undecodable header bytes as surrogates; most are UTF-8 sent raw.
    try:
        data = value.encode("utf-8", "surrogateescape")
    except UnicodeError:
        return value
    return charsets.decode_quietly(data, "utf-8" if _is_utf8(data) else "cp1252")


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _word_bytes(encoding: str, payload: str) -> bytes | None:
    try:
        if encoding.lower() == "b":
            return base64.b64decode(payload + "=" * (-len(payload) % 4))
        return binascii.a2b_qp(payload.encode("ascii", "replace"), header=True)
    except (binascii.Error, ValueError):
        return None


def decode_words(value: str) -> str:
    """Return a header value with RFC 2047 encoded words decoded and control characters removed."""
    value = _WHITESPACE_BETWEEN_WORDS.sub(r"\1", value)
    out: list[str] = []
    pending: list[bytes] = []
    pending_charset = ""
    position = 0

    def flush() -> None:
        nonlocal pending, pending_charset
        if pending:
            out.append(charsets.decode_quietly(b"".join(pending), pending_charset))
        pending, pending_charset = [], ""

    for match in _ENCODED_WORD.finditer(value):
        if match.start() > position:
            flush()
            out.append(value[position : match.start()])
        charset = match.group(1).split("*", 1)[0].lower()  # RFC 2231 language suffix
        data = _word_bytes(match.group(2), match.group(3))
        if data is None:
            flush()
            out.append(match.group(0))
        else:
            if charset != pending_charset:
                flush()
                pending_charset = charset
            pending.append(data)
        position = match.end()
    flush()
    out.append(value[position:])
    return clean("".join(out))


def clean(value: str) -> str:
    """Return `value` unfolded to one line, without control characters (CR and LF included)."""
    return " ".join(_CONTROL.sub(" ", value.replace("\r", " ").replace("\n", " ")).split())


def text(message: Message, name: str) -> str:
    """Return the decoded, single-line text of header `name`, or ''."""
    return decode_words(raw_value(message, name))


def addresses(message: Message, *names: str) -> tuple[Address, ...]:
    """Return the valid addresses found in the named headers, in order, without duplicates."""
    found: list[Address] = []
    seen: set[str] = set()
    for name in names:
        for raw in raw_values(message, name):
            for address in parse_addresses(raw):
                if address.address not in seen:
                    seen.add(address.address)
                    found.append(address)
    return tuple(found)


def parse_addresses(raw: str) -> list[Address]:
    """Return the valid addresses of one raw address-list header value."""
    unfolded = raw.replace("\r", " ").replace("\n", " ")
    try:
        pairs = getaddresses([unfolded])
    except Exception:  # the stdlib parser has had crash bugs on hostile input
        pairs = []
    if not any("@" in addr for _, addr in pairs):
        # getaddresses gives up on some broken lists; fall back to anything shaped like an address.
        pairs = [("", found) for found in re.findall(r"[^\s<>(),;:\"]+@[^\s<>(),;:\"]+", unfolded)]
    result = []
    for name, addr in pairs:
        addr = addr.strip().strip("<>").strip().lower()
        if len(addr) > 254 or not _ADDRESS.match(addr):
            continue
        result.append(Address(addr, decode_words(name)[:200]))
    return result


def message_ids(message: Message, name: str) -> tuple[str, ...]:
    """Return the message ids (without angle brackets) in header `name`, in order."""
    found: list[str] = []
    for raw in raw_values(message, name):
        ids = _MESSAGE_ID.findall(raw)
        if not ids and raw.strip() and name.lower() in ("message-id", "in-reply-to"):
            # Some clients omit the brackets: take the value as written.
            token = raw.strip().split()[0].strip("<>")
            ids = [token] if token else []
        for found_id in ids:
            key = message_id_key(found_id)
            if key and key not in found:
                found.append(key)
    return tuple(found)


def message_id_key(message_id: str) -> str:
    """Return the stored form of a message id: as written, or a digest when it is very long."""
    message_id = clean(message_id).strip("<>").strip()
    if len(message_id) <= MAX_MESSAGE_ID:
        return message_id
    return (
        "sha256-" + hashlib.sha256(message_id.encode("utf-8", "surrogatepass")).hexdigest() + "@long.invalid"
    )


def date(message: Message) -> datetime | None:
    """Return the Date header as an aware UTC datetime, or None when absent or unreadable."""
    raw = clean(raw_value(message, "date"))
    if not raw:
        return None
    try:
        parsed = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
