"""Parsing real-world mail: encodings, MIME structure, dates, attachments."""

from __future__ import annotations

import base64
import quopri
from datetime import datetime, timezone

import pytest
from conftest import eml

from triage.message import ParseError
from triage.parse import parse_message


def test_plain_message_fields() -> None:
    raw = eml(extra_headers="In-Reply-To: <prev@x.org>\nReferences: <a@x.org> <prev@x.org>\nCc: Sam <sam@x.org>")
    msg = parse_message(raw)
    assert msg.message_id == "<m1@example.org>"
    assert msg.in_reply_to == "<prev@x.org>"
    assert msg.references == ("<a@x.org>", "<prev@x.org>")
    assert (msg.sender_name, msg.sender_address) == ("Jo Bloggs", "jo@example.org")
    assert msg.recipients == ("Helen Marsh MP <casework@helenmarsh-mp.org.uk>", "Sam <sam@x.org>")
    assert msg.date == datetime(2025, 10, 14, 8, 12, 44, tzinfo=timezone.utc)
    assert msg.date_source == "header"
    assert msg.body_text == "Body text"


def test_rfc2047_headers_are_decoded() -> None:
    raw = eml(subject="=?utf-8?q?Zo=C3=AB=27s_annual_review?= =?utf-8?b?4oCTIHVyZ2VudA==?=",
              sender="=?iso-8859-1?q?In=EAs_Ferreira?= <ines@example.org>")
    msg = parse_message(raw)
    assert msg.subject == "Zoë's annual review– urgent"
    assert msg.sender_name == "Inês Ferreira"


def test_encoded_word_mixed_with_plain_text_keeps_spaces() -> None:
    msg = parse_message(eml(subject="Re: =?utf-8?q?Caf=C3=A9?= meeting on Friday"))
    assert msg.subject == "Re: Café meeting on Friday"


def test_raw_8bit_utf8_and_latin1_headers() -> None:
    raw = eml(subject="placeholder").replace(b"Subject: placeholder", "Subject: Chloé’s EHCP".encode("utf-8"))
    assert parse_message(raw).subject == "Chloé’s EHCP"
    raw = eml(subject="placeholder").replace(b"Subject: placeholder", "Subject: Chloé".encode("latin-1"))
    assert parse_message(raw).subject == "Chloé"


def test_quoted_printable_latin1_body() -> None:
    body = quopri.encodestring("Mon fils a besoin d'aide à l'école — merci".encode("cp1252")).decode()
    raw = eml(body=body, content_type='text/plain; charset="windows-1252"', encoding="quoted-printable")
    assert parse_message(raw).body_text == "Mon fils a besoin d'aide à l'école — merci"


def test_base64_body() -> None:
    body = base64.encodebytes("Ein Gruß aus Köln".encode("utf-8")).decode()
    raw = eml(body=body, content_type="text/plain; charset=utf-8", encoding="base64")
    assert parse_message(raw).body_text == "Ein Gruß aus Köln"


def test_missing_charset_with_utf8_bytes() -> None:
    raw = eml(body="Naïve café – résumé", content_type="text/plain")
    assert parse_message(raw).body_text == "Naïve café – résumé"


def test_wrong_charset_declared_ascii_but_utf8() -> None:
    raw = eml(body="Siân’s plan", content_type='text/plain; charset="us-ascii"')
    assert parse_message(raw).body_text == "Siân’s plan"


def test_declared_latin1_but_actually_utf8_prefers_utf8() -> None:
    raw = eml(body="Zoë needs help", content_type='text/plain; charset="iso-8859-1"')
    assert parse_message(raw).body_text == "Zoë needs help"


def test_unknown_charset_falls_back_without_crashing() -> None:
    raw = eml(body="caf\xe9".encode("latin-1").decode("latin-1"), content_type="text/plain; charset=x-made-up")
    raw = raw.replace("café".encode("utf-8"), b"caf\xe9")
    assert parse_message(raw).body_text.startswith("caf")


def test_undecodable_bytes_never_crash() -> None:
    raw = eml(body="x") .replace(b"\n\nx", b"\n\n\xff\xfe\xfa bad \xc3\x28 bytes")
    assert "bad" in parse_message(raw).body_text


ALTERNATIVE = b"""From: Council <noreply@caldervale.gov.uk>
To: casework@helenmarsh-mp.org.uk
Subject: Newsletter
Date: Wed, 04 Mar 2026 10:00:00 +0000
Message-ID: <alt@x.org>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="XYZ"

--XYZ
Content-Type: text/plain; charset=utf-8

The plain version.
--XYZ
Content-Type: text/html; charset=utf-8

<html><body><p>The <b>HTML</b> version.</p><img src="https://track.example.com/p.gif"></body></html>
--XYZ--
"""


def test_multipart_alternative_prefers_plain_and_keeps_html() -> None:
    msg = parse_message(ALTERNATIVE)
    assert msg.body_text == "The plain version."
    assert msg.html is not None and "<b>HTML</b>" in msg.html


def test_html_only_mail_becomes_readable_text() -> None:
    raw = eml(body="<html><head><style>p{color:red}</style></head><body><h1>Offer day</h1>"
                   "<p>Places are <b>allocated</b> on 1&nbsp;March.</p><ul><li>Apply</li><li>Wait</li></ul>"
                   "<script>alert(1)</script></body></html>",
              content_type="text/html; charset=utf-8")
    msg = parse_message(raw)
    assert "Offer day" in msg.body_text
    assert "Places are allocated on 1 March." in msg.body_text
    assert "• Apply" in msg.body_text and "• Wait" in msg.body_text
    assert "alert" not in msg.body_text and "color" not in msg.body_text


def test_attachments_are_recorded_not_stored_in_body() -> None:
    pdf = b"%PDF-1.4 fake" * 100
    raw = (b"From: a@x.org\nSubject: Report\nDate: Wed, 04 Mar 2026 10:00:00 +0000\n"
           b"Message-ID: <att@x.org>\nMIME-Version: 1.0\n"
           b'Content-Type: multipart/mixed; boundary="B"\n\n--B\nContent-Type: text/plain\n\nSee attached.\n'
           b'--B\nContent-Type: application/pdf; name="EP report.pdf"\n'
           b'Content-Disposition: attachment; filename="=?utf-8?q?EP_r=C3=A9port.pdf?="\n'
           b"Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(pdf) + b"--B--\n")
    msg = parse_message(raw)
    assert msg.body_text == "See attached."
    assert len(msg.attachments) == 1
    att = msg.attachments[0]
    assert (att.filename, att.content_type, att.size) == ("EP réport.pdf", "application/pdf", len(pdf))


@pytest.mark.parametrize("header, expected", [
    ("Tue, 14 Oct 2025 09:12:44 +0100", datetime(2025, 10, 14, 8, 12, 44, tzinfo=timezone.utc)),
    ("14 Oct 2025 09:12 -0500", datetime(2025, 10, 14, 14, 12, tzinfo=timezone.utc)),
    ("Tue, 14 Oct 2025 09:12:44 GMT", datetime(2025, 10, 14, 9, 12, 44, tzinfo=timezone.utc)),
    ("2025-10-14 09:12:44", datetime(2025, 10, 14, 9, 12, 44, tzinfo=timezone.utc)),
    ("2025-10-14T09:12:44+02:00", datetime(2025, 10, 14, 7, 12, 44, tzinfo=timezone.utc)),
    ("14/10/2025 09:12", datetime(2025, 10, 14, 9, 12, tzinfo=timezone.utc)),
    ("14th October 2025", datetime(2025, 10, 14, tzinfo=timezone.utc)),
])
def test_odd_date_formats_normalise_to_utc(header: str, expected: datetime) -> None:
    msg = parse_message(eml(date=header))
    assert msg.date == expected
    assert msg.date_source == "header"


def test_missing_date_falls_back_to_file_time_and_says_so() -> None:
    file_time = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
    msg = parse_message(eml(date=None), fallback_date=file_time)
    assert msg.date == file_time and msg.date_source == "file"
    assert any("file's modification time" in w for w in msg.warnings)


def test_garbage_date_falls_back_and_warns() -> None:
    file_time = datetime(2024, 5, 6, tzinfo=timezone.utc)
    msg = parse_message(eml(date="sometime last week"), fallback_date=file_time)
    assert msg.date == file_time
    assert any("unreadable Date" in w for w in msg.warnings)


def test_no_date_and_no_file_uses_import_time() -> None:
    before = datetime.now(timezone.utc).replace(microsecond=0)
    msg = parse_message(eml(date=None))
    assert msg.date_source == "import" and msg.date >= before


def test_crlf_and_lf_give_the_same_message() -> None:
    lf = eml(body="line one\nline two\n")
    crlf = lf.replace(b"\n", b"\r\n")
    a, b = parse_message(lf), parse_message(crlf)
    assert a.body_text == b.body_text == "line one\nline two\n"
    assert a.subject == b.subject and a.date == b.date


def test_quoted_reply_and_signature_are_split_not_lost() -> None:
    body = ("Thanks, the hearing is now on 3 March.\n\n--\nJo Bloggs\nParent\n\n"
            "On Mon, 2 Mar 2026 at 10:00, Office <office@x.org> wrote:\n> We chased the council.\n")
    msg = parse_message(eml(body=body))
    assert msg.new_text == "Thanks, the hearing is now on 3 March."
    assert "Jo Bloggs" in msg.quoted_text and "> We chased the council." in msg.quoted_text


@pytest.mark.parametrize("raw, reason", [
    (b"", "empty"),
    (b"   \n\n  ", "empty"),
    (b"\x00\x01\x02binary\x00junk" * 10, "binary"),
    (b"just some words that are not an email at all\nmore words\n", "no header"),
    (b"X-Foo: bar\nX-Bar: baz\n\nbody", "none of From"),
])
def test_not_an_email_is_a_parse_error_with_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        parse_message(raw)
