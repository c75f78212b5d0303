"""Markdown rendering and sanitizing. Pure: no database."""

from __future__ import annotations

import pytest

from tickets.rendering import render_markdown


@pytest.mark.parametrize(
    ("_case", "source", "expected"),
    [
        ("empty", "", ""),
        ("emphasis", "**bold** and _it_", "<p><strong>bold</strong> and <em>it</em></p>"),
        ("heading", "# Title", "<h1>Title</h1>"),
        ("list", "- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"),
        (
            "link gets safe rel",
            "[x](https://example.com)",
            '<p><a href="https://example.com" rel="noopener noreferrer nofollow">x</a></p>',
        ),
        (
            "fenced code keeps language class",
            "```python\nprint(1)\n```",
            '<pre><code class="language-python">print(1)\n</code></pre>',
        ),
        (
            "table",
            "| a | b |\n|---|---|\n| 1 | 2 |",
            "<table>\n<thead>\n<tr>\n<th>a</th>\n<th>b</th>\n</tr>\n</thead>\n"
            "<tbody>\n<tr>\n<td>1</td>\n<td>2</td>\n</tr>\n</tbody>\n</table>",
        ),
    ],
)
def test_render_markdown_output(_case: str, source: str, expected: str) -> None:
    assert render_markdown(source) == expected


@pytest.mark.parametrize(
    ("_case", "source", "expected"),
    [
        ("script element dropped with its content", "<script>alert(1)</script>hi", "\n<p>hi</p>"),
        ("event handler attribute dropped", "<img src=x onerror=alert(1)>", '<p><img src="x"></p>'),
        (
            "javascript: link loses its href",
            "[a](javascript:alert(1))",
            '<p><a rel="noopener noreferrer nofollow">a</a></p>',
        ),
        ("style and onclick dropped", '<p style="color:red" onclick="x()">t</p>', "<p>t</p>"),
        ("iframe dropped", '<iframe src="https://evil.test"></iframe>ok', "\n<p>ok</p>"),
    ],
)
def test_render_markdown_strips_dangerous_html(_case: str, source: str, expected: str) -> None:
    # when
    html = render_markdown(source)

    # then
    assert html == expected
    for needle in ("<script", "onerror", "onclick", "javascript:", "style=", "<iframe"):
        assert needle not in html


def test_render_markdown_is_deterministic() -> None:
    source = "Hello **world** [x](http://a.test) <b onclick=1>b</b>"
    assert render_markdown(source) == render_markdown(source)
