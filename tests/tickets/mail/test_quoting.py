"""tickets.mail.quoting: what is cut from a reply, and what is always kept."""

from __future__ import annotations

import pytest

from tickets.mail import parse, quoting

from .conftest import corpus


@pytest.mark.parametrize(
    ("_case", "text", "expected"),
    [
        (
            "Gmail attribution and quote",
            "Thanks!\n\nOn Mon, Mar 3, 2025 at 10:00 AM Support <s@x.test> wrote:\n> old\n> older",
            "Thanks!",
        ),
        (
            "attribution wrapped over two lines",
            "Yes.\n\nOn Mon, 3 Mar 2025 at 10:00, Support <s@x.test>\nwrote:\n> old",
            "Yes.",
        ),
        ("Apple Mail", "Fine.\n\nOn 3 Mar 2025, at 10:00, Ana <a@x.test> wrote:\n\n> old", "Fine."),
        ("German", "Danke.\n\nAm 03.03.2025 um 10:00 schrieb Support <s@x.test>:\n> alt", "Danke."),
        ("French", "Merci.\n\nLe lun. 3 mars 2025 à 10:00, Support <s@x.test> a écrit :\n> ancien", "Merci."),
        (
            "Outlook original message",
            "Done.\n\n-----Original Message-----\nFrom: S\nSent: Monday\nTo: A\nSubject: x\n\nold",
            "Done.",
        ),
        (
            "Outlook header block after a rule",
            "Done.\n\n________________________________\nFrom: Support <s@x.test>\nSent: Monday, March 3\n"
            "To: Ana\nSubject: RE: x\n\nold",
            "Done.",
        ),
        ("trailing quote block", "Agreed.\n\n> You said this\n> and that\n", "Agreed."),
        ("signature delimiter", "See log.\n\n-- \nAna\n+1 555", "See log."),
        ("mobile sign-off", "OK, thanks\n\nSent from my iPhone", "OK, thanks"),
        ("Outlook mobile", "OK\n\nGet Outlook for iOS", "OK"),
    ],
)
def test_quoted_history_and_signatures_are_trimmed(_case: str, text: str, expected: str) -> None:
    result = quoting.trim_reply(text)

    assert (result.text, result.was_trimmed) == (expected, True)


@pytest.mark.parametrize(
    ("_case", "text"),
    [
        ("inline answers between quotes", "> Does it crash?\nYes, every time.\n> Which version?\n4.2"),
        ("a forward is content", "FYI\n\n---------- Forwarded message ---------\nFrom: x\n\nbody"),
        ("'On … wrote:' without a date or address", "On reflection, I wrote:\nthe wrong number"),
        ("a From: line in prose", "From: the top, the screen goes blank.\nThen it reboots."),
        ("a sign-off is kept", "It works now.\n\nThanks,\nAna"),
    ],
)
def test_text_that_only_looks_like_quoting_is_kept(_case: str, text: str) -> None:
    assert quoting.trim_reply(text).text == text.strip()


def test_a_reply_that_is_only_a_quote_is_kept_whole() -> None:
    text = "On Mon, 3 Mar 2025, Ana <a@x.test> wrote:\n> everything"

    assert quoting.trim_reply(text) == quoting.Trimmed(text, was_trimmed=False)


def test_corpus_replies_trim_to_the_new_text() -> None:
    gmail = parse.parse(corpus("gmail_reply.eml", TICKET=1, IN_REPLY_TO="a@b"))
    outlook = parse.parse(corpus("outlook_reply.eml", TICKET=1, IN_REPLY_TO="a@b"))

    assert quoting.trim_reply(gmail.text).text.startswith("Thanks, restarting the client fixed it")
    assert quoting.trim_reply(gmail.text).text.endswith("day.")
    assert (
        quoting.trim_reply(outlook.text).text
        == "It happened again this morning at 9:12.\n\nAlice Example | ACME"
    )
