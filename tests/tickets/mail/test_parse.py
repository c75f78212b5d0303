"""tickets.mail.parse and classify over the corpus: every message reads, nothing raises."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickets.mail import charsets, parse
from tickets.mail.classify import MachineKind, machine_kind
from tickets.mail.parse import ParsedMessage

from .conftest import CORPUS, corpus


def _kind(message: ParsedMessage) -> MachineKind | None:
    return machine_kind(
        message,
        own_domain="helpdesk.test",
        own_addresses={"support@helpdesk.test"},
        loop_marker="support@helpdesk.test",
    )


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.eml")), ids=lambda path: path.name)
def test_every_corpus_message_parses_without_raising(path: object) -> None:
    # when
    message = parse.parse(corpus(path.name))  # type: ignore[attr-defined]

    # then: an id to store it under, always, and a single-line subject
    assert message.message_id
    assert "\n" not in message.subject
    assert "\r" not in message.subject


def test_plain_message_gives_sender_subject_ids_date_and_text() -> None:
    message = parse.parse(corpus("plain_new.eml"))

    assert (message.message_id, message.has_message_id) == ("plain-new-1@newco.test", True)
    assert (message.sender.address, message.sender.name) == ("carol@newco.test", "Carol Customer")  # type: ignore[union-attr]
    assert message.subject == "Printer on floor 3 is jammed"
    assert [a.address for a in message.to] == ["support@helpdesk.test"]
    assert message.date == datetime(2025, 3, 3, 8, 15, tzinfo=UTC)
    assert message.text.startswith("Hello,\n\nThe printer on floor 3")
    assert "Café" in message.text
    assert _kind(message) is None


def test_iso_2022_jp_body_and_a_subject_split_inside_a_character_decode() -> None:
    message = parse.parse(corpus("iso2022jp.eml"))

    assert message.subject == "ログインできません"
    assert message.sender.name == "山田"  # type: ignore[union-attr]
    assert message.text == "お世話になっております。\nログインできません。"
    assert message.defects == ()


def test_unknown_charset_keeps_the_text_with_a_visible_marker() -> None:
    message = parse.parse(corpus("unknown_charset.eml"))

    assert message.text.startswith("[undecodable charset x-klingon]\nToday is a good day")
    assert "to file a ticket." in message.text
    assert "undecodable charset x-klingon" in message.defects


def test_raw_8bit_headers_and_a_latin1_body_decode() -> None:
    message = parse.parse(corpus("raw_8bit_headers.eml"))

    assert message.subject == "Größe der Datei"
    assert message.sender.name == "Jürgen Müller"  # type: ignore[union-attr]
    assert message.text == "Die Datei ist zu groß."


def test_multipart_alternative_prefers_the_plain_text_and_keeps_sanitized_html() -> None:
    message = parse.parse(corpus("alternative.eml"))

    assert message.text == 'The export button gives an error: "naïve" characters break it.\n== end =='
    assert message.html == "<p>The export button gives an <b>error</b>.</p>"
    assert message.attachments == ()


def test_html_only_mail_is_sanitized_and_read_as_text() -> None:
    message = parse.parse(corpus("html_only_script.eml"))

    assert message.text == (
        "First paragraph with a bad link and the docs <https://example.com/docs>.\n\n- one\n- two\n\n[screenshot]"
    )
    for hostile in (
        "<script",
        "onclick",
        "onload",
        "onerror",
        "javascript:",
        "<iframe",
        "alert(",
        "color: red",
    ):
        assert hostile not in message.html
    assert "Title here" not in message.text


def test_attachment_names_lose_paths_and_stay_short() -> None:
    message = parse.parse(corpus("huge_attachment_name.eml"))

    names = [attachment.filename for attachment in message.attachments]
    assert len(names[0]) <= 200
    assert names[0].endswith(".pdf")
    assert "/" not in names[1]
    assert names[1].endswith(".exe")
    assert names[2] == "résumé.docx"  # RFC 2231 encoded
    assert message.attachments[0].content == b"%PDF-1.4 fake"


def test_inline_image_is_an_attachment_marked_inline() -> None:
    message = parse.parse(corpus("inline_image.eml"))

    [image] = message.attachments
    assert (image.content_type, image.is_inline, image.content_id) == ("image/png", True, "shot@acme.test")
    assert message.text == "See the error:\n\n[error screenshot]"


def test_an_attached_message_stays_whole_and_is_not_read_as_the_body() -> None:
    message = parse.parse(corpus("nested_rfc822.eml"))

    assert message.text == "The phishing mail I got is attached."
    [attached] = message.attachments
    assert (attached.filename, attached.content_type) == ("You won a prize.eml", "message/rfc822")
    assert b"Subject: You won a prize" in attached.content


def test_missing_from_date_and_message_id_give_a_stable_content_id() -> None:
    raw = corpus("missing_headers.eml")
    message = parse.parse(raw)

    assert (message.sender, message.date, message.has_message_id) == (None, None, False)
    assert message.message_id.endswith("@no-message-id.invalid")
    redelivered = b"Received: from mx2 by mx1; Mon, 3 Mar 2025\r\n" + raw
    assert parse.parse(redelivered).message_id == message.message_id
    assert parse.envelope(raw).message_id == message.message_id


def test_header_injection_attempts_end_as_one_line_values() -> None:
    message = parse.parse(corpus("header_injection.eml"))

    assert message.subject == "Hello Bcc: victim@evil.test body"
    assert message.sender.address == "mallory@evil.test"  # type: ignore[union-attr]
    assert [a.address for a in message.to] == ["support@helpdesk.test"]


def test_broken_mime_still_yields_the_text_it_can() -> None:
    message = parse.parse(corpus("broken_mime.eml"))

    assert message.date is None
    assert "Second part, and the multipart never ends" in message.text
    assert "CloseBoundaryNotFoundDefect" in message.defects


def test_bytes_that_are_not_mail_at_all_still_parse() -> None:
    message = parse.parse(b"\x00\xff\xfe garbage \r\n\r\n\x00")

    assert message.message_id.endswith("@no-message-id.invalid")
    assert message.sender is None


def test_reply_ids_come_most_specific_first() -> None:
    raw = b"From: a@b.test\r\nIn-Reply-To: <two@x>\r\nReferences: <root@x> <one@x>\r\n <two@x>\r\n\r\nhi\r\n"

    assert parse.parse(raw).thread_ids == ("two@x", "one@x", "root@x")


@pytest.mark.parametrize(
    ("_case", "name", "expected"),
    [
        ("Auto-Submitted: auto-replied", "auto_reply.eml", MachineKind.AUTO_REPLY),
        ("Precedence: bulk", "precedence_bulk.eml", MachineKind.AUTO_REPLY),
        ("multipart/report from MAILER-DAEMON", "bounce_dsn.eml", MachineKind.BOUNCE),
        ("a person's reply", "gmail_reply.eml", None),
        ("a forward", "forwarded.eml", None),
    ],
)
def test_machine_made_mail_is_recognised(_case: str, name: str, expected: MachineKind | None) -> None:
    assert _kind(parse.parse(corpus(name, TICKET=1, IN_REPLY_TO="x@y"))) == expected


@pytest.mark.parametrize(
    ("_case", "headers", "expected"),
    [
        ("our own Message-ID came back", "Message-ID: <ticket-1.message-2@helpdesk.test>", MachineKind.LOOP),
        ("our X-Loop", "X-Loop: support@helpdesk.test", MachineKind.LOOP),
        ("null return path", "Return-Path: <>", MachineKind.AUTO_REPLY),
        ("X-Autoreply", "X-Autoreply: yes", MachineKind.AUTO_REPLY),
        ("Auto-Submitted: no is a person", "Auto-Submitted: no", None),
        ("postmaster", "Sender: x@y.test\r\nFrom: postmaster@mx.test", MachineKind.BOUNCE),
        (
            "our relay's bounce, with an id on our domain",
            "From: MAILER-DAEMON@helpdesk.test\r\nMessage-ID: <dsn-1@helpdesk.test>",
            MachineKind.BOUNCE,
        ),
        ("Exchange's own automatic mail", "X-Auto-Response-Suppress: All", MachineKind.AUTO_REPLY),
        (
            "a sender asking for no out-of-office",
            "X-Auto-Response-Suppress: OOF, AutoReply",
            MachineKind.AUTO_REPLY,
        ),
        ("only read receipts suppressed", "X-Auto-Response-Suppress: RN, NRN", None),
    ],
)
def test_headers_that_mark_machine_mail(_case: str, headers: str, expected: MachineKind | None) -> None:
    from_line = "" if "From:" in headers else "From: ana@acme.test\r\n"
    raw = f"{from_line}{headers}\r\nSubject: Hello\r\n\r\nBody\r\n".encode()

    assert _kind(parse.parse(raw)) == expected


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Out of Office AutoReply: VPN", MachineKind.AUTO_REPLY),
        ("Automatische Antwort: VPN", MachineKind.AUTO_REPLY),
        ("Réponse automatique : VPN", MachineKind.AUTO_REPLY),
        ("Risposta automatica: VPN", MachineKind.AUTO_REPLY),
        ("Automatisch antwoord: VPN", MachineKind.AUTO_REPLY),
        ("Odpowiedź automatyczna: VPN", MachineKind.AUTO_REPLY),
        ("Автоматический ответ: VPN", MachineKind.AUTO_REPLY),
        ("自動応答：VPN", MachineKind.AUTO_REPLY),
        ("自动回复: VPN", MachineKind.AUTO_REPLY),
        ("Out of office hours support?", None),
        ("Re: automatic reply settings do not work", None),
    ],
)
def test_out_of_office_subjects_in_many_languages(subject: str, expected: MachineKind | None) -> None:
    raw = f"From: ana@acme.test\r\nSubject: {subject}\r\n\r\nBody\r\n".encode()

    assert _kind(parse.parse(raw)) == expected


def test_our_own_address_as_sender_is_a_loop() -> None:
    raw = b"From: Support <support@helpdesk.test>\r\nSubject: x\r\nMessage-ID: <a@b>\r\n\r\nBody\r\n"

    assert _kind(parse.parse(raw)) == MachineKind.LOOP


@pytest.mark.parametrize(
    ("_case", "data", "declared", "expected", "lossy"),
    [
        ("us-ascii that is really UTF-8", "naïve".encode(), "us-ascii", "naïve", False),
        ("Korean Outlook alias", "안녕".encode("cp949"), "ks_c_5601-1987", "안녕", False),
        ("gb2312 read as its superset", "汉字".encode("gb18030"), "gb2312", "汉字", False),
        ("a bytes codec is not a charset", b"plain", "zlib", "plain", False),
        ("no charset", b"plain", None, "plain", False),
        ("Windows-1252 labelled UTF-8", "“café” 5€".encode("cp1252"), "utf-8", "“café” 5€", False),
        (
            "UTF-8 with a stray Windows-1252 byte",
            "Köln ".encode() + "€".encode("cp1252"),
            "UTF-8",
            "Köln €",
            False,
        ),
        (
            "bytes neither reads",
            b"ok \x81\x8d",
            "utf-8",
            "[undecodable charset utf-8]\nok \ufffd\ufffd",
            True,
        ),
    ],
)
def test_charset_decoding(_case: str, data: bytes, declared: str | None, expected: str, lossy: bool) -> None:
    decoded = charsets.decode(data, declared)

    assert (decoded.text, decoded.lossy) == (expected, lossy)


_SAMPLES = [corpus(path.name, TICKET=7, IN_REPLY_TO="x@y") for path in sorted(CORPUS.glob("*.eml"))]


@settings(max_examples=300, deadline=None)
@given(
    sample=st.sampled_from(_SAMPLES),
    cut=st.integers(min_value=0, max_value=3000),
    noise=st.binary(max_size=64),
    at=st.integers(min_value=0, max_value=3000),
)
def test_damaged_messages_never_make_the_parser_raise(sample: bytes, cut: int, noise: bytes, at: int) -> None:
    # given a real message, cut short and with junk spliced in somewhere
    damaged = sample[:cut] + noise + sample[at:]

    # when
    message = parse.parse(damaged)

    # then a usable result: an id to store it under, one-line subject, text without NUL
    assert message.message_id
    assert "\n" not in message.subject
    assert "\x00" not in message.text
    assert parse.envelope(damaged).message_id


def test_nul_bytes_never_reach_the_text() -> None:
    raw = b"From: a@b.test\r\nSubject: x\x00y\r\nContent-Type: text/plain\r\n\r\nbe\x00fore\r\n"

    message = parse.parse(raw)

    assert (message.subject, message.text) == ("x y", "before")


def test_a_raw_8bit_file_name_reads_as_utf8_or_windows_1252() -> None:
    raw = (
        b'From: a@b.test\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\n'
        b'Content-Type: application/pdf\r\nContent-Disposition: attachment; filename="R\xc3\xa9sum\xc3\xa9.pdf"\r\n\r\n'
        b'x\r\n--B\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="Re\xe7u.pdf"\r\n\r\n'
        b"y\r\n--B--\r\n"
    )

    assert [a.filename for a in parse.parse(raw).attachments] == ["Résumé.pdf", "Reçu.pdf"]


def test_a_multipart_that_lost_its_boundary_is_read_with_the_one_its_body_uses() -> None:
    raw = (
        b"From: a@b.test\r\nContent-Type: multipart/mixed\r\n\r\n--X\r\nContent-Type: text/plain\r\n\r\n"
        b"The text.\r\n--X\r\nContent-Type: application/pdf; name=a.pdf\r\n\r\n%PDF\r\n--X--\r\n"
    )

    message = parse.parse(raw)

    assert (message.text, [a.filename for a in message.attachments]) == ("The text.", ["a.pdf"])
    assert "multipart without boundary" in message.defects


def test_a_message_the_mime_parser_gives_up_on_keeps_its_headers() -> None:
    # given 1,000 nested multiparts: the stdlib parser runs out of recursion
    body = "".join(
        f'--N{n}\r\nContent-Type: multipart/mixed; boundary="N{n + 1}"\r\n\r\n' for n in range(1000)
    )
    raw = (
        "From: Ana <ana@acme.test>\r\nSubject: Doll\r\nMessage-ID: <doll@acme.test>\r\n"
        f'In-Reply-To: <ours@helpdesk.test>\r\nContent-Type: multipart/mixed; boundary="N0"\r\n\r\n{body}'
        "--N1000\r\nContent-Type: text/plain\r\n\r\nDeep inside.\r\n"
    ).encode()

    message = parse.parse(raw)

    assert (message.sender, message.subject, message.message_id, message.in_reply_to) == (
        parse.Address("ana@acme.test", "Ana"),
        "Doll",
        "doll@acme.test",
        ("ours@helpdesk.test",),
    )
    assert "Deep inside." in message.text
    assert message.defects == ("unparseable: RecursionError",)


def test_html_nested_too_deeply_for_a_parser_is_read_by_stripping_its_tags() -> None:
    markup = "<div>" * 100_000 + "<p>Help &amp; thanks</p><script>alert(1)</script>" + "</div>" * 100_000
    raw = b"From: a@b.test\r\nContent-Type: text/html\r\n\r\n" + markup.encode()

    message = parse.parse(raw)  # seconds of html5ever time per 20,000 levels; this takes well under one

    assert (message.text, message.html) == ("Help & thanks", "")
    assert "html too deeply nested" in message.defects


def test_a_huge_body_is_cut_with_a_line_saying_so() -> None:
    raw = b"From: a@b.test\r\n\r\n" + b"log line\n" * 300_000

    message = parse.parse(raw)

    assert len(message.text) < parse.MAX_TEXT + 100
    assert message.text.endswith("[Text cut here: the original message, kept whole, has the rest.]")
