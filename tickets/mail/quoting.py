"""Trim quoted history and signatures from a reply's text. Pure.

Conservative by design: only what mail clients add below a reply is cut — the attribution line
("On … wrote:" and its translations, possibly wrapped over two lines) and everything after it,
Outlook's "-----Original Message-----" and "From: / Sent:" header blocks, a trailing block of
"> " lines, the "-- " signature delimiter and "Sent from my iPhone"-style lines. Quotes answered
inline (new text after a quoted block) are kept, and so are forwarded messages. When trimming
would leave nothing, the text is returned whole. The stored message keeps the full original.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# "On Mon, 3 Mar 2025 at 10:00, Ana <ana@example.com> wrote:" and its translations.
_ATTRIBUTION = re.compile(
    r"^\s*(on|am|le|el|il|op|em|den|på|w dniu|в|el día)\b.{0,300}"
    r"(wrote|schrieb|a écrit|escribió|ha scritto|schreef|escreveu|skrev|napisał|пишет|написал|написала)"
    r"(\s.{0,200})?\s*:\s*$",  # German and Dutch name the writer after the verb
    re.IGNORECASE,
)
_ATTRIBUTION_END = re.compile(
    r"(wrote|schrieb|a écrit|escribió|ha scritto|schreef|escreveu|skrev|napisał|пишет|написал|написала)"
    r"(\s.{0,200})?\s*:\s*$",
    re.IGNORECASE,
)
_ATTRIBUTION_START = re.compile(r"^\s*(on|am|le|el|il|op|em|den|på|w dniu|в)\s+\S", re.IGNORECASE)
# An attribution names a date or an address; "On reflection, I wrote:" is not one.
_DATE_OR_ADDRESS = re.compile(r"\d|@")
_ORIGINAL_MESSAGE = re.compile(
    r"^\s*[-_=]{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original|"
    r"messaggio originale|oorspronkelijk bericht|original meddelelse|originalmeddelande)\s*[-_=]{2,}\s*$",
    re.IGNORECASE,
)
_OUTLOOK_FROM = re.compile(r"^\s*\*?(from|von|de|van|da|från|fra)\s*:\*?\s+\S", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(
    r"^\s*\*?(sent|date|to|subject|cc|gesendet|datum|an|betreff|envoyé|objet|enviado|para|asunto|"
    r"verzonden|aan|onderwerp|inviato|oggetto|skickat|ämne|till|sendt|emne)\s*:\*?",
    re.IGNORECASE,
)
_OUTLOOK_RULE = re.compile(r"^\s*_{20,}\s*$")
_SIGNATURE = re.compile(r"^-- ?$")
_MOBILE_SIGN_OFF = re.compile(
    r"^\s*(sent from my \w+|sent from (mail|outlook) for|get outlook for|sent from yahoo mail|"
    r"sent from my (iphone|ipad|android|samsung|galaxy|blackberry|mobile)|"
    r"von meinem \w+ gesendet|envoyé de mon \w+|enviado desde mi \w+)",
    re.IGNORECASE,
)
_FORWARD = re.compile(
    r"^\s*(-{2,}\s*forwarded message\s*-{2,}|begin forwarded message:|-{2,}\s*weitergeleitete nachricht)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Trimmed:
    text: str
    was_trimmed: bool


def trim_reply(text: str) -> Trimmed:
    """Return the new part of a reply: quoted history and signature cut, or the whole text."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = _history_start(lines)
    kept = lines[:cut]
    kept = _drop_trailing_quote_block(kept)
    kept = _drop_signature(kept)
    result = "\n".join(kept).strip()
    if not result:
        return Trimmed(text.strip(), was_trimmed=False)
    return Trimmed(result, was_trimmed=result != text.strip())


def _history_start(lines: list[str]) -> int:
    """Return the index of the first line of quoted history, or len(lines)."""
    for index, line in enumerate(lines):
        if _FORWARD.match(line):
            return len(lines)  # a forward is content, and what follows it is its history
        if _ORIGINAL_MESSAGE.match(line) or (_ATTRIBUTION.match(line) and _DATE_OR_ADDRESS.search(line)):
            return index
        if (
            _ATTRIBUTION_START.match(line)
            and index + 1 < len(lines)
            and _ATTRIBUTION_END.search(lines[index + 1])
            and _DATE_OR_ADDRESS.search(line + lines[index + 1])
            and len(line) + len(lines[index + 1]) < 400
        ):
            return index  # an attribution the client wrapped over two lines
        if _OUTLOOK_FROM.match(line) and _outlook_block_follows(lines, index):
            return index - 1 if index and _OUTLOOK_RULE.match(lines[index - 1]) else index
    return len(lines)


def _outlook_block_follows(lines: list[str], index: int) -> bool:
    # "From: …" starts a header block only when "Sent:/Date:" and "To:/Subject:" follow it.
    following = [line for line in lines[index + 1 : index + 6] if line.strip()]
    return sum(1 for line in following[:4] if _OUTLOOK_NEXT.match(line)) >= 2


def _drop_trailing_quote_block(lines: list[str]) -> list[str]:
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = end
    while start and (lines[start - 1].lstrip().startswith(">") or not lines[start - 1].strip()):
        start -= 1
    if start < end and any(line.lstrip().startswith(">") for line in lines[start:end]):
        return lines[:start]
    return lines[:end]


def _drop_signature(lines: list[str]) -> list[str]:
    for index, line in enumerate(lines):
        if _SIGNATURE.match(line) and index > 0:
            lines = lines[:index]
            break
    while lines and (not lines[-1].strip() or _MOBILE_SIGN_OFF.match(lines[-1])):
        lines = lines[:-1]
    return lines
