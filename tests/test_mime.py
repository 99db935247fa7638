"""The fast MIME tree builder must build exactly what the standard library builds, or decline."""

from __future__ import annotations

import email
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.mime import parse_tree
from triage.synth import iter_synthetic

ROOT = Path(__file__).resolve().parent.parent


def shape(msg: email.message.Message) -> tuple:
    """Everything the parser decides about a message, recursively."""
    payload = msg._payload
    return (msg._headers, [shape(p) for p in payload] if isinstance(payload, list) else payload,
            msg.preamble, msg.epilogue, [type(d).__name__ for d in msg.defects],
            msg._default_type, msg._unixfrom, msg._charset)


def check(raw: bytes) -> bool:
    """True when the fast path took the message (and then its tree is the standard one)."""
    fast = parse_tree(raw)
    if fast is None:
        return False
    assert shape(fast) == shape(email.message_from_bytes(raw)), raw[:300]
    return True


def test_every_corpus_and_demo_message_and_synthetic_mail_gives_the_standard_tree() -> None:
    raws = [p.read_bytes() for p in sorted((ROOT / "models" / "corpus").rglob("*.eml"))]
    raws += [p.read_bytes() for p in sorted((ROOT / "triage" / "demo").rglob("*.eml"))]
    raws += list(iter_synthetic(200, seed=5))
    raws += [r.replace(b"\r\n", b"\n") for r in iter_synthetic(200, seed=6)]
    taken = sum(check(raw) for raw in raws)
    # The point is speed: real, well-formed mail must take the fast path.
    assert taken >= 0.98 * len(raws), (taken, len(raws))


HEAD = b"From: a@example.org\nSubject: s\nMIME-Version: 1.0\n"


def mp(body: bytes, ctype: bytes = b'multipart/alternative; boundary="BB"', extra: bytes = b"") -> bytes:
    return HEAD + b"Content-Type: " + ctype + b"\n" + extra + b"\n" + body


TAKEN = {
    "plain LF": HEAD + b"\nhello\n",
    "plain CRLF": (HEAD + b"\nhello\nworld\n").replace(b"\n", b"\r\n"),
    "continuation lines": b"From: a@example.org\nSubject: one\n two\n\tthree\nX-Empty:\nX-Blank: \n \n\nbody",
    "no final newline": HEAD + b"\nbody without newline",
    "empty body": HEAD + b"\n",
    "8-bit header and body": b"From: J\xf6rg <j@example.org>\nSubject: caf\xe9\n\nna\xefve \xe2\x80\x94 body\n",
    "multipart with preamble and epilogue": mp(
        b"This is a preamble.\n\n--BB\nContent-Type: text/plain\n\nplain\n\n--BB\n"
        b"Content-Type: text/html\n\n<p>html</p>\n--BB--\nepilogue line\n"),
    "boundary with trailing blanks, close at EOF": mp(b"--BB  \n\npart with no headers\n--BB-- \t"),
    "empty preamble line": mp(b"\n--BB\n\nx\n--BB--\n"),
    "part with empty body": mp(b"--BB\nContent-Type: text/plain\n\n--BB\n\ny\n--BB--\n"),
    "boundary-like lines that are not boundaries": mp(
        b"--BB\n\n--BBX\n --BB\n--BB-x\n--BB---\ntext\n--BB--\n"),
    "nested multiparts": mp(
        b"--BB\nContent-Type: multipart/alternative; boundary=inner\n\npre\n--inner\n\na\n--inner\n"
        b"Content-Type: text/html\n\n<b>b</b>\n--inner--\n\ninner epilogue\n\n--BB\n"
        b"Content-Type: application/pdf; name=x.pdf\nContent-Transfer-Encoding: base64\n\nJVBERi0=\n--BB--\n",
        ctype=b"multipart/mixed; boundary=BB"),
    "nested with empty epilogue": mp(
        b"--BB\nContent-Type: multipart/related; boundary=in\n\n--in\n\na\n--in--\n--BB--\n",
        ctype=b"multipart/mixed; boundary=BB"),
    "CRLF multipart": mp(b"--BB\nContent-Type: text/plain\n\nx\n--BB--\n").replace(b"\n", b"\r\n"),
    "quoted-printable and base64 parts": mp(
        b"--BB\nContent-Transfer-Encoding: quoted-printable\n\nsoft=\nbreak =E2=80=94\n--BB\n"
        b"Content-Transfer-Encoding: base64\n\naGVsbG8=\n--BB--\n"),
}

DECLINED = {
    "lone CR": HEAD + b"\nline\rother\n",
    "no blank line after the headers": b"From: a@example.org\nSubject: s\nthis is body text\n",
    "headers only": b"From: a@example.org\nSubject: s\n",
    "mbox From line": b"From someone Mon Jan  1 00:00:00 2024\nSubject: s\n\nx",
    "continuation first": b" folded\nFrom: a@example.org\n\nx",
    "empty header name": b"From: a@example.org\n: nameless\n\nx",
    "unclosed multipart": mp(b"--BB\n\nx\n"),
    "no start boundary": mp(b"just text\n--BB--\n"),
    "boundary never appears": mp(b"just text\n"),
    "no boundary parameter": mp(b"--BB\n\nx\n--BB--\n", ctype=b"multipart/alternative"),
    "double boundary line": mp(b"--BB\n--BB\n\nx\n--BB--\n"),
    "part with no header separator": mp(b"--BB\nContent-Type: text/plain\n--BB--\n"),
    "message/rfc822 part": mp(b"--BB\nContent-Type: message/rfc822\n\nSubject: in\n\nx\n--BB--\n"),
    "digest": mp(b"--BB\n\nSubject: in\n\nx\n--BB--\n", ctype=b"multipart/digest; boundary=BB"),
    "encoded multipart": mp(b"--BB\n\nx\n--BB--\n", extra=b"Content-Transfer-Encoding: base64\n"),
}


@pytest.mark.parametrize("name", sorted(TAKEN))
def test_well_formed_shapes_take_the_fast_path_and_match(name: str) -> None:
    assert check(TAKEN[name]), f"{name}: the fast path declined"


@pytest.mark.parametrize("name", sorted(DECLINED))
def test_irregular_mail_is_left_to_the_standard_library(name: str) -> None:
    assert parse_tree(DECLINED[name]) is None, name


def _nested(depth: int) -> bytes:
    body = b""
    for i in range(depth):
        body += b"--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n" % (i, i + 1)
    body += b"--b%d\n\nleaf\n--b%d--\n" % (depth, depth)
    for i in range(depth - 1, -1, -1):
        body += b"--b%d--\n" % i
    return mp(body, ctype=b"multipart/mixed; boundary=b0")


def test_deep_nesting_is_left_to_the_standard_library() -> None:
    """The builder recurses per level; the standard parser read 900 levels where it could not."""
    assert check(_nested(5))
    deep = _nested(700)
    assert parse_tree(deep) is None
    from triage.parse import parse_message

    assert parse_message(deep).body_text.strip() == "leaf"


# Generated messages: multipart structures assembled from pieces that are each legal or
# slightly off (boundary look-alikes, blanks after boundaries, parts without headers, nested
# multiparts, a stray bad line now and then), so the fast path is exercised near every decision
# it makes. Whatever it takes must match the standard tree exactly.
_TEXT = st.sampled_from([b"text", b"", b" indented", b"--BX", b"--B-x", b" --B", b"--C", b"=E2=80",
                         b"caf\xe9", b"X-Not: a header here", b"--B---"])
_RARE = st.sampled_from([b"a\rb", b"From x", b"--B", b"--B--", b"\tcont"])
_PART_HEADER = st.sampled_from([b"Content-Type: text/plain", b"Content-Type: text/html; charset=utf-8",
                                b"Content-Transfer-Encoding: quoted-printable", b"X-H: v", b" folded",
                                b"Content-Type: message/rfc822", b"Content-Disposition: inline"])


@st.composite
def _lines(draw: st.DrawFn) -> list[bytes]:
    out = [draw(_TEXT) for _ in range(draw(st.integers(0, 3)))]
    if draw(st.integers(0, 9)) == 0:
        out.append(draw(_RARE))
    return out


@st.composite
def _multipart_body(draw: st.DrawFn, boundary: bytes, depth: int) -> list[bytes]:
    tail = st.sampled_from([b"", b" ", b"\t ", b"x"])
    body = draw(_lines())  # preamble
    for _ in range(draw(st.integers(0, 3))):
        body.append(b"--" + boundary + draw(tail))
        headers = draw(st.lists(_PART_HEADER, max_size=2))
        nested = depth == 0 and draw(st.integers(0, 3)) == 0
        if nested:
            headers.append(b"Content-Type: multipart/alternative; boundary=C")
        body += headers
        if draw(st.integers(0, 9)):
            body.append(b"")  # the header/body separator, usually there
        body += draw(_multipart_body(b"C", depth + 1)) if nested else draw(_lines())
    if draw(st.integers(0, 9)):
        body.append(b"--" + boundary + b"--" + draw(tail))
    return body + draw(_lines())  # epilogue


@settings(max_examples=600, deadline=None)
@given(head=st.lists(st.sampled_from([b"Subject: s", b"X-A: 1", b" cont", b"To: b@example.org"]), max_size=3),
       ctype=st.sampled_from([b"multipart/mixed; boundary=B", b'multipart/alternative; boundary="B"',
                              b"text/plain", b"multipart/mixed"]),
       body=_multipart_body(b"B", 0), crlf=st.booleans(), final_newline=st.booleans())
def test_generated_messages_match_the_standard_tree_whenever_taken(
        head: list[bytes], ctype: bytes, body: list[bytes], crlf: bool, final_newline: bool) -> None:
    lines = [b"From: a@example.org", *head, b"Content-Type: " + ctype, b"", *body]
    raw = b"\n".join(lines) + (b"\n" if final_newline else b"")
    if crlf:
        raw = raw.replace(b"\n", b"\r\n")
    check(raw)
