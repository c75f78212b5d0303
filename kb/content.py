"""Article text helpers: heading anchors, table of contents, plain text, the article template. Pure."""

from __future__ import annotations

import difflib
import html
import re
import unicodedata
from dataclasses import dataclass

import nh3
from django.utils.text import slugify

_HEADING = re.compile(r"<h([23])>(.*?)</h\1>", re.DOTALL)
_ANCHORED_HEADING = re.compile(r'<h([23]) id="([^"]+)">(.*?)</h\1>', re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")

ARTICLE_TEMPLATE = """\
{summary}

## Quick Answer
The most common solution, in one or two sentences.

## Before You Start
- Prerequisite 1
- Prerequisite 2

## Step-by-Step Instructions
### Step 1: Action
What to do.

### Step 2: Action
What to do.

> **Note:** An important callout, if needed.

### Step 3: Action
What to do.

## Troubleshooting
**Problem:** A common issue
**Solution:** How to fix it

## Related Articles
- Link to a related article

## Still Need Help?
[Contact support](/portal/)
"""


@dataclass(frozen=True, slots=True)
class TocEntry:
    level: int
    anchor: str
    text: str


def add_heading_anchors(body_html: str) -> str:
    """Give every h2/h3 a unique id so the table of contents can link to it."""
    seen: dict[str, int] = {}

    def anchor(match: re.Match[str]) -> str:
        level, inner = match.group(1), match.group(2)
        base = slugify(html.unescape(_TAGS.sub("", inner))) or "section"
        count = seen.get(base, 0)
        seen[base] = count + 1
        slug = base if count == 0 else f"{base}-{count + 1}"
        return f'<h{level} id="{slug}">{inner}</h{level}>'

    return _HEADING.sub(anchor, body_html)


def table_of_contents(body_html: str) -> list[TocEntry]:
    """Return the h2/h3 headings of an anchored body, in order."""
    return [
        TocEntry(level=int(level), anchor=anchor, text=html.unescape(_TAGS.sub("", inner)).strip())
        for level, anchor, inner in _ANCHORED_HEADING.findall(body_html)
    ]


def plain_text(body_html: str) -> str:
    """Return the visible text of sanitized HTML, whitespace collapsed (what search indexes)."""
    text = html.unescape(nh3.clean(body_html.replace("</", " </"), tags=set()))
    return " ".join(text.split())


def normalize_query(raw: str) -> str:
    """Lower-case, strip accents and punctuation, collapse spaces; at most 200 characters."""
    decomposed = unicodedata.normalize("NFKD", raw or "")
    ascii_text = "".join(char for char in decomposed if not unicodedata.combining(char)).lower()
    cleaned = re.sub(r"[^\w\s'-]+", " ", ascii_text).replace("'", "")
    return " ".join(cleaned.split())[:200].strip()


def query_tokens(normalized: str) -> list[str]:
    """Split a normalized query into search words (letters and digits only)."""
    return [token for token in re.split(r"[^a-z0-9]+", normalized) if token]


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same", "added", "removed" or "gap" (unchanged lines left out)
    old_number: int | None
    new_number: int | None
    text: str


@dataclass(frozen=True)
class FieldDiff:
    label: str
    lines: list[DiffLine]
    added: int
    removed: int


def diff_lines(old: str, new: str, *, context: int = 3) -> list[DiffLine]:
    """Return a line diff of two texts with `context` unchanged lines around each change. Pure."""
    before, after = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    lines: list[DiffLine] = []
    for index, group in enumerate(matcher.get_grouped_opcodes(context)):
        if index:
            lines.append(DiffLine("gap", None, None, ""))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [
                    DiffLine("same", i + 1, j + 1, before[i])
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                ]
                continue
            lines += [DiffLine("removed", i + 1, None, before[i]) for i in range(i1, i2)]
            lines += [DiffLine("added", None, j + 1, after[j]) for j in range(j1, j2)]
    return lines
