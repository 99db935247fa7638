"""Outlook .msg files (OLE2 compound files) through extract-msg, into the same `Message`."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timezone
from email.utils import getaddresses, parseaddr

from .htmltext import html_to_text
from .message import Attachment, Message, ParseError
from .parse import MAX_BODY_CHARS, _message_id
from .quoting import split_reply
from .textcodec import decode_bytes, header_text

_MSGID = re.compile(r"<[^<>\s]+>")


def parse_msg(raw: bytes, *, fallback_date: datetime | None = None) -> Message:
    import extract_msg

    # extract-msg logs every unusual property at WARNING; the import reports what matters itself.
    logging.getLogger("extract_msg").setLevel(logging.ERROR)
    try:
        msg = extract_msg.openMsg(raw, strict=False, delayAttachments=False)
    except Exception as exc:  # olefile/extract-msg raise many types for corrupt files
        raise ParseError(f"unreadable Outlook .msg file: {exc}") from exc
    try:
        return _to_message(msg, fallback_date)
    except ParseError:
        raise
    except Exception as exc:
        raise ParseError(f"unreadable Outlook .msg content: {exc}") from exc
    finally:
        msg.close()


def _to_message(msg: object, fallback_date: datetime | None) -> Message:
    get = lambda name: getattr(msg, name, None)  # noqa: E731 - extract-msg raises on some props
    warnings: list[str] = []
    headers = get("header")
    sender_name, sender_address = parseaddr(header_text(get("sender")))
    recipients = tuple(
        f"{n} <{a}>" if n and a else (a or n)
        for n, a in getaddresses([header_text(get("to")), header_text(get("cc"))])
        if a or n
    )
    date = get("date")
    if isinstance(date, datetime):
        if date.tzinfo is None:
            date = date.replace(tzinfo=timezone.utc)
        date, date_source = date.astimezone(timezone.utc), "header"
    elif fallback_date is not None:
        date, date_source = fallback_date.astimezone(timezone.utc), "file"
        warnings.append("date taken from the file's modification time")
    else:
        date, date_source = datetime.now(timezone.utc).replace(microsecond=0), "import"
        warnings.append("no date: import time used")
    html_raw = get("htmlBody")
    html = decode_bytes(html_raw) if isinstance(html_raw, bytes) and html_raw.strip() else None
    body = get("body") or ""
    if not body.strip() and html:
        body = html_to_text(html)
    body = body.replace("\r\n", "\n").replace("\r", "\n")[:MAX_BODY_CHARS]
    new_text, quoted_text = split_reply(body)
    attachments = []
    for att in get("attachments") or []:
        name = getattr(att, "longFilename", None) or getattr(att, "name", None) or "(unnamed)"
        data = getattr(att, "data", None)
        size = len(data) if isinstance(data, (bytes, bytearray)) else 0
        ctype = getattr(att, "mimetype", None) or "application/octet-stream"
        attachments.append(Attachment(str(name), str(ctype), size))
    in_reply_to = headers.get("In-Reply-To") if headers is not None else None
    references = headers.get("References") if headers is not None else None
    return Message(
        message_id=_message_id(get("messageId")),
        in_reply_to=_message_id(in_reply_to),
        references=tuple(_MSGID.findall(header_text(references))),
        sender_name=sender_name,
        sender_address=sender_address.lower(),
        recipients=recipients,
        subject=header_text(get("subject")),
        date=date,
        date_source=date_source,
        body_text=body,
        new_text=new_text,
        quoted_text=quoted_text,
        html=html,
        attachments=tuple(attachments),
        warnings=tuple(warnings),
    )
