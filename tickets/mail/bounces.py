"""What a delivery failure report says: which message bounced, for whom, and why. Pure.

Reads RFC 3464 reports (`multipart/report; report-type=delivery-status`: a `message/delivery-status`
part, and the original as `message/rfc822` or `text/rfc822-headers`) and the plain-text reports
of MTAs that send none (qmail, Exim, Postfix and Sendmail without DSN), which quote the original
message's headers under a separator line. Only the bounced message's own `Message-ID` header
identifies it — never the ids in its References, which name earlier messages of the thread.

Called only for mail classify.py already judged a bounce; the service matches the ids against our
outgoing mail and checks that a failed recipient is one we really wrote to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser

from tickets.mail import charsets, headers
from tickets.mail.parse import ParsedMessage

MAX_DIAGNOSTIC = 500
MAX_RECIPIENTS = 50

_ORIGINAL_TYPES = frozenset(
    {"message/rfc822", "message/global", "text/rfc822-headers", "message/global-headers", "message/partial"}
)
_STATUS_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
_ADDRESS = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+\.[^\s<>()\[\],;:\"'.]+")
STATUS_CODE = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")
_MESSAGE_ID_LINE = re.compile(r"(?im)^[ \t>]*Message-I[Dd][ \t]*:[ \t]*(?:\r?\n[ \t]+)?<([^<>\s]{1,2000})>")
# Where the human-readable part of a plain-text bounce ends and the copy of the message begins.
_COPY_STARTS = re.compile(
    r"(?im)^[ \t]*(?:-{2,}[ \t]*)?(?:"
    r"below this line is a copy of the message|this is a copy of the message|"
    r"original message follows|the original message was received|"
    r"(?:a )?copy of the original message|"
    r"(?:the )?(?:headers|header) of the original message|unsent message below|"
    r"undelivered message (?:headers )?follows|message headers follow|"
    r"return-path:|received:)"
)
# "<ana@example.com>: reason" (Postfix: the reason follows on the line; qmail: on the next lines).
_ANGLE_RECIPIENT = re.compile(
    r"(?m)^[ \t]*<([^<>\s]+@[^<>\s]+)>(?:[ \t]*\(expanded from <[^>]*>\))?:[ \t]*(.*)$"
)
# Exim: "The following address(es) failed:" then "  ana@example.com" and indented reasons.
_EXIM_FAILED = re.compile(r"(?i)following address(?:\(es\)|es)? failed:[ \t]*\n")
_DELAY = re.compile(
    r"(?i)(this is a (?:temporary error|warning)|warning: (?:could not send|message .{0,80} delayed)|"
    r"delivery (?:has been|is) delayed|will (?:continue|keep) (?:trying|to try)|still being retried|"
    r"delivery status notification \(delay\)|do not resend|no action is required on your part)"
)
_PERMANENT = re.compile(r"(?i)(permanent|given up|giving up|could not be delivered|failed permanently)")


@dataclass(frozen=True, slots=True)
class FailedRecipient:
    address: str  # lower-case
    status: str = ""  # RFC 3463 code such as 5.1.1, when the report gives one
    diagnostic: str = ""  # one line: what the receiving server said
    original_address: str = ""  # RFC 3464 Original-Recipient, when it differs


@dataclass(frozen=True, slots=True)
class BounceReport:
    original_ids: tuple[str, ...]  # the bounced message's Message-ID(s), most trusted first
    failed: tuple[FailedRecipient, ...]  # recipients the report says failed for good
    delayed_only: bool  # a warning: delivery is still being retried, nothing failed yet
    human_text: str  # the explanation, the quoted copy of the message cut off


def read_report(message: ParsedMessage) -> BounceReport:
    """Return what a bounce reports; an empty report when it is some other kind of report."""
    if message.content_type == "multipart/report" and message.report_type not in ("", "delivery-status"):
        return BounceReport((), (), False, "")  # read receipts, abuse feedback: not delivery failures
    human = _human_part(message.text)
    dsn = [
        fields
        for part in message.attachments
        if part.content_type in _STATUS_TYPES
        for fields in _dsn(part.content)
    ]
    failed: list[FailedRecipient] = []
    delayed = False
    for fields in dsn:
        recipient = _dsn_recipient(fields)
        if recipient is None:
            continue
        action = fields.get("action", "").lower().split()[0] if fields.get("action") else ""
        status = _first_code(fields.get("status", ""))
        if action == "failed" or (not action and status.startswith("5")):
            failed.append(recipient)
        elif action == "delayed" or (not action and status.startswith("4")):
            delayed = True
    if not dsn:
        failed = _plain_text_recipients(human)
        delayed = bool(_DELAY.search(f"{message.subject}\n{human}")) and not _PERMANENT.search(human)
        if delayed:
            failed = []
    return BounceReport(
        original_ids=_original_ids(message),
        failed=tuple(dict.fromkeys(failed))[:MAX_RECIPIENTS],
        delayed_only=delayed and not failed,
        human_text=human,
    )


# --- The original message's id -------------------------------------------------------------------


def _original_ids(message: ParsedMessage) -> tuple[str, ...]:
    found: list[str] = []
    for part in message.attachments:
        if part.content_type in _ORIGINAL_TYPES:
            found.extend(_header_ids(part.content))
    # Plain-text bounces quote the original headers in the body (or in a text attachment).
    texts = [message.text]
    texts += [
        charsets.decode_quietly(part.content[:200_000], "utf-8")
        for part in message.attachments
        if part.content_type.startswith("text/") and part.content_type not in _ORIGINAL_TYPES
    ]
    for text in texts:
        found.extend(headers.message_id_key(match) for match in _MESSAGE_ID_LINE.findall(text))
    return tuple(dict.fromkeys(found_id for found_id in found if found_id))


def _header_ids(content: bytes) -> list[str]:
    try:
        original = BytesParser(policy=policy.compat32).parsebytes(content[:1_000_000], headersonly=True)
        return list(headers.message_ids(original, "message-id"))
    except Exception:  # an unreadable copy: the text search may still find the id
        return []


# --- RFC 3464 delivery-status fields ---------------------------------------------------------------


def _dsn(content: bytes) -> list[dict[str, str]]:
    """Return the per-recipient field groups of a delivery-status part (field names lower-case)."""
    text = charsets.decode_quietly(content[:500_000], "utf-8").replace("\r\n", "\n")
    groups: list[dict[str, str]] = []
    current: dict[str, str] = {}
    last = ""
    for line in text.split("\n"):
        if not line.strip():
            if current:
                groups.append(current)
            current, last = {}, ""
            continue
        if line[0] in " \t" and last:
            current[last] += " " + line.strip()
            continue
        name, colon, value = line.partition(":")
        if not colon:
            continue
        name = name.strip().lower()
        if name in ("final-recipient", "original-recipient") and name in current:
            groups.append(current)  # a missing blank line between two recipients' fields
            current = {}
        current.setdefault(name, value.strip())
        last = name
    if current:
        groups.append(current)
    return groups


def _dsn_address(value: str) -> str:
    # "rfc822; ana@example.com" (the type may be missing, the address bracketed).
    match = _ADDRESS.search(value.rpartition(";")[2] or value)
    return match.group(0).lower() if match else ""


def _dsn_recipient(fields: dict[str, str]) -> FailedRecipient | None:
    final = _dsn_address(fields.get("final-recipient", ""))
    original = _dsn_address(fields.get("original-recipient", ""))
    if not final and not original:
        return None
    diagnostic = fields.get("diagnostic-code", "")
    kind, semicolon, rest = diagnostic.partition(";")
    if semicolon and kind.strip().lower() in ("smtp", "x-unix", "x-postfix", "x-local", "x-exim"):
        diagnostic = rest
    return FailedRecipient(
        address=final or original,
        status=_first_code(fields.get("status", "")) or _first_code(diagnostic),
        diagnostic=_one_line(diagnostic),
        original_address=original if original != final else "",
    )


# --- Plain-text reports --------------------------------------------------------------------------


def _human_part(text: str) -> str:
    match = _COPY_STARTS.search(text)
    return text[: match.start()] if match else text


def _plain_text_recipients(human: str) -> list[FailedRecipient]:
    found: list[FailedRecipient] = []
    lines = human.split("\n")
    for match in _ANGLE_RECIPIENT.finditer(human):
        reason = [match.group(2)]
        # The reason goes on until a blank line (qmail writes it on the lines below).
        line_number = human.count("\n", 0, match.start()) + 1
        for line in lines[line_number:]:
            if not line.strip() or _ANGLE_RECIPIENT.match(line):
                break
            reason.append(line)
        found.append(_recipient(match.group(1), " ".join(reason)))
    exim = _EXIM_FAILED.search(human)
    if exim:
        address, reason = "", []
        for line in human[exim.end() :].split("\n"):
            stripped = line.strip()
            if (
                line.startswith("  ")
                and not line.startswith("   ")
                and _ADDRESS.fullmatch(stripped.strip("<>"))
            ):
                if address:
                    found.append(_recipient(address, " ".join(reason)))
                address, reason = stripped.strip("<>"), []
            elif address and stripped:
                reason.append(stripped)
            elif address and not stripped and reason:
                break
        if address:
            found.append(_recipient(address, " ".join(reason)))
    return [recipient for recipient in found if recipient.address]


def _recipient(address: str, reason: str) -> FailedRecipient:
    match = _ADDRESS.fullmatch(address.strip().strip("<>").lower())
    qmail_code = re.search(r"\(#([245]\.\d{1,3}\.\d{1,3})\)", reason)
    return FailedRecipient(
        address=match.group(0) if match else "",
        status=qmail_code.group(1) if qmail_code else _first_code(reason),
        diagnostic=_one_line(reason),
    )


def _first_code(text: str) -> str:
    match = STATUS_CODE.search(text)
    return match.group(1) if match else ""


def _one_line(text: str) -> str:
    return headers.clean(text)[:MAX_DIAGNOSTIC]
