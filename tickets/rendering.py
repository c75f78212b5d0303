"""Markdown to sanitized HTML. Pure: the same input always renders the same output."""

from __future__ import annotations

import html
import re
import threading
from enum import StrEnum

import markdown
import nh3

_local = threading.local()


def _converter() -> markdown.Markdown:
    # Building a Markdown object loads its extensions each time, which cost more than converting
    # a typical message; one per thread is reused (instances are not thread-safe) and reset per call.
    converter = getattr(_local, "converter", None)
    if converter is None:
        converter = _local.converter = markdown.Markdown(
            extensions=["fenced_code", "tables", "sane_lists"], output_format="html"
        )
    return converter


_ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "abbr": {"title"},
    "td": {"align"},
    "th": {"align"},
    "code": {"class"},
}


def render_markdown(text: str) -> str:
    """Return `text` rendered from Markdown and stripped of anything but safe formatting.

    Raw HTML in the source is sanitized, not trusted: scripts, event handlers, styles and
    javascript: URLs never survive. Links get rel="noopener noreferrer nofollow".
    """
    html = _converter().reset().convert(text)
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


# E-mail HTML keeps its layout blocks (div, span, font) long enough to be turned into text lines;
# everything else follows the Markdown allowlist. Contents of script, style and the document head
# are dropped, not shown as text.
_EMAIL_TAGS = _ALLOWED_TAGS | {"div", "span", "font", "center", "u", "dl", "dt", "dd", "caption"}
_EMAIL_DROPPED_CONTENT = {"script", "style", "title", "noscript", "template", "head", "object"}


def sanitize_html(markup: str) -> str:
    """Return HTML from an untrusted source (an e-mail) with only safe formatting left.

    The same rules as render_markdown's output, plus layout blocks; scripts, styles, event
    handlers, forms, frames and javascript: URLs never survive.
    """
    return nh3.clean(
        markup,
        tags=_EMAIL_TAGS,
        clean_content_tags=_EMAIL_DROPPED_CONTENT,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "cid"},
        link_rel="noopener noreferrer nofollow",
    )


_URL = re.compile(r"\bhttps?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")


def render_plain_text(text: str) -> str:
    """Return plain text (an e-mail body) as HTML: escaped, line breaks kept, links clickable.

    Nothing in `text` is interpreted as markup: "*", "#" and "<b>" show as typed.
    """
    paragraphs = [part for part in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()) if part.strip()]
    rendered = []
    for paragraph in paragraphs:
        pieces, position = [], 0
        for match in _URL.finditer(paragraph):
            pieces.append(html.escape(paragraph[position : match.start()]))
            url = html.escape(match.group(0))
            pieces.append(f'<a href="{url}">{url}</a>')
            position = match.end()
        pieces.append(html.escape(paragraph[position:]))
        rendered.append("<p>" + "".join(pieces).replace("\n", "<br>\n") + "</p>")
    return nh3.clean(
        "\n".join(rendered),
        tags={"p", "br", "a"},
        attributes={"a": {"href"}},
        url_schemes={"http", "https"},
        link_rel="noopener noreferrer nofollow",
    )


class BodyFormat(StrEnum):
    """How a message body or ticket description is written: Markdown (typed here) or plain text (e-mail)."""

    MARKDOWN = "markdown"
    TEXT = "text"


def render_body(text: str, body_format: str = BodyFormat.MARKDOWN) -> str:
    """Return sanitized HTML for a body written in `body_format`."""
    return render_plain_text(text) if body_format == BodyFormat.TEXT else render_markdown(text)
