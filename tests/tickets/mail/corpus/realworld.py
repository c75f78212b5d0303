"""A corpus of real-world-shaped inbound messages, generated, each with the outcome it must have.

Shapes seen in production mailboxes: odd and lying charsets, encoded words broken across lines,
every multipart layout, forwards, the quoting styles of Outlook, Gmail and Apple Mail, TNEF,
calendar invites, auto-replies in many languages, DSN and plain-text bounces, loops, missing and
broken headers, broken transfer encodings, truncated and hostile MIME, a 10 MB attachment and a
message nested 100 levels deep. Generated rather than stored as .eml files so that the big and
binary ones stay out of the repository, and so that replies can name the tickets and Message-IDs
of the world the test builds first (`World`).

`cases(world)` returns them in ingestion order: a case may answer the ticket an earlier case
opened (`ticket="case:<name>"`).
"""

from __future__ import annotations

import base64
import quopri
import random
from dataclasses import dataclass, field
from email.header import Header
from email.utils import encode_rfc2231

OPENED = "ticket_created"
THREADED = "threaded"
AUTO_REPLY = "ignored_auto_reply"
BOUNCE = "ignored_bounce"
BOUNCE_RECORDED = "bounce_recorded"
LOOP = "ignored_loop"
BLOCKED = "blocked"
KEPT = "failed"  # kept for an admin

# Outcome families, as the issue states them.
FAMILY = {
    OPENED: "opened",
    THREADED: "threaded",
    AUTO_REPLY: "auto",
    BOUNCE: "auto",
    BOUNCE_RECORDED: "auto",
    LOOP: "auto",
    BLOCKED: "auto",
    KEPT: "kept",
}

BLOCKED_SENDER = "@spam-factory.test"


@dataclass(frozen=True)
class World:
    """What exists before the corpus is ingested (built by the test)."""

    vpn_ticket: int  # opened by alice@acme.test's e-mail `vpn_first_id`
    vpn_first_id: str
    vpn_reply_id: str  # our reply on it, sent to alice@acme.test
    closed_ticket: int  # alice's, closed
    gone_ticket: int  # requester gone@acme.test, whose mailbox no longer exists
    gone_reply_ids: tuple[str, ...]  # our replies to gone@acme.test, all sent; one per bounce case
    agent_email: str
    domain: str = "helpdesk.test"
    support: str = "support@helpdesk.test"


@dataclass(frozen=True)
class Case:
    name: str
    raw: bytes
    status: str  # the InboundStatus the message must end in
    ticket: str | None = None  # vpn | closed | gone | case:<name>; None: a new ticket (or none)
    same_as: str | None = None  # an exact re-delivery of that case: stored once
    text_has: tuple[str, ...] = ()  # in the new ticket's description / the threaded message
    text_lacks: tuple[str, ...] = ()
    html_lacks: tuple[str, ...] = ()  # in the rendered HTML of the description / message
    bounced: str | None = None  # the Message-ID of our e-mail this bounce must mark bounced
    bounced_recipient: str = ""
    tags: frozenset[str] = field(default_factory=frozenset)


def _eml(head: str, body: bytes | str = b"") -> bytes:
    """Join a header block (LF-separated lines) and a body into CRLF wire form."""
    lines = head.strip("\n").split("\n")
    data = body.encode("utf-8") if isinstance(body, str) else body
    if isinstance(body, str):
        data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return "\r\n".join(lines).encode("utf-8", "surrogateescape") + b"\r\n\r\n" + data


def _b64(data: bytes, width: int = 76) -> str:
    encoded = base64.b64encode(data).decode()
    return "\n".join(encoded[i : i + width] for i in range(0, len(encoded), width))


def _qp(text: str, charset: str = "utf-8") -> str:
    return quopri.encodestring(text.encode(charset)).decode("ascii")


def _word(text: str, charset: str = "utf-8") -> str:
    return Header(text, charset).encode()


def _b_word(data: bytes, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(data).decode()}?="


ALICE = "Alice Example <alice@acme.test>"
ALICE_DATE = "Date: Mon, 03 Mar 2025 10:00:00 +0100"


def _simple(
    name: str,
    *,
    sender: str = "Dana Doe <dana@newco.test>",
    subject: str = "Question",
    body: str = "Hello, I have a question.",
    extra: str = "",
    message_id: str | None = None,
) -> bytes:
    mid = message_id or f"{name}@corpus.test"
    head = (
        f"From: {sender}\nTo: Support <support@helpdesk.test>\nSubject: {subject}\n{ALICE_DATE}\n"
        f"Message-ID: <{mid}>\n{extra}MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8"
    )
    return _eml(head, body + "\n")


# --- Charsets ------------------------------------------------------------------------------------


def _charsets() -> list[Case]:
    jp_subject = "会議室の予約ができません".encode("iso2022_jp")
    jp_body = "お世話になっております。\n会議室の予約ができません。\n".encode("iso2022_jp")
    split = len(jp_subject) // 2 + 1  # inside the two-byte run: neither half decodes alone
    utf8_subject = "Größenänderung der Käsebestellung".encode()
    cut = utf8_subject.index("ö".encode()) + 1  # through the middle of a two-byte character
    gb_text = "你好，打印机坏了。𠀀 测试"
    return [
        Case(
            "iso2022jp-split-word",
            _eml(
                "From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>\nTo: support@helpdesk.test\n"
                f"Subject: {_b_word(jp_subject[:split], 'ISO-2022-JP')}\n"
                f" {_b_word(jp_subject[split:], 'ISO-2022-JP')}\n"
                "Date: Tue, 04 Mar 2025 10:00:00 +0900\nMessage-ID: <jp-split@example.jp>\n"
                "MIME-Version: 1.0\nContent-Type: text/plain; charset=ISO-2022-JP\n"
                "Content-Transfer-Encoding: 7bit",
                jp_body,
            ),
            OPENED,
            text_has=("会議室の予約ができません。",),
        ),
        Case(
            "koi8r-qp",
            _eml(
                f"From: {_word('Иван Петров', 'koi8-r')} <ivan@example.ru>\nTo: support@helpdesk.test\n"
                f"Subject: {_word('Не работает почта', 'koi8-r')}\n{ALICE_DATE}\n"
                "Message-ID: <koi8@example.ru>\nMIME-Version: 1.0\n"
                'Content-Type: text/plain; charset="koi8-r"\nContent-Transfer-Encoding: quoted-printable',
                _qp("Здравствуйте!\nПочта не работает с утра.\n", "koi8-r"),
            ),
            OPENED,
            text_has=("Почта не работает с утра.",),
        ),
        Case(
            "cp1252-labelled-utf8",
            _eml(
                "From: Pat <pat@newco.test>\nTo: support@helpdesk.test\nSubject: Invoice question\n"
                f"{ALICE_DATE}\nMessage-ID: <cp1252-as-utf8@newco.test>\nMIME-Version: 1.0\n"
                "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit",
                "The “premium” plan costs 5€ – café included.\n".encode("cp1252"),
            ),
            OPENED,
            text_has=("The “premium” plan costs 5€ – café included.",),
            text_lacks=("[undecodable",),
        ),
        Case(
            "utf8-with-stray-cp1252-byte",
            _eml(
                "From: Pat <pat@newco.test>\nTo: support@helpdesk.test\nSubject: Mixed bytes\n"
                f"{ALICE_DATE}\nMessage-ID: <mixed-bytes@newco.test>\nMIME-Version: 1.0\n"
                "Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit",
                "Grüße aus Köln, ".encode() + "Preis 10€".encode("cp1252") + b"\n",
            ),
            OPENED,
            text_has=("Grüße aus Köln, Preis 10€",),
        ),
        Case(
            "gb18030",
            _eml(
                f"From: {_word('李雷', 'gb18030')} <lilei@example.cn>\nTo: support@helpdesk.test\n"
                f"Subject: {_b_word('打印机故障'.encode('gb18030'), 'GB18030')}\n{ALICE_DATE}\n"
                "Message-ID: <gb18030@example.cn>\nMIME-Version: 1.0\n"
                "Content-Type: text/plain; charset=GB18030\nContent-Transfer-Encoding: base64",
                _b64(gb_text.encode("gb18030")),
            ),
            OPENED,
            text_has=(gb_text,),
        ),
        Case(
            "gb2312-with-gbk-characters",
            _eml(
                "From: Wang <wang@example.cn>\nTo: support@helpdesk.test\n"
                f"Subject: {_b_word('镕基'.encode('gbk'), 'gb2312')}\n{ALICE_DATE}\n"
                "Message-ID: <gb2312-gbk@example.cn>\nMIME-Version: 1.0\n"
                "Content-Type: text/plain; charset=gb2312\nContent-Transfer-Encoding: 8bit",
                "朱镕基的文件\n".encode("gbk"),
            ),
            OPENED,
            text_has=("朱镕基的文件",),
        ),
        Case(
            "unknown-charset-name-ascii",
            _eml(
                "From: Kim <kim@newco.test>\nTo: support@helpdesk.test\nSubject: Klingon charset\n"
                f"{ALICE_DATE}\nMessage-ID: <x-klingon@newco.test>\nMIME-Version: 1.0\n"
                "Content-Type: text/plain; charset=x-klingon-9",
                "Plain ASCII despite the label.\n",
            ),
            OPENED,
            text_has=("Plain ASCII despite the label.",),
            text_lacks=("[undecodable",),
        ),
        Case(
            "unknown-charset-name-8bit",
            _eml(
                "From: Kim <kim@newco.test>\nTo: support@helpdesk.test\nSubject: Unknown 8-bit\n"
                f"{ALICE_DATE}\nMessage-ID: <x-unknown-8bit@newco.test>\nMIME-Version: 1.0\n"
                "Content-Type: text/plain; charset=x-user-defined-42\nContent-Transfer-Encoding: 8bit",
                b"Caf\xe9 \xff\xfe cr\xe8me\n",
            ),
            OPENED,
            text_has=("[undecodable charset x-user-defined-42]", "Caf"),
        ),
        Case(
            "charset-is-a-bytes-codec",
            _eml(
                "From: Kim <kim@newco.test>\nTo: support@helpdesk.test\nSubject: zlib charset\n"
                f"{ALICE_DATE}\nMessage-ID: <zlib-charset@newco.test>\nMIME-Version: 1.0\n"
                "Content-Type: text/plain; charset=zlib",
                "Not compressed at all.\n",
            ),
            OPENED,
            text_has=("Not compressed at all.",),
        ),
        Case(
            "raw-8bit-headers",
            _eml(
                "From: Jürgen Müller <juergen@newco.test>\nTo: support@helpdesk.test\n"
                "Subject: Grüße aus Köln – Drucker\nMessage-ID: <raw8bit@newco.test>\n"
                f"{ALICE_DATE}\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit",
                "Der Drucker druckt nicht.\n",
            ),
            OPENED,
            text_has=("Der Drucker druckt nicht.",),
        ),
        Case(
            "raw-latin1-headers",
            _eml(
                "From: Jos\udce9 Garc\udceda <jose@newco.test>\nTo: support@helpdesk.test\n"
                "Subject: Informaci\udcf3n de la cuenta\nMessage-ID: <rawlatin1@newco.test>\n"
                f"{ALICE_DATE}\nContent-Type: text/plain; charset=iso-8859-1\n"
                "Content-Transfer-Encoding: 8bit",
                "No puedo iniciar sesi\xf3n.\n".encode("latin-1"),
            ),
            OPENED,
            text_has=("No puedo iniciar sesión.",),
        ),
        Case(
            "encoded-words-broken-across-lines",
            _eml(
                "From: =?utf-8?Q?Jos=C3=A9_?=\n =?utf-8?Q?Garc=C3=ADa?= <jose.g@newco.test>\n"
                "To: support@helpdesk.test\n"
                f"Subject: {_b_word(utf8_subject[:cut], 'UTF-8')}\n\t{_b_word(utf8_subject[cut:], 'UTF-8')}\n"
                f"{ALICE_DATE}\nMessage-ID: <split-utf8@newco.test>\nMIME-Version: 1.0\n"
                "Content-Type: text/plain; charset=utf-8",
                "See subject.\n",
            ),
            OPENED,
            text_has=("See subject.",),
            tags=frozenset({"subject:Größenänderung der Käsebestellung"}),
        ),
        Case(
            "malformed-encoded-words",
            _eml(
                "From: =?utf-8?B?bad base64!?= <odd@newco.test>\nTo: support@helpdesk.test\n"
                "Subject: =?utf-8?Q?unterminated word =?x-unknown?B?SGVsbG8=?= =?utf-8?B?////?=\n"
                f"{ALICE_DATE}\nMessage-ID: <bad-words@newco.test>\nContent-Type: text/plain",
                "Body.\n",
            ),
            OPENED,
            text_has=("Body.",),
        ),
        Case(
            "encoded-comma-in-display-name",
            _eml(
                "From: =?utf-8?Q?Doe=2C_John?= <john.doe@newco.test>\n"
                "To: support@helpdesk.test, =?utf-8?Q?Smith=2C_Ann?= <ann@newco.test>\n"
                f"Subject: Comma names\n{ALICE_DATE}\nMessage-ID: <comma@newco.test>\n"
                "Content-Type: text/plain",
                "Hi.\n",
            ),
            OPENED,
            text_has=("Hi.",),
        ),
        Case(
            "utf16-body",
            _eml(
                "From: Wide <wide@newco.test>\nTo: support@helpdesk.test\nSubject: UTF-16 body\n"
                f"{ALICE_DATE}\nMessage-ID: <utf16@newco.test>\nMIME-Version: 1.0\n"
                "Content-Type: text/plain; charset=utf-16\nContent-Transfer-Encoding: base64",
                _b64("Wide characters: Ωmega\n".encode("utf-16")),
            ),
            OPENED,
            text_has=("Wide characters: Ωmega",),
        ),
        Case(
            "utf7-body",
            _eml(
                "From: Seven <seven@newco.test>\nTo: support@helpdesk.test\nSubject: UTF-7\n"
                f"{ALICE_DATE}\nMessage-ID: <utf7@newco.test>\nMIME-Version: 1.0\n"
                "Content-Type: text/plain; charset=unicode-1-1-utf-7",
                "Price: 5+IKw-\n",
            ),
            OPENED,
            text_has=("Price: 5€",),
        ),
        Case(
            "header-injection-in-encoded-subject",
            _eml(
                "From: Mallory <mallory@newco.test>\nTo: support@helpdesk.test\n"
                "Subject: =?utf-8?Q?Hello=0D=0ABcc:_victim@example.test=0D=0A=0D=0Abody?=\n"
                f"{ALICE_DATE}\nMessage-ID: <inject@newco.test>\nContent-Type: text/plain",
                "Text.\n",
            ),
            OPENED,
            tags=frozenset({"subject:Hello Bcc: victim@example.test body"}),
        ),
    ]


# --- MIME structure ------------------------------------------------------------------------------

_PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _structure(world: World) -> list[Case]:
    euro_name = encode_rfc2231("€ Rechnung März.pdf", "utf-8")
    long_name = "Überweisungsbestätigung_für_den_Monat_Februar_2025_mit_Anhängen.pdf"
    utf8_name = long_name.encode()
    cont0 = encode_rfc2231(long_name[:30], "utf-8")
    cont1 = "".join(f"%{byte:02X}" for byte in long_name[30:].encode())
    return [
        Case(
            "multipart-alternative",
            _eml(
                "From: Dana Doe <dana@newco.test>\nTo: support@helpdesk.test\nSubject: Alt parts\n"
                f"{ALICE_DATE}\nMessage-ID: <alt@newco.test>\nMIME-Version: 1.0\n"
                'Content-Type: multipart/alternative; boundary="ALT"',
                "--ALT\nContent-Type: text/plain; charset=utf-8\n\nPlain version wins.\n"
                "--ALT\nContent-Type: text/html; charset=utf-8\n\n<p>HTML <b>version</b></p>\n--ALT--\n",
            ),
            OPENED,
            text_has=("Plain version wins.",),
        ),
        Case(
            "alternative-empty-plain",
            _eml(
                "From: Dana Doe <dana@newco.test>\nTo: support@helpdesk.test\nSubject: Empty plain\n"
                f"{ALICE_DATE}\nMessage-ID: <alt-empty-plain@newco.test>\nMIME-Version: 1.0\n"
                'Content-Type: multipart/alternative; boundary="ALT"',
                "--ALT\nContent-Type: text/plain; charset=utf-8\n\n\n"
                "--ALT\nContent-Type: text/html; charset=utf-8\n\n<p>Only the <i>HTML</i> speaks.</p>\n"
                "--ALT--\n",
            ),
            OPENED,
            text_has=("Only the HTML speaks.",),
        ),
        Case(
            "mixed-rfc2231-filenames",
            _eml(
                "From: Dana Doe <dana@newco.test>\nTo: support@helpdesk.test\nSubject: Invoices\n"
                f"{ALICE_DATE}\nMessage-ID: <rfc2231@newco.test>\nMIME-Version: 1.0\n"
                'Content-Type: multipart/mixed; boundary="MIX"',
                "--MIX\nContent-Type: text/plain; charset=utf-8\n\nTwo invoices attached.\n"
                f"--MIX\nContent-Type: application/pdf\nContent-Disposition: attachment; filename*={euro_name}\n"
                f"Content-Transfer-Encoding: base64\n\n{_b64(_PDF)}\n"
                "--MIX\nContent-Type: application/pdf\nContent-Disposition: attachment;\n"
                f" filename*0*={cont0};\n filename*1*={cont1}\n"
                f"Content-Transfer-Encoding: base64\n\n{_b64(_PDF)}\n--MIX--\n",
            ),
            OPENED,
            text_has=("Two invoices attached.",),
            tags=frozenset({"files:€ Rechnung März.pdf|" + long_name}),
        ),
        Case(
            "outlook-encoded-word-filename",
            _eml(
                "From: Dana Doe <dana@newco.test>\nTo: support@helpdesk.test\nSubject: Outlook file\n"
                f"{ALICE_DATE}\nMessage-ID: <ew-filename@newco.test>\nMIME-Version: 1.0\n"
                'Content-Type: multipart/mixed; boundary="MIX"',
                "--MIX\nContent-Type: text/plain; charset=utf-8\n\nSee the file.\n"
                f'--MIX\nContent-Type: application/pdf; name="{_word("Überweisung.pdf")}"\n'
                f'Content-Disposition: attachment; filename="{_word("Überweisung.pdf")}"\n'
                f"Content-Transfer-Encoding: base64\n\n{_b64(_PDF)}\n--MIX--\n",
            ),
            OPENED,
            tags=frozenset({"files:Überweisung.pdf"}),
        ),
        Case(
            "raw-8bit-filename",
            _eml(
                "From: Dana Doe <dana@newco.test>\nTo: support@helpdesk.test\nSubject: Raw file name\n"
                f"{ALICE_DATE}\nMessage-ID: <raw-filename@newco.test>\nMIME-Version: 1.0\n"
                'Content-Type: multipart/mixed; boundary="MIX"',
                b"--MIX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nRaw name.\r\n"
                b'--MIX\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="'
                + utf8_name
                + b'"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
                + _b64(_PDF).encode()
                + b"\r\n--MIX\r\nContent-Type: application/pdf\r\n"
                b'Content-Disposition: attachment; filename="Re\xe7u.pdf"\r\n\r\n%PDF-1.4 latin-1 name\r\n'
                b"--MIX--\r\n",
            ),
            OPENED,
            tags=frozenset({"files:" + long_name + "|Reçu.pdf"}),
        ),
        Case(
            "forward-as-attachment",
            _eml(
                "From: Dana Doe <dana@newco.test>\nTo: support@helpdesk.test\n"
                f"Subject: Fwd: Contract\n{ALICE_DATE}\nMessage-ID: <fwd-attached@newco.test>\n"
                'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="OUT"',
                "--OUT\nContent-Type: text/plain\n\nSee the forwarded message.\n"
                "--OUT\nContent-Type: message/rfc822\n\n"
                "From: Legal <legal@partner.test>\nTo: dana@newco.test\nSubject: Contract\n"
                "Message-ID: <contract@partner.test>\n"
                'Content-Type: multipart/mixed; boundary="IN"\n\n'
                "--IN\nContent-Type: text/plain\n\nPlease sign.\n"
                f"--IN\nContent-Type: application/pdf; name=contract.pdf\nContent-Transfer-Encoding: base64\n\n"
                f"{_b64(_PDF)}\n--IN--\n--OUT--\n",
            ),
            OPENED,
            text_has=("See the forwarded message.",),
            text_lacks=("Please sign.",),
            tags=frozenset({"files:Contract.eml"}),
        ),
        Case(
            "forward-of-forward-nested",
            _eml(
                "From: Dana Doe <dana@newco.test>\nTo: support@helpdesk.test\n"
                f"Subject: Fwd: Fwd: Outage\n{ALICE_DATE}\nMessage-ID: <fwd-fwd@newco.test>\n"
                'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="L1"',
                "--L1\nContent-Type: text/plain\n\nTwice forwarded.\n"
                "--L1\nContent-Type: message/rfc822\n\nFrom: a@partner.test\nSubject: Fwd: Outage\n"
                'Content-Type: multipart/mixed; boundary="L2"\n\n'
                "--L2\nContent-Type: text/plain\n\nonce\n--L2\nContent-Type: message/rfc822\n\n"
                "From: b@partner.test\nSubject: Outage\n\nThe original.\n--L2--\n--L1--\n",
            ),
            OPENED,
            text_has=("Twice forwarded.",),
            text_lacks=("The original.",),
        ),
        Case(
            "gmail-inline-forward",
            _simple(
                "gmail-inline-forward",
                subject="Fwd: Login problem",
                body="FYI, see below.\n\n---------- Forwarded message ---------\n"
                "From: Ex Employee <ex@newco.test>\nDate: Fri, 28 Feb 2025 at 16:00\n"
                "Subject: Login problem\nTo: <dana@newco.test>\n\nI cannot log in.\n",
            ),
            OPENED,
            text_has=("FYI, see below.", "I cannot log in."),
        ),
        Case(
            "tnef-winmail-dat",
            _eml(
                "From: Outlook User <olu@newco.test>\nTo: support@helpdesk.test\nSubject: Rich text\n"
                f"{ALICE_DATE}\nMessage-ID: <tnef@newco.test>\nMIME-Version: 1.0\n"
                'Content-Type: multipart/mixed; boundary="T"\nX-MS-TNEF-Correlator: <00000000@newco.test>',
                "--T\nContent-Type: text/plain; charset=us-ascii\n\nSee the attachment.\n"
                '--T\nContent-Type: application/ms-tnef; name="winmail.dat"\n'
                'Content-Disposition: attachment; filename="winmail.dat"\nContent-Transfer-Encoding: base64\n\n'
                f"{_b64(bytes.fromhex('789f3e22') + bytes(range(256)))}\n--T--\n",
            ),
            OPENED,
            text_has=("See the attachment.",),
            tags=frozenset({"refused:winmail.dat"}),
        ),
        Case(
            "calendar-invite",
            _eml(
                "From: Organizer <org@newco.test>\nTo: support@helpdesk.test\n"
                f"Subject: Invitation: Review @ Tue 11 Mar 2025\n{ALICE_DATE}\n"
                "Message-ID: <invite@newco.test>\nMIME-Version: 1.0\n"
                'Content-Type: multipart/mixed; boundary="CAL0"',
                '--CAL0\nContent-Type: multipart/alternative; boundary="CAL1"\n\n'
                "--CAL1\nContent-Type: text/plain; charset=UTF-8\n\nYou have been invited to Review.\n"
                "--CAL1\nContent-Type: text/html; charset=UTF-8\n\n<p>You have been invited</p>\n"
                "--CAL1\nContent-Type: text/calendar; charset=UTF-8; method=REQUEST\n\n"
                "BEGIN:VCALENDAR\nMETHOD:REQUEST\nBEGIN:VEVENT\nSUMMARY:Review\nEND:VEVENT\nEND:VCALENDAR\n"
                "--CAL1--\n--CAL0\nContent-Type: application/ics; name=invite.ics\n"
                "Content-Disposition: attachment; filename=invite.ics\n\nBEGIN:VCALENDAR\nEND:VCALENDAR\n"
                "--CAL0--\n",
            ),
            OPENED,
            text_has=("You have been invited to Review.",),
            text_lacks=("BEGIN:VCALENDAR",),
        ),
        Case(
            "related-inline-image",
            _eml(
                "From: Dana Doe <dana@newco.test>\nTo: support@helpdesk.test\nSubject: Screenshot\n"
                f"{ALICE_DATE}\nMessage-ID: <related@newco.test>\nMIME-Version: 1.0\n"
                'Content-Type: multipart/related; boundary="REL"',
                '--REL\nContent-Type: text/html; charset=utf-8\n\n<p>Look:</p><img src="cid:shot1">\n'
                "--REL\nContent-Type: image/png\nContent-ID: <shot1>\nContent-Transfer-Encoding: base64\n\n"
                f"{_b64(bytes.fromhex('89504e470d0a1a0a') + bytes(32))}\n--REL--\n",
            ),
            OPENED,
            text_has=("Look:",),
        ),
        Case(
            "apple-attachment-between-text",
            _eml(
                "From: Mac User <mac@newco.test>\nTo: support@helpdesk.test\nSubject: Log file\n"
                f"{ALICE_DATE}\nMessage-ID: <apple-mixed@newco.test>\nMIME-Version: 1.0\n"
                'Content-Type: multipart/alternative; boundary="A1"',
                "--A1\nContent-Type: text/plain; charset=us-ascii\n\nBefore the file.\n\nAfter the file.\n"
                '--A1\nContent-Type: multipart/mixed; boundary="A2"\n\n'
                "--A2\nContent-Type: text/html\n\n<div>Before the file.</div>\n"
                "--A2\nContent-Type: text/plain; name=app.log\nContent-Disposition: inline; filename=app.log\n\n"
                "ERROR 42\n--A2\nContent-Type: text/html\n\n<div>After the file.</div>\n--A2--\n--A1--\n",
            ),
            OPENED,
            text_has=("Before the file.", "After the file."),
            tags=frozenset({"files:app.log"}),
        ),
        Case(
            "smime-signed",
            _eml(
                "From: Secure <secure@newco.test>\nTo: support@helpdesk.test\nSubject: Signed\n"
                f"{ALICE_DATE}\nMessage-ID: <signed@newco.test>\nMIME-Version: 1.0\n"
                'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256;'
                ' boundary="SIG"',
                "--SIG\nContent-Type: text/plain; charset=utf-8\n\nSigned text.\n"
                "--SIG\nContent-Type: application/pkcs7-signature; name=smime.p7s\n"
                "Content-Transfer-Encoding: base64\n\nMIIBAAYJKoZIhvcNAQcCoIIB\n--SIG--\n",
            ),
            OPENED,
            text_has=("Signed text.",),
        ),
        Case(
            "multipart-without-boundary",
            _eml(
                "From: Dana Doe <dana@newco.test>\nTo: support@helpdesk.test\nSubject: No boundary\n"
                f"{ALICE_DATE}\nMessage-ID: <no-boundary@newco.test>\nMIME-Version: 1.0\n"
                "Content-Type: multipart/mixed",
                "--X\nContent-Type: text/plain\n\nThe text is still here.\n--X--\n",
            ),
            OPENED,
            text_has=("The text is still here.",),
        ),
        Case(
            "truncated-multipart",
            _eml(
                "From: Dana Doe <dana@newco.test>\nTo: support@helpdesk.test\nSubject: Cut short\n"
                f"{ALICE_DATE}\nMessage-ID: <truncated@newco.test>\nMIME-Version: 1.0\n"
                'Content-Type: multipart/mixed; boundary="CUT"',
                "--CUT\nContent-Type: text/plain\n\nThe first part arrived.\n"
                "--CUT\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQKJ",
            ),
            OPENED,
            text_has=("The first part arrived.",),
        ),
        Case(
            "base64-bad-padding",
            _eml(
                "From: Dana Doe <dana@newco.test>\nTo: support@helpdesk.test\nSubject: Bad base64\n"
                f"{ALICE_DATE}\nMessage-ID: <bad-b64@newco.test>\nMIME-Version: 1.0\n"
                "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64",
                base64.b64encode(b"Padding went missing here!").decode().rstrip("=")[:-1] + "!!*\n",
            ),
            OPENED,
            text_has=("Padding went missing",),
        ),
        Case(
            "quoted-printable-broken",
            _eml(
                "From: Dana Doe <dana@newco.test>\nTo: support@helpdesk.test\nSubject: Bad QP\n"
                f"{ALICE_DATE}\nMessage-ID: <bad-qp@newco.test>\nMIME-Version: 1.0\n"
                "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable",
                "Caf=C3=A9 =ZZ broken =\nsoft break and a lone = sign and =C3 cut\n",
            ),
            OPENED,
            text_has=("Café",),
        ),
        Case(
            "unknown-transfer-encoding",
            _eml(
                "From: Dana Doe <dana@newco.test>\nTo: support@helpdesk.test\nSubject: uuencode\n"
                f"{ALICE_DATE}\nMessage-ID: <x-uue@newco.test>\nMIME-Version: 1.0\n"
                "Content-Type: text/plain\nContent-Transfer-Encoding: x-gzip64",
                "Readable anyway.\n",
            ),
            OPENED,
            text_has=("Readable anyway.",),
        ),
        Case(
            "base64-on-multipart",
            _eml(
                "From: Dana Doe <dana@newco.test>\nTo: support@helpdesk.test\nSubject: Encoded multipart\n"
                f"{ALICE_DATE}\nMessage-ID: <b64-multipart@newco.test>\nMIME-Version: 1.0\n"
                'Content-Type: multipart/mixed; boundary="B"\nContent-Transfer-Encoding: base64',
                "--B\nContent-Type: text/plain\n\nInner text.\n--B--\n",
            ),
            OPENED,
            text_has=("Inner text.",),
        ),
        Case(
            "mbox-from-line-and-lf-endings",
            (
                b"From dana@newco.test Mon Mar  3 10:00:00 2025\nFrom: Dana Doe <dana@newco.test>\n"
                b"To: support@helpdesk.test\nSubject: Unix endings\nMessage-ID: <mbox@newco.test>\n\n"
                b"Line one.\n>From the archive.\n"
            ),
            OPENED,
            text_has=("Line one.",),
        ),
        Case(
            "bare-cr-line-endings",
            b"From: Dana Doe <dana@newco.test>\rTo: support@helpdesk.test\rSubject: Old Mac\r"
            b"Message-ID: <bare-cr@newco.test>\r\rClassic Mac OS line endings.\r",
            OPENED,
        ),
    ]


def _nested(depth: int) -> str:
    head, tail = [], []
    for level in range(depth):
        head.append(f'--N{level}\nContent-Type: multipart/mixed; boundary="N{level + 1}"\n\n')
        tail.append(f"--N{level}--\n")
    return (
        "".join(head)
        + f"--N{depth}\nContent-Type: text/plain\n\nDeep inside.\n--N{depth}--\n"
        + "".join(reversed(tail))
    )


# --- Hostile and broken --------------------------------------------------------------------------


def _hostile() -> list[Case]:
    rng = random.Random(20250303)
    binary = bytes(rng.randrange(256) for _ in range(4096))
    big_pdf = b"%PDF-1.4\n" + bytes(rng.randrange(256) for _ in range(10 * 1024 * 1024))
    many_to = ", ".join(f"user{n}@many.test" for n in range(3000))
    return [
        Case("empty-message", b"", KEPT),
        Case("just-binary", binary, KEPT),
        Case("only-blank-lines", b"\r\n\r\n\r\n", KEPT),
        Case(
            "missing-from-uses-reply-to",
            _eml(
                "Reply-To: Quinn <quinn@newco.test>\nTo: support@helpdesk.test\nSubject: No From\n"
                f"{ALICE_DATE}\nMessage-ID: <no-from@newco.test>\nContent-Type: text/plain",
                "Answer to Reply-To.\n",
            ),
            OPENED,
            text_has=("Answer to Reply-To.",),
        ),
        Case(
            "no-sender-at-all",
            _eml(
                "To: support@helpdesk.test\nSubject: Nobody\nMessage-ID: <nobody@newco.test>\n"
                "Content-Type: text/plain",
                "Who sent this?\n",
            ),
            KEPT,
        ),
        Case(
            "from-without-address",
            _eml(
                "From: undisclosed-recipients:;\nTo: support@helpdesk.test\nSubject: Group syntax\n"
                "Message-ID: <group-from@newco.test>\nContent-Type: text/plain",
                "Nobody to answer.\n",
            ),
            KEPT,
        ),
        Case(
            "missing-date",
            _eml(
                "From: Dana Doe <dana@newco.test>\nTo: support@helpdesk.test\nSubject: No date\n"
                "Message-ID: <no-date@newco.test>\nContent-Type: text/plain",
                "Timeless.\n",
            ),
            OPENED,
        ),
        Case(
            "garbage-date",
            _eml(
                "From: Dana Doe <dana@newco.test>\nTo: support@helpdesk.test\nSubject: Bad date\n"
                "Date: Yesterday at lunch, 99:99:99 +9999 year 99999\nMessage-ID: <bad-date@newco.test>\n"
                "Content-Type: text/plain",
                "When?\n",
            ),
            OPENED,
        ),
        Case(
            "date-out-of-range",
            _eml(
                "From: Dana Doe <dana@newco.test>\nTo: support@helpdesk.test\nSubject: Far future\n"
                "Date: Fri, 31 Dec 9999 23:59:59 -1400\nMessage-ID: <far-date@newco.test>\n"
                "Content-Type: text/plain",
                "Later.\n",
            ),
            OPENED,
        ),
        Case(
            "no-message-id",
            _eml(
                "From: Dana Doe <dana@newco.test>\nTo: support@helpdesk.test\nSubject: Without id\n"
                f"{ALICE_DATE}\nContent-Type: text/plain",
                "No Message-ID here.\n",
            ),
            OPENED,
        ),
        Case(
            "no-message-id-redelivered",
            _eml(
                "Received: from relay2.newco.test by mx.helpdesk.test; Mon, 3 Mar 2025 10:05:00 +0100\n"
                "From: Dana Doe <dana@newco.test>\nTo: support@helpdesk.test\nSubject: Without id\n"
                f"{ALICE_DATE}\nContent-Type: text/plain",
                "No Message-ID here.\n",
            ),
            OPENED,
            same_as="no-message-id",
        ),
        Case(
            "duplicate-message-id-other-content",
            _simple(
                "dup",
                sender="Eli <eli@othermail.test>",
                subject="A different message reusing an id",
                body="My mailer reuses Message-IDs.",
                message_id="alt@newco.test",
            ),
            OPENED,
            text_has=("My mailer reuses Message-IDs.",),
        ),
        Case(
            "duplicate-message-id-other-content-again",
            _simple(
                "dup2",
                sender="Fay <fay@othermail.test>",
                subject="Yet another reuse",
                body="Same id, third content.",
                message_id="alt@newco.test",
            ),
            OPENED,
            text_has=("Same id, third content.",),
        ),
        Case(
            "exact-redelivery-with-new-trace-headers",
            b"Received: from other.relay by mx; Mon, 3 Mar 2025 11:00:00 +0000\r\nDelivered-To: x\r\n"
            + _simple(
                "dup2",
                sender="Fay <fay@othermail.test>",
                subject="Yet another reuse",
                body="Same id, third content.",
                message_id="alt@newco.test",
            ),
            OPENED,
            same_as="duplicate-message-id-other-content-again",
        ),
        Case(
            "huge-header-lines",
            _eml(
                "From: Dana Doe <dana@newco.test>\nTo: support@helpdesk.test, " + many_to + "\n"
                "Subject: " + ("Very long subject " * 6000) + "\n"
                "X-Junk: " + "x" * 300_000 + "\n"
                f"{ALICE_DATE}\nMessage-ID: <huge-headers@newco.test>\nContent-Type: text/plain",
                "Big headers.\n",
            ),
            OPENED,
            text_has=("Big headers.",),
        ),
        Case(
            "very-long-message-id",
            _simple("long-id", message_id="x" * 5000 + "@newco.test", body="Long id."),
            OPENED,
        ),
        Case(
            "nul-bytes",
            b"From: Nul\x00 Person <nul@newco.test>\r\nTo: support@helpdesk.test\r\n"
            b"Subject: Null\x00 bytes\r\nMessage-ID: <nul\x00@newco.test>\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n\r\nText with \x00 NUL \x00 bytes.\r\n",
            OPENED,
            text_has=("NUL",),
        ),
        Case(
            "nul-in-address",
            b"From: <nul\x00addr@newco.test>\r\nReply-To: clean@newco.test\r\nTo: support@helpdesk.test\r\n"
            b"Subject: nul address\r\nMessage-ID: <nul-address@newco.test>\r\n\r\nx\r\n",
            OPENED,
        ),
        Case(
            "ten-megabyte-attachment",
            _eml(
                "From: Dana Doe <dana@newco.test>\nTo: support@helpdesk.test\nSubject: Big scan\n"
                f"{ALICE_DATE}\nMessage-ID: <big-attachment@newco.test>\nMIME-Version: 1.0\n"
                'Content-Type: multipart/mixed; boundary="BIG"',
                "--BIG\nContent-Type: text/plain\n\nThe scan is attached.\n"
                "--BIG\nContent-Type: application/pdf; name=scan.pdf\nContent-Transfer-Encoding: base64\n\n"
                + _b64(big_pdf)
                + "\n--BIG--\n",
            ),
            OPENED,
            text_has=("The scan is attached.",),
            tags=frozenset({"files:scan.pdf"}),
        ),
        Case(
            "nested-100-levels",
            _eml(
                "From: Dana Doe <dana@newco.test>\nTo: support@helpdesk.test\nSubject: Russian doll\n"
                f"{ALICE_DATE}\nMessage-ID: <nested-100@newco.test>\nMIME-Version: 1.0\n"
                'Content-Type: multipart/mixed; boundary="N0"',
                _nested(100),
            ),
            OPENED,
        ),
        Case(
            "nested-1000-levels",
            _eml(
                "From: Dana Doe <dana@newco.test>\nTo: support@helpdesk.test\nSubject: Deeper doll\n"
                f"{ALICE_DATE}\nMessage-ID: <nested-1000@newco.test>\nMIME-Version: 1.0\n"
                'Content-Type: multipart/mixed; boundary="N0"',
                _nested(1000),
            ),
            OPENED,
            text_has=("Deep inside.",),  # the MIME parser gives up: the source is the text
        ),
        Case(
            "attached-message-chain-300",
            _eml(
                "From: Dana Doe <dana@newco.test>\nTo: support@helpdesk.test\nSubject: Fwd chain\n"
                f"{ALICE_DATE}\nMessage-ID: <rfc822-chain@newco.test>\nMIME-Version: 1.0\n"
                'Content-Type: multipart/mixed; boundary="Q"',
                "--Q\nContent-Type: text/plain\n\nA very forwarded message.\n--Q\nContent-Type: message/rfc822\n\n"
                + "From: z@b.test\nSubject: level\nContent-Type: message/rfc822\n\n" * 300
                + "From: z@b.test\nSubject: deepest\n\nbottom\n--Q--\n",
            ),
            OPENED,
            text_has=("A very forwarded message.",),
        ),
        Case(
            "html-nested-100000-divs",
            _eml(
                "From: Dana Doe <dana@newco.test>\nTo: support@helpdesk.test\nSubject: Div soup\n"
                f"{ALICE_DATE}\nMessage-ID: <div-soup@newco.test>\nMIME-Version: 1.0\n"
                "Content-Type: text/html; charset=utf-8",
                "<div>" * 100_000 + "Help &amp; thanks<script>alert(1)</script>" + "</div>" * 100_000,
            ),
            OPENED,
            text_has=("Help & thanks",),
            text_lacks=("alert",),
        ),
        Case(
            "five-megabyte-text",
            _eml(
                "From: Dana Doe <dana@newco.test>\nTo: support@helpdesk.test\nSubject: Log pasted inline\n"
                f"{ALICE_DATE}\nMessage-ID: <big-text@newco.test>\nContent-Type: text/plain",
                "First line of the log.\n" + "2025-03-03 10:00:00 DEBUG nothing happened\n" * 120_000,
            ),
            OPENED,
            text_has=(
                "First line of the log.",
                "[Text cut here: the original message, kept whole, has the rest.]",
            ),
        ),
        Case(
            "invalid-from-valid-reply-to",
            _eml(
                "From: Broken <broken..dots@newco.test>\nReply-To: Fixed <fixed@newco.test>\n"
                f"To: support@helpdesk.test\nSubject: Bad From\n{ALICE_DATE}\n"
                "Message-ID: <bad-from@newco.test>\nContent-Type: text/plain",
                "Answer me at the Reply-To.\n",
            ),
            OPENED,
            tags=frozenset({"requester:fixed@newco.test"}),
        ),
        Case(
            "thousand-parts",
            _eml(
                "From: Dana Doe <dana@newco.test>\nTo: support@helpdesk.test\nSubject: Many parts\n"
                f"{ALICE_DATE}\nMessage-ID: <many-parts@newco.test>\nMIME-Version: 1.0\n"
                'Content-Type: multipart/mixed; boundary="P"',
                "--P\nContent-Type: text/plain\n\nFirst of many.\n"
                + "".join(
                    f"--P\nContent-Type: application/x-junk; name=j{n}.bin\n\n{n}\n" for n in range(1000)
                )
                + "--P--\n",
            ),
            OPENED,
            text_has=("First of many.",),
        ),
        Case(
            "pathological-content-type",
            _eml(
                "From: Dana Doe <dana@newco.test>\nTo: support@helpdesk.test\nSubject: Params\n"
                f"{ALICE_DATE}\nMessage-ID: <bad-params@newco.test>\nMIME-Version: 1.0\n"
                "Content-Type: text/plain; " + "; ".join(f'p{n}="(((\\"' for n in range(2000)) + "\n"
                "Content-Disposition: " + "(" * 5000 + "inline",
                "Odd parameters.\n",
            ),
            OPENED,
        ),
        Case(
            "thousands-of-headers",
            _eml(
                "From: Dana Doe <dana@newco.test>\nTo: support@helpdesk.test\nSubject: Header storm\n"
                + "".join(f"X-Storm-{n}: {n}\n" for n in range(5000))
                + f"{ALICE_DATE}\nMessage-ID: <header-storm@newco.test>\nContent-Type: text/plain",
                "Storm.\n",
            ),
            OPENED,
        ),
        Case(
            "header-without-colon-and-garbage",
            b"This is not a header\r\nFrom: Dana Doe <dana@newco.test>\r\nSubject: Garbage first\r\n"
            b"Message-ID: <garbage-first@newco.test>\r\n\r\nbody\r\n",
            KEPT,  # the first line ends the header block: no sender is left
        ),
        Case(
            "hostile-html",
            _eml(
                "From: Mallory <mallory@newco.test>\nTo: support@helpdesk.test\nSubject: Click me\n"
                f"{ALICE_DATE}\nMessage-ID: <hostile-html@newco.test>\nMIME-Version: 1.0\n"
                "Content-Type: text/html; charset=utf-8",
                "<html><head><style>body{background:url(javascript:alert(1));"
                "width:expression(alert(2))}</style><script>alert(3)</script>"
                '<meta http-equiv="refresh" content="0;url=https://evil.test"></head><body>'
                '<p onclick="alert(4)">Hello <a href="javascript:alert(5)">there</a></p>'
                '<iframe src="https://evil.test"></iframe><img src=x onerror="alert(6)">'
                '<div style="width: expression(alert(7))">styled</div>'
                '<a href="https://docs.example.test/help">docs</a>'
                '<svg onload="alert(8)"><circle r="1"/></svg><form action="https://evil.test"><input></form>'
                '<object data="evil.swf"></object><embed src="evil.swf">'
                '<a href="vbscript:msgbox(9)">vb</a><a href="data:text/html;base64,PHNjcmlwdD4=">data</a>'
                "</body></html>\n",
            ),
            OPENED,
            text_has=("Hello there", "docs"),
            html_lacks=(
                "<script",
                "javascript:",
                "expression(",
                "onerror",
                "onclick",
                "onload",
                "<iframe",
                "<svg",
                "<form",
                "vbscript:",
                "data:text/html",
                "alert(",
            ),
        ),
    ]


# --- Machine mail --------------------------------------------------------------------------------


def _auto(world: World) -> list[Case]:
    tid = world.vpn_ticket

    def auto(name: str, extra: str, subject: str = f"Re: VPN drops [#{tid}]", sender: str = ALICE) -> Case:
        return Case(
            name,
            _simple(
                name,
                sender=sender,
                subject=subject,
                body="I am away until Monday.",
                extra=extra + f"In-Reply-To: <{world.vpn_reply_id}>\n",
            ),
            AUTO_REPLY,
            ticket="vpn",
        )

    subjects = [
        ("ooo-en", "Out of Office: VPN drops"),
        ("ooo-en-autoreply", "Out of Office AutoReply: VPN drops"),
        ("ooo-automatic-reply", "Automatic reply: VPN drops"),
        ("ooo-de", "Abwesenheitsnotiz: VPN drops"),
        ("ooo-de-auto", "Automatische Antwort: VPN drops"),
        ("ooo-fr", "Réponse automatique : VPN drops"),
        ("ooo-es", "Respuesta automática: VPN drops"),
        ("ooo-it", "Risposta automatica: VPN drops"),
        ("ooo-nl", "Automatisch antwoord: VPN drops"),
        ("ooo-pt", "Resposta automática: VPN drops"),
        ("ooo-sv", "Autosvar: VPN drops"),
        ("ooo-pl", "Odpowiedź automatyczna: VPN drops"),
        ("ooo-ru", "Автоматический ответ: VPN drops"),
        ("ooo-ja", "自動応答: VPN drops"),
        ("ooo-zh", "自动回复: VPN drops"),
    ]
    cases = [
        auto("auto-submitted", "Auto-Submitted: auto-replied\n"),
        auto("auto-generated", "Auto-Submitted: auto-generated; type=vacation\n"),
        auto("x-autoreply", "X-Autoreply: yes\n"),
        auto("x-autorespond", "X-Autorespond: Vacation\n"),
        auto("precedence-bulk", "Precedence: bulk\n"),
        auto("precedence-list", "Precedence: list\nList-Id: <announce.acme.test>\n"),
        auto("precedence-junk", "Precedence: junk\n"),
        auto("precedence-auto-reply", "Precedence: auto_reply\n"),
        auto("x-auto-response-suppress", "X-Auto-Response-Suppress: All\n"),
        auto("null-return-path", "Return-Path: <>\n"),
        *(
            Case(
                name,
                _simple(
                    name,
                    sender=ALICE,
                    subject=subject,
                    body="Ich bin nicht im Büro.",
                    extra=f"In-Reply-To: <{world.vpn_reply_id}>\n",
                ),
                AUTO_REPLY,
                ticket="vpn",
            )
            for name, subject in subjects
        ),
        Case(
            "auto-submitted-no-is-human",
            _simple(
                "auto-submitted-no",
                sender=ALICE,
                subject=f"Re: VPN drops [#{tid}]",
                body="A person wrote this.",
                extra="Auto-Submitted: no\n",
            ),
            THREADED,
            ticket="vpn",
            text_has=("A person wrote this.",),
        ),
    ]
    return cases


def _dsn_bounce(name: str, *, original_id: str, recipient: str, world: World, headers_only: bool) -> bytes:
    original = (
        f"From: Support <{world.support}>\nTo: {recipient}\nSubject: Re: Account [#{world.gone_ticket}]\n"
        f"Message-ID: <{original_id}>\nIn-Reply-To: <{world.vpn_first_id}>\n"
        f"References: <ticket-{world.gone_ticket}@{world.domain}> <{world.vpn_reply_id}>\n"
    )
    part = (
        f"Content-Type: text/rfc822-headers\n\n{original}"
        if headers_only
        else f"Content-Type: message/rfc822\n\n{original}\nYour account is ready.\n"
    )
    return _eml(
        "Return-Path: <>\nFrom: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n"
        f"To: {world.support}\nSubject: Delivery Status Notification (Failure)\n{ALICE_DATE}\n"
        f"Message-ID: <{name}@mx.google.test>\nAuto-Submitted: auto-replied\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="R"',
        "--R\nContent-Type: text/plain; charset=UTF-8\n\n"
        f"** Address not found **\n\nYour message wasn't delivered to {recipient} because the address "
        "couldn't be found.\n"
        "--R\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; googlemail.com\n"
        f"Arrival-Date: Mon, 03 Mar 2025 10:00:00 -0800\n\nFinal-Recipient: rfc822; {recipient}\n"
        "Action: failed\nStatus: 5.1.1\nRemote-MTA: dns; mx.acme.test. (192.0.2.1, the server for the\n"
        " domain acme.test.)\nDiagnostic-Code: smtp; 550-5.1.1 The email account that you tried to\n"
        " reach does not exist.\nLast-Attempt-Date: Mon, 03 Mar 2025 10:00:01 -0800\n\n"
        f"--R\n{part}--R--\n",
    )


def _bounces(world: World) -> list[Case]:
    gone = "gone@acme.test"
    dsn_id, headers_id, qmail_id, exim_id, postfix_id, exchange_id = world.gone_reply_ids[:6]
    qmail = _eml(
        f"Return-Path: <>\nFrom: MAILER-DAEMON@mail.acme.test\nTo: {world.support}\n"
        f"Subject: failure notice\n{ALICE_DATE}\nMessage-ID: <qmail-bounce@mail.acme.test>",
        "Hi. This is the qmail-send program at mail.acme.test.\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
        f"<{gone}>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n"
        "--- Below this line is a copy of the message.\n\n"
        f"Return-Path: <{world.support}>\nReceived: (qmail 1234 invoked from network); 3 Mar 2025\n"
        f"From: Support <{world.support}>\nTo: {gone}\nSubject: Re: Account [#{world.gone_ticket}]\n"
        f"Message-ID: <{qmail_id}>\nIn-Reply-To: <{world.vpn_first_id}>\n\nYour account is ready.\n",
    )
    exim = _eml(
        f"Return-path: <>\nFrom: Mail Delivery System <Mailer-Daemon@mx.acme.test>\nTo: {world.support}\n"
        f"Subject: Mail delivery failed: returning message to sender\n{ALICE_DATE}\n"
        "Message-Id: <E1exim-0001@mx.acme.test>\nX-Failed-Recipients: gone@acme.test\n"
        "Auto-Submitted: auto-replied",
        "This message was created automatically by mail delivery software.\n\n"
        "A message that you sent could not be delivered to one or more of its\n"
        "recipients. This is a permanent error. The following address(es) failed:\n\n"
        f"  {gone}\n    host mx.acme.test [192.0.2.1]\n"
        f"    SMTP error from remote mail server after RCPT TO:<{gone}>:\n"
        "    550 5.1.1 <gone@acme.test>: Recipient address rejected: User unknown\n\n"
        "------ This is a copy of the message, including all the headers. ------\n\n"
        f"Return-path: <{world.support}>\nFrom: Support <{world.support}>\nTo: {gone}\n"
        f"Subject: Re: Account [#{world.gone_ticket}]\nMessage-ID:\n <{exim_id}>\n\nYour account is ready.\n",
    )
    postfix = _eml(
        f"From: MAILER-DAEMON@relay.acme.test (Mail Delivery System)\nTo: {world.support}\n"
        f"Subject: Undelivered Mail Returned to Sender\n{ALICE_DATE}\n"
        "Message-Id: <postfix-plain@relay.acme.test>",
        "This is the mail system at host relay.acme.test.\n\n"
        "I'm sorry to have to inform you that your message could not\n"
        "be delivered to one or more recipients.\n\n"
        "                   The mail system\n\n"
        f"<{gone}>: host mx.acme.test[192.0.2.1] said: 550 5.2.2 Mailbox full\n"
        "    (in reply to RCPT TO command)\n\n"
        "--- Original message follows.\n\n"
        f"From: Support <{world.support}>\nTo: {gone}\nMessage-ID: <{postfix_id}>\n\nYour account.\n",
    )
    exchange = _eml(
        f"From: Microsoft Outlook <postmaster@acme.onmicrosoft.test>\nTo: {world.support}\n"
        f"Subject: Undeliverable: Re: Account [#{world.gone_ticket}]\n{ALICE_DATE}\n"
        "Message-ID: <exchange-ndr@acme.onmicrosoft.test>\nMIME-Version: 1.0\n"
        "X-MS-Exchange-Message-Is-Ndr:\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="NDR"',
        '--NDR\nContent-Type: multipart/alternative; boundary="NDRALT"\n\n'
        "--NDRALT\nContent-Type: text/plain; charset=us-ascii\n\nDelivery has failed to these recipients"
        f" or groups:\n\n{gone}\nThe email address you entered couldn't be found.\n"
        "--NDRALT\nContent-Type: text/html; charset=us-ascii\n\n<p>Delivery has failed</p>\n--NDRALT--\n"
        "--NDR\nContent-Type: message/delivery-status\n\nReporting-MTA: dns;acme.onmicrosoft.test\n\n"
        f"Original-Recipient: rfc822;{gone}\nFinal-Recipient: rfc822;{gone}\nAction: failed\n"
        "Status: 5.1.10\nDiagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not"
        " found by SMTP address lookup\n\n"
        f"--NDR\nContent-Type: message/rfc822\n\nFrom: Support <{world.support}>\nTo: {gone}\n"
        f"Subject: Re: Account [#{world.gone_ticket}]\nMessage-ID: <{exchange_id}>\n\nHi\n--NDR--\n",
    )
    delayed = _eml(
        "Return-Path: <>\nFrom: Mail Delivery System <MAILER-DAEMON@relay.acme.test>\n"
        f"To: {world.support}\nSubject: Delayed Mail (still being retried)\n{ALICE_DATE}\n"
        "Message-ID: <delayed-dsn@relay.acme.test>\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="D"',
        "--D\nContent-Type: text/plain\n\nThis is a warning only; do not resend.\n"
        "--D\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; relay.acme.test\n\n"
        f"Final-Recipient: rfc822; alice@acme.test\nAction: delayed\nStatus: 4.4.1\n\n"
        f"--D\nContent-Type: text/rfc822-headers\n\nFrom: {world.support}\nTo: alice@acme.test\n"
        f"Message-ID: <{world.vpn_reply_id}>\n--D--\n",
    )
    unmatched = _dsn_bounce(
        "unmatched-dsn",
        original_id="someone-else@other.test",
        recipient="ghost@nowhere.test",
        world=world,
        headers_only=False,
    )
    forged = _dsn_bounce(
        "forged-dsn-wrong-recipient",
        original_id=world.vpn_reply_id,
        recipient="stranger@evil.test",
        world=world,
        headers_only=True,
    )
    read_receipt = _eml(
        f"From: {ALICE}\nTo: {world.support}\nSubject: Read: VPN drops [#{world.vpn_ticket}]\n{ALICE_DATE}\n"
        "Message-ID: <mdn@acme.test>\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=disposition-notification; boundary="MDN"',
        "--MDN\nContent-Type: text/plain\n\nYour message was read.\n"
        "--MDN\nContent-Type: message/disposition-notification\n\n"
        f"Final-Recipient: rfc822; alice@acme.test\nOriginal-Message-ID: <{world.vpn_reply_id}>\n"
        "Disposition: manual-action/MDN-sent-manually; displayed\n--MDN--\n",
    )
    return [
        Case(
            "dsn-bounce-message-rfc822",
            _dsn_bounce("dsn-full", original_id=dsn_id, recipient=gone, world=world, headers_only=False),
            BOUNCE_RECORDED,
            ticket="gone",
            bounced=dsn_id,
            bounced_recipient=gone,
        ),
        Case(
            "dsn-bounce-redelivered",
            b"Received: from again by mx; Tue, 4 Mar 2025 10:00:00 +0000\r\n"
            + _dsn_bounce("dsn-full", original_id=dsn_id, recipient=gone, world=world, headers_only=False),
            BOUNCE_RECORDED,
            ticket="gone",
            same_as="dsn-bounce-message-rfc822",
        ),
        Case(
            "dsn-bounce-rfc822-headers",
            _dsn_bounce(
                "dsn-headers", original_id=headers_id, recipient=gone, world=world, headers_only=True
            ),
            BOUNCE_RECORDED,
            ticket="gone",
            bounced=headers_id,
            bounced_recipient=gone,
        ),
        Case("qmail-bounce", qmail, BOUNCE_RECORDED, ticket="gone", bounced=qmail_id, bounced_recipient=gone),
        Case("exim-bounce", exim, BOUNCE_RECORDED, ticket="gone", bounced=exim_id, bounced_recipient=gone),
        Case(
            "postfix-plain-bounce",
            postfix,
            BOUNCE_RECORDED,
            ticket="gone",
            bounced=postfix_id,
            bounced_recipient=gone,
        ),
        Case(
            "exchange-ndr",
            exchange,
            BOUNCE_RECORDED,
            ticket="gone",
            bounced=exchange_id,
            bounced_recipient=gone,
        ),
        Case("delay-warning-is-not-a-failure", delayed, BOUNCE, ticket="vpn"),
        Case("bounce-matching-nothing", unmatched, BOUNCE),
        Case("forged-bounce-naming-a-stranger", forged, BOUNCE, ticket="vpn"),
        Case("read-receipt", read_receipt, BOUNCE),
    ]


def _loops(world: World) -> list[Case]:
    return [
        Case(
            "our-own-message-id",
            _simple(
                "own-id",
                sender="Someone <someone@newco.test>",
                subject=f"Re: VPN drops [#{world.vpn_ticket}]",
                message_id=world.vpn_reply_id,
            ),
            LOOP,
            ticket="vpn",
        ),
        Case(
            "our-own-from",
            _simple("own-from", sender=f"Support <{world.support}>", subject="Copy of our reply"),
            LOOP,
        ),
        Case(
            "our-x-loop",
            _simple("x-loop", sender=ALICE, subject="Forwarded back", extra=f"X-Loop: {world.support}\n"),
            LOOP,
        ),
        Case(
            "blocked-domain",
            _simple("blocked", sender="Spammer <bulk@spam-factory.test>", subject="Cheap pills"),
            BLOCKED,
        ),
    ]


# --- Threading -----------------------------------------------------------------------------------


def _threading(world: World) -> list[Case]:
    tid = world.vpn_ticket
    reply_head = f"From: {ALICE}\nTo: Support <{world.support}>\n{ALICE_DATE}\nMIME-Version: 1.0\n"
    outlook_html = (
        "<html><body><div>It works again after the update.</div>"
        '<div id="appendonsend"></div><hr style="display:inline-block;width:98%">'
        '<div id="divRplyFwdMsg"><b>From:</b> Support &lt;support@helpdesk.test&gt;<br>'
        "<b>Sent:</b> Monday, March 3, 2025 9:00 AM<br><b>To:</b> Alice<br>"
        f"<b>Subject:</b> Re: VPN drops [#{tid}]</div><div>Please update the client.</div></body></html>"
    )
    return [
        Case(
            "reply-by-in-reply-to-gmail",
            _eml(
                reply_head + f"Subject: Re: VPN drops\nMessage-ID: <gmail-r1@acme.test>\n"
                f"In-Reply-To: <{world.vpn_reply_id}>\n"
                f"References: <{world.vpn_first_id}> <{world.vpn_reply_id}>\n"
                'Content-Type: multipart/alternative; boundary="G"',
                "--G\nContent-Type: text/plain; charset=UTF-8\n\nStill dropping at noon.\n\n"
                "On Mon, 3 Mar 2025 at 09:00, Support <support@helpdesk.test> wrote:\n\n"
                "> Please update the client.\n>\n"
                '--G\nContent-Type: text/html; charset=UTF-8\n\n<div dir="ltr">Still dropping at noon.</div>'
                '<div class="gmail_quote"><div class="gmail_attr">On Mon, 3 Mar 2025 at 09:00, Support '
                "wrote:</div><blockquote>Please update the client.</blockquote></div>\n--G--\n",
            ),
            THREADED,
            ticket="vpn",
            text_has=("Still dropping at noon.",),
            text_lacks=("Please update the client.",),
        ),
        Case(
            "reply-by-references-only-outlook-html",
            _eml(
                reply_head + "Subject: RE: VPN drops\nMessage-ID: <outlook-r2@acme.test>\n"
                f"References: <{world.vpn_first_id}> <{world.vpn_reply_id}>\n"
                "Thread-Topic: VPN drops\nThread-Index: AQHbB2Y3\n"
                "Content-Type: text/html; charset=windows-1252\nContent-Transfer-Encoding: quoted-printable",
                _qp(outlook_html, "cp1252"),
            ),
            THREADED,
            ticket="vpn",
            text_has=("It works again after the update.",),
            text_lacks=("Please update the client.",),
        ),
        Case(
            "reply-by-subject-reference-apple",
            _eml(
                reply_head + f"Subject: Re: VPN drops [#{tid}]\nMessage-ID: <apple-r3@acme.test>\n"
                "Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes\n"
                "Content-Transfer-Encoding: quoted-printable",
                "One more thing: it also drops on =\nWi-Fi. \nThanks\n\nSent from my iPhone\n\n"
                "> On 3 Mar 2025, at 09:00, Support <support@helpdesk.test> wrote:\n>\n"
                "> =EF=BB=BFPlease update the client.\n",
            ),
            THREADED,
            ticket="vpn",
            text_has=("it also drops on Wi-Fi.",),
            text_lacks=("Please update the client.", "Sent from my iPhone"),
        ),
        Case(
            "reply-in-reply-to-without-brackets",
            _simple(
                "no-brackets",
                sender=ALICE,
                subject="Re: VPN",
                body="No brackets in my client.",
                extra=f"In-Reply-To: {world.vpn_first_id}\n",
            ),
            THREADED,
            ticket="vpn",
        ),
        Case(
            "coworker-cc-reply",
            _simple(
                "bob-reply",
                sender="Bob <bob@acme.test>",
                subject=f"Re: VPN drops [#{tid}]",
                body="Same here.",
                extra=f"In-Reply-To: <{world.vpn_reply_id}>\n",
            ),
            THREADED,
            ticket="vpn",
        ),
        Case(
            "agent-mails-in",
            _simple(
                "agent-in",
                sender=f"Agent <{world.agent_email}>",
                subject=f"Re: VPN drops [#{tid}]",
                body="Note from my phone.",
            ),
            THREADED,
            ticket="vpn",
        ),
        Case(
            "stranger-quoting-the-ticket",
            _simple(
                "stranger",
                sender="Eve <eve@globex.test>",
                subject=f"Re: VPN drops [#{tid}]",
                body="Let me in.",
                extra=f"In-Reply-To: <{world.vpn_reply_id}>\n",
            ),
            OPENED,
        ),
        Case(
            "reply-to-closed-ticket",
            _simple(
                "closed-reply",
                sender=ALICE,
                subject=f"Re: Old problem [#{world.closed_ticket}]",
                body="It came back.",
            ),
            OPENED,
        ),
        Case(
            "unknown-ticket-reference",
            _simple("unknown-ref", sender=ALICE, subject="Re: [#987654321] something", body="Hm."),
            OPENED,
        ),
        Case(
            "new-thread-start",
            _simple(
                "thread-start",
                sender="Hank <hank@acme.test>",
                subject="Monitor flickers",
                body="My monitor flickers.",
            ),
            OPENED,
        ),
        Case(
            "reply-to-earlier-corpus-message",
            _simple(
                "thread-reply",
                sender="Hank <hank@acme.test>",
                subject="Re: Monitor flickers",
                body="Now it is black.",
                extra="In-Reply-To: <thread-start@corpus.test>\nReferences: <thread-start@corpus.test>\n",
            ),
            THREADED,
            ticket="case:new-thread-start",
            text_has=("Now it is black.",),
        ),
        Case(
            "reply-by-references-of-forwarded-chain",
            _simple(
                "refs-chain",
                sender="Hank <hank@acme.test>",
                subject="Re: Re: Monitor flickers",
                body="Third message.",
                extra="References: <unknown-root@elsewhere.test> <thread-start@corpus.test> "
                "<thread-reply@corpus.test>\n",
            ),
            THREADED,
            ticket="case:new-thread-start",
        ),
    ]


def cases(world: World) -> list[Case]:
    """Return every corpus message, in the order they are ingested."""
    return [
        *_charsets(),
        *_structure(world),
        *_hostile(),
        *_threading(world),
        *_auto(world),
        *_bounces(world),
        *_loops(world),
    ]
