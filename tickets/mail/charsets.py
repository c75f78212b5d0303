"""Decode bytes in a declared charset without ever raising. Pure.

Mail declares charsets that Python does not know (`ks_c_5601-1987`, `x-unknown`), that lie
(`us-ascii` over UTF-8 bytes) or that name a codec which is not a text encoding (`zlib`). Each
known charset is tried strictly, then through its usual supersets; text that no candidate
decodes strictly is decoded with replacement characters and carries a visible marker, so an
agent sees that something was lost (the raw message is always kept).
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

UNDECODABLE_MARKER = "[undecodable charset {charset}]"
# "UTF-8" that is not: Windows-1252 text labelled UTF-8, or UTF-8 with a stray Windows-1252 byte
# (a "€" pasted from another program). Valid UTF-8 sequences are read as UTF-8 and each invalid
# byte as Windows-1252; a byte Windows-1252 leaves undefined still fails.
UTF8_CP1252 = "utf-8+cp1252"
_CP1252_ERRORS = "helpdesk-mail-cp1252"


def _cp1252_bytes(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode("cp1252"), error.end


codecs.register_error(_CP1252_ERRORS, _cp1252_bytes)

# Names mail clients use for a charset Python spells differently, or supersets that decode what
# the declared charset's real-world senders actually put in (Windows and vendor extensions).
_CANDIDATES: dict[str, tuple[str, ...]] = {
    "us-ascii": ("ascii", "utf-8", "cp1252"),
    "ascii": ("ascii", "utf-8", "cp1252"),
    "ansi_x3.4-1968": ("ascii", "utf-8", "cp1252"),
    "iso-8859-1": ("cp1252", "latin-1"),
    "latin1": ("cp1252", "latin-1"),
    "utf-8": ("utf-8", UTF8_CP1252),
    "utf8": ("utf-8", UTF8_CP1252),
    "iso-2022-jp": ("iso2022_jp", "iso2022_jp_ext", "iso2022_jp_2", "cp932"),
    "iso-2022-jp-2": ("iso2022_jp_2",),
    "shift_jis": ("cp932", "shift_jis"),
    "shift-jis": ("cp932", "shift_jis"),
    "x-sjis": ("cp932", "shift_jis"),
    "sjis": ("cp932",),
    "euc-jp": ("euc_jp", "euc_jis_2004"),
    "gb2312": ("gb18030",),
    "gbk": ("gb18030",),
    "x-gbk": ("gb18030",),
    "cp936": ("gb18030",),
    "big5": ("big5hkscs", "cp950"),
    "ks_c_5601-1987": ("cp949",),
    "euc-kr": ("cp949",),
    "iso-8859-8-i": ("iso-8859-8",),
    "iso-8859-6-i": ("iso-8859-6",),
    "unicode-1-1-utf-7": ("utf-7",),
    "windows-874": ("cp874",),
    "tis-620": ("cp874",),
    "x-mac-roman": ("mac_roman",),
    "macintosh": ("mac_roman",),
}
# Names that mean "no idea": read as UTF-8 when that works, otherwise mark the text.
_UNKNOWN = frozenset({"", "unknown", "unknown-8bit", "x-unknown", "8bit", "default", "charset", "none"})


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    charset: str  # the codec that produced `text`
    lossy: bool  # some bytes were replaced, and `text` starts with the marker


def _is_text_codec(name: str) -> bool:
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError, TypeError):
        return False
    # zlib, base64, rot13 and friends are codecs too; they must never "decode" a mail body.
    return bool(getattr(info, "_is_text_encoding", True))


def candidates(declared: str | None) -> tuple[str, ...]:
    """Return the codecs to try, in order, for a declared charset (never empty)."""
    name = (declared or "").strip().strip("\"'").lower()
    if name in _CANDIDATES:
        return _CANDIDATES[name]
    if name in _UNKNOWN:
        return ("utf-8",)
    # Any other name (windows-*, cp*, or unknown): the codec if Python has it, then UTF-8, which is
    # what most senders of an unknown name really wrote (ASCII always decodes).
    return (name, "utf-8") if _is_text_codec(name) else ("utf-8",)


def decode(data: bytes, declared: str | None) -> Decoded:
    """Return `data` as text, decoded strictly where any candidate codec can, else marked."""
    name = (declared or "").strip().strip("\"'").lower()
    tried = candidates(declared)
    for codec in tried:
        try:
            return Decoded(_decode_strictly(data, codec), codec, lossy=False)
        except (UnicodeError, LookupError):
            continue
    if not data:
        return Decoded("", "utf-8", lossy=False)
    # Nothing decoded strictly: a known charset keeps its own reading with replacement characters;
    # an unknown one is read as UTF-8. Either way the marker says the text is not what was sent.
    codec = tried[0] if tried[0] != UTF8_CP1252 else "utf-8"
    try:
        text = data.decode(codec, errors="replace")
    except (UnicodeError, LookupError):
        codec, text = "utf-8", data.decode("utf-8", errors="replace")
    marker = UNDECODABLE_MARKER.format(charset=name or "unknown")
    return Decoded(f"{marker}\n{text}", codec, lossy=True)


def decode_quietly(data: bytes, declared: str | None) -> str:
    """Return `data` decoded like `decode`, without the marker (for short header fragments)."""
    name = (declared or "").strip().strip("\"'").lower()
    for codec in candidates(name):
        try:
            return _decode_strictly(data, codec)
        except (UnicodeError, LookupError):
            continue
    return data.decode("utf-8", errors="replace")


def _decode_strictly(data: bytes, codec: str) -> str:
    if codec == UTF8_CP1252:
        return data.decode("utf-8", errors=_CP1252_ERRORS)
    return data.decode(codec)
