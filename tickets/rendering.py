"""Markdown to sanitized HTML. Pure: the same input always renders the same output."""

from __future__ import annotations

import threading

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
