"""Turning the bytes and headers of real-world mail into text without ever failing.

Mail in the wild declares the wrong charset, declares none, or puts raw 8-bit bytes in headers.
The rule here: use what the message declares when it decodes cleanly, prefer UTF-8 when a
"Western" declaration would turn valid UTF-8 into mojibake, and fall back to detection.
"""

from __future__ import annotations

import codecs
import re
from email.header import Header, decode_header

# Declarations that decode any byte sequence, so they can hide UTF-8 mis-declared as Latin-1.
_PERMISSIVE = {"latin-1", "iso8859-1", "iso-8859-1", "cp1252", "windows-1252", "ascii", "us-ascii"}

_SURROGATE = re.compile("[\udc80-\udcff]")
_ENCODED_WORD = re.compile(r"=\?[^?]+\?[bBqQ]\?[^?]*\?=")


def _normal_charset(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip('"').lower()
    if name in ("unknown-8bit", "x-unknown", "unknown", "8bit", "default"):
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Decode body bytes: the declared charset if it fits, else UTF-8, else detection."""
    if not data:
        return ""
    charset = _normal_charset(declared)
    if data.isascii():
        return data.decode("ascii")
    if charset and charset not in _PERMISSIVE:
        try:
            return data.decode(charset)
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if charset in _PERMISSIVE and charset not in ("ascii", "us-ascii"):
        return data.decode("cp1252" if charset in ("cp1252", "windows-1252") else charset,
                           errors="replace")
    return _detect(data)


def _detect(data: bytes) -> str:
    # Detection needs material: on a few bytes it guesses exotic encodings. A UK office's
    # short undeclared 8-bit text is Windows-1252 far more often than anything else.
    if len(data) < 200:
        return data.decode("cp1252", errors="replace")
    from charset_normalizer import from_bytes

    best = from_bytes(data[:65536]).best()
    if best is not None and best.encoding:
        try:
            return data.decode(best.encoding, errors="replace")
        except LookupError:
            pass
    return data.decode("cp1252", errors="replace")


def header_text(value: object) -> str:
    """Decode one header value (RFC 2047 words, raw 8-bit bytes) into clean single-line text."""
    if value is None:
        return ""
    if isinstance(value, Header):
        # compat32 wraps a header holding raw 8-bit bytes in a Header of "unknown-8bit" chunks;
        # str() of it would turn every such byte into U+FFFD. Decode the chunks ourselves.
        value = _join_chunks(decode_header(value))
    elif not isinstance(value, str):
        value = str(value)
    if not value.isascii() and _SURROGATE.search(value):
        # 8-bit bytes in the header: compat32 keeps them as surrogate escapes.
        value = decode_bytes(value.encode("ascii", "surrogateescape"))
    if "=?" in value and _ENCODED_WORD.search(value):
        value = _decode_words(value)
    return " ".join(value.split())


def _decode_words(value: str) -> str:
    try:
        parts = decode_header(value)
    except Exception:  # email.errors.HeaderParseError and friends: keep the text as it came
        return value
    return _join_chunks(parts)


def _join_chunks(parts: list[tuple[bytes | str, str | None]]) -> str:
    out: list[str] = []
    for chunk, charset in parts:
        if isinstance(chunk, bytes):
            out.append(decode_bytes(chunk, charset))
        else:
            out.append(chunk)
    # decode_header drops the whitespace between an encoded word and plain text inconsistently;
    # joining the plain runs as they came and the encoded ones bare matches RFC 2047's rules.
    return "".join(out)
