"""HTML mail bodies as plain text. Pure.

The HTML is first cleaned by the project's sanitizer (tickets.rendering.sanitize_html: html5ever
parses whatever was sent, scripts and styles go with their content), then walked here: blocks
become lines, list items get "- ", links keep their target, and blockquotes become "> " lines so
quoted history in HTML replies is trimmed like plain-text quoting.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from tickets.rendering import sanitize_html

_BLOCK = frozenset(
    {
        "address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt", "figure",
        "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav",
        "ol", "p", "pre", "section", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
_PARAGRAPH = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "pre", "hr"})
_SPACES = re.compile(r"[ \t\r\n\f\u00a0]+")


class _TextWriter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.quote_depth = 0
        self.pre_depth = 0
        self.link_href: list[str | None] = []
        self.link_text: list[str] = []

    # -- line handling -------------------------------------------------------------------------
    def _end_line(self) -> None:
        line = "".join(self.current).strip()
        self.current = []
        prefix = "> " * self.quote_depth
        if line:
            self.lines.append(prefix + line)

    def _blank_line(self) -> None:
        self._end_line()
        if self.lines and self.lines[-1].strip("> ") != "":
            self.lines.append(">" * self.quote_depth if self.quote_depth else "")

    def _write(self, text: str) -> None:
        if self.link_href:
            self.link_text.append(text)
        self.current.append(text)

    # -- parser callbacks ----------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._end_line()
        elif tag in _PARAGRAPH:
            self._blank_line()
        elif tag in _BLOCK:
            self._end_line()
        if tag == "blockquote":
            self.quote_depth += 1
        elif tag == "pre":
            self.pre_depth += 1
        elif tag == "li":
            self.current.append("- ")
        elif tag in ("td", "th") and self.current:
            self.current.append(" ")
        elif tag == "a":
            self.link_href.append(dict(attrs).get("href"))
            self.link_text = []
        elif tag == "img":
            alt = (dict(attrs).get("alt") or "").strip()
            if alt:
                self._write(f"[{alt}]")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.link_href:
            href = self.link_href.pop() or ""
            label = "".join(self.link_text).strip()
            target = href.removeprefix("mailto:")
            if href and target != label and href.startswith(("http://", "https://", "mailto:")):
                self.current.append(f" <{target}>" if label else target)
            return
        if tag == "blockquote":
            self._end_line()
            self.quote_depth = max(0, self.quote_depth - 1)
        elif tag == "pre":
            self.pre_depth = max(0, self.pre_depth - 1)
        if tag in _PARAGRAPH:
            self._blank_line()
        elif tag in _BLOCK:
            self._end_line()

    def handle_data(self, data: str) -> None:
        if self.pre_depth:
            parts = data.split("\n")
            for index, part in enumerate(parts):
                if index:
                    self._end_line()
                self._write(part)
            return
        collapsed = _SPACES.sub(" ", data)
        if not self.current or "".join(self.current).endswith((" ", "- ")):
            collapsed = collapsed.lstrip()
        if collapsed:
            self._write(collapsed)

    def result(self) -> str:
        self._end_line()
        text = "\n".join(self.lines)
        return re.sub(r"\n{3,}", "\n\n", text).strip()


# HTML parsers spend time in proportion to how deeply each tag is nested (html5ever's scope checks):
# 20,000 nested <div>s, 220 KB, take seconds, 200,000 take minutes. Markup whose tags add up to
# more nesting than this is read by stripping its tags instead (a legitimate mail: well under 1%).
MAX_NESTING_WORK = 5_000_000
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]{0,20})\b[^>]*?(/?)>")
# Elements never nested (void) or closed implicitly by the next one: they add no depth.
_FLAT = frozenset(
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
        "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option",
    }
)  # fmt: skip
_BLOCK_TAG = re.compile(r"(?i)<\s*/?\s*(?:p|div|br|li|tr|h[1-6]|blockquote|table|ul|ol|pre|hr)\b[^>]*>")
_ANY_TAG = re.compile(r"<[^>]*>")
_INVISIBLE = re.compile(r"(?is)<(script|style|head|title)\b.*?</\1\s*>")


def markup_too_costly(markup: str) -> bool:
    """Return whether parsing `markup` as HTML would take too long (pathological nesting)."""
    depth = work = 0
    for match in _TAG.finditer(markup):
        closing, name, self_closing = match.groups()
        if self_closing or name.lower() in _FLAT:
            continue
        if closing:
            depth = max(0, depth - 1)
        else:
            depth += 1
            work += depth
            if work > MAX_NESTING_WORK:
                return True
    return False


def _stripped(markup: str) -> str:
    text = _ANY_TAG.sub("", _BLOCK_TAG.sub("\n", _INVISIBLE.sub("", markup)))
    lines = (_SPACES.sub(" ", line).strip() for line in html.unescape(text).split("\n"))
    return "\n".join(line for line in lines if line)


def html_to_text(markup: str) -> str:
    """Return the readable text of an HTML body (sanitized first; never raises on bad markup)."""
    if markup_too_costly(markup):
        return _stripped(markup)
    try:
        writer = _TextWriter()
        writer.feed(sanitize_html(markup))
        writer.close()
        return writer.result()
    except Exception:  # hostile markup must not lose the message: keep its bare text
        return _stripped(markup)
