"""Bytes in, `Message` or `ParseError` out. Pure: no I/O, no store.

The standard library's `email` package with the `compat32` policy is the fast path (it measured
about ten times faster than `policy.default` here); the decoding `policy.default` would do for
us — RFC 2047 headers, charsets — is done explicitly in `textcodec`, where it is tested.
"""

from __future__ import annotations

import email
import email.message
import functools
import re
from datetime import datetime, timezone
from email.utils import getaddresses, mktime_tz, parseaddr, parsedate_tz
from typing import Any

from .htmltext import html_to_text
from .message import Attachment, Message, ParseError
from .mime import parse_tree
from .quoting import split_reply
from .textcodec import decode_bytes, header_text

MAX_BODY_CHARS = 1_000_000  # a pasted log or base64 blob must not make one row enormous
_MSGID = re.compile(r"<[^<>\s]+>")
_HEADER_LINE = re.compile(rb"^[\x21-\x39\x3b-\x7e]+:", re.MULTILINE)
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_KNOWN_HEADER = re.compile(rb"^(?:from|date|subject|message-id|to|received):", re.I | re.M)


def parse_message(raw: bytes, *, fallback_date: datetime | None = None) -> Message:
    """Parse one RFC 5322 message. `fallback_date` (e.g. the file's mtime) is used, and the
    message says so, when the Date header is missing or unreadable."""
    head = raw[:8192]
    if not head.strip():
        raise ParseError("empty message")
    warnings: list[str] = []
    if b"\x00" in head:
        end = _HEADER_END.search(head)
        header_block = head[: end.start()] if end else head
        if b"\x00" in header_block:
            if not _KNOWN_HEADER.search(header_block):
                raise ParseError("binary data, not an email (NUL bytes and no mail headers)")
            # A stray NUL in otherwise good headers: drop it to read the message (the raw
            # source is stored untouched).
            raw = header_block.replace(b"\x00", b"") + raw[len(header_block):]
            warnings.append("NUL bytes removed from the header")
    if not _HEADER_LINE.match(head.lstrip()):
        raise ParseError("no header fields at the start: not an email")
    # The same tree either way (tested); the fast builder declines anything irregular.
    msg = parse_tree(raw) or email.message_from_bytes(raw)
    # Every header once, as msg.get() would return it (the first of a name): each get() call
    # scans and lower-cases the whole header list.
    items = [(k.lower(), v) for k, v in msg.items()]
    if not items:
        raise ParseError("no header fields could be read")
    fields: dict[str, Any] = {}
    for k, v in items:
        fields.setdefault(k, v)
    if not fields.keys() & {"from", "date", "subject", "message-id", "to", "received"}:
        raise ParseError("none of From, To, Date, Subject or Message-ID is present: not an email")

    warnings += [type(d).__name__ for d in msg.defects]
    date, date_source = _message_date(fields.get("date"), fallback_date, warnings)
    sender_name, sender_address = parse_address(header_text(fields.get("from")))
    recipients = tuple(
        _format_address(name, addr)
        for name, addr in parse_address_list(
            [header_text(v) for k, v in items if k == "to"] + [header_text(v) for k, v in items if k == "cc"])
        if addr or name
    )
    plain, html, attachments = _walk(msg, warnings)
    if plain is None and html is not None:
        body = html_to_text(html)
    else:
        body = plain or ""
    if len(body) > MAX_BODY_CHARS:
        warnings.append(f"body truncated to {MAX_BODY_CHARS} characters")
        body = body[:MAX_BODY_CHARS]
    if "\r" in body:
        body = body.replace("\r\n", "\n").replace("\r", "\n")
    new_text, quoted_text = split_reply(body)
    return Message(
        message_id=_message_id(fields.get("message-id")),
        in_reply_to=_message_id(fields.get("in-reply-to")),
        references=tuple(_MSGID.findall(header_text(fields.get("references")))),
        sender_name=sender_name,
        sender_address=sender_address.lower(),
        recipients=recipients,
        subject=header_text(fields.get("subject")),
        date=date,
        date_source=date_source,
        body_text=body,
        new_text=new_text,
        quoted_text=quoted_text,
        html=html,
        attachments=tuple(attachments),
        warnings=tuple(dict.fromkeys(warnings)),
    )


_SIMPLE_ADDRESS = re.compile(
    r'^\s*(?:"?([^"<>,;@:\\]*?)"?\s*<([^<>\s,;"@]+@[^<>\s,;"@]+)>|([^<>\s,;"@]+@[^<>\s,;"@]+))\s*$')


def parse_address(value: str) -> tuple[str, str]:
    """(display name, address). The plain forms most mail uses take a regex; anything else
    (quoted commas, comments, groups) goes to the standard library's full parser."""
    found = _SIMPLE_ADDRESS.match(value)
    if found:
        if found.group(3):
            return "", found.group(3)
        return found.group(1).strip(), found.group(2)
    return parseaddr(value)


def parse_address_list(values: list[str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for value in values:
        if '"' not in value and "(" not in value and ":" not in value:
            out.extend(parse_address(part) for part in value.split(",") if part.strip())
        else:
            out.extend(getaddresses([value]))
    return out


def _format_address(name: str, addr: str) -> str:
    return f"{name} <{addr}>" if name and addr else (addr or name)


def _message_id(value: object) -> str | None:
    text = header_text(value)
    if not text:
        return None
    found = _MSGID.search(text)
    return found.group(0) if found else f"<{text.strip('<> ')}>"


def _walk(
    msg: email.message.Message, warnings: list[str]
) -> tuple[str | None, str | None, list[Attachment]]:
    """First inline text/plain and text/html parts, and every attachment."""
    plain: str | None = None
    html: str | None = None
    attachments: list[Attachment] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        if ctype.startswith("multipart/"):
            # A multipart whose boundary never appears: the parser leaves the body as one string.
            # Read it as text rather than lose it (the defect is already in the warnings).
            ctype = "text/plain"
        raw_disposition = part.get("Content-Disposition") or ""
        disposition = raw_disposition.split(";")[0].strip().lower()
        filename = None
        # get_filename() parses every parameter (slow); most parts have no name at all.
        if "name" in raw_disposition.lower() or "name" in (part.get("Content-Type") or "").lower():
            filename = part.get_filename()
            if filename is not None:
                filename = header_text(filename)
        is_attachment = disposition == "attachment" or (filename and disposition != "inline") or (
            not ctype.startswith("text/") and ctype != "message/rfc822"
        )
        try:
            payload = part.get_payload(decode=True)
        except Exception as exc:  # a broken transfer encoding must not lose the message
            warnings.append(f"undecodable part {ctype}: {exc}")
            payload = None
        if payload is None:
            payload = b""
        if is_attachment or ctype not in ("text/plain", "text/html"):
            attachments.append(Attachment(filename or f"(unnamed {ctype})", ctype, len(payload)))
            continue
        text = decode_bytes(payload, _content_charset(part))
        if ctype == "text/plain" and plain is None:
            plain = text
        elif ctype == "text/html" and html is None:
            html = text
        elif ctype == "text/plain" and plain is not None:
            plain += "\n\n" + text  # further inline text parts (e.g. after an inline image)
    return plain, html, attachments


def _content_charset(part: email.message.Message) -> str | None:
    value = part.get("Content-Type")
    if isinstance(value, str):
        return _charset_of(value)
    return part.get_content_charset()


@functools.lru_cache(maxsize=512)
def _charset_of(content_type: str) -> str | None:
    """get_content_charset() of a part with this Content-Type: it parses every parameter
    (slow), and most text parts share a handful of Content-Type values."""
    if "charset" not in content_type.lower():
        return None
    probe = email.message.Message()
    probe["Content-Type"] = content_type
    return probe.get_content_charset()


_DATE_FORMATS = (
    "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M",
    "%Y-%m-%d", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d.%m.%Y %H:%M",
    "%d %B %Y %H:%M", "%d %B %Y", "%A, %d %B %Y %H:%M", "%B %d, %Y %H:%M", "%B %d, %Y",
)


def _message_date(
    value: object, fallback: datetime | None, warnings: list[str]
) -> tuple[datetime, str]:
    text = header_text(value)
    if text:
        parsed = _parse_date(text)
        if parsed is not None:
            return parsed, "header"
        warnings.append(f"unreadable Date header {text[:60]!r}")
    if fallback is not None:
        warnings.append("date taken from the file's modification time")
        return fallback.astimezone(timezone.utc), "file"
    warnings.append("no date: import time used")
    return datetime.now(timezone.utc).replace(microsecond=0), "import"


def _parse_date(text: str) -> datetime | None:
    tup = parsedate_tz(text)
    if tup is not None and tup[0] > 1900:
        try:
            return datetime.fromtimestamp(mktime_tz(tup), timezone.utc)
        except (OverflowError, ValueError, OSError):
            pass
    cleaned = re.sub(r"\s*\((?:[^)]*)\)\s*$", "", text).strip()
    cleaned = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", cleaned)
    cleaned = re.sub(r"\s+(?:UTC|GMT|Z)$", "+0000", cleaned)
    for fmt in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(cleaned, fmt)
        except ValueError:
            continue
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        return parsed.astimezone(timezone.utc)
    try:
        parsed = datetime.fromisoformat(cleaned)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)
