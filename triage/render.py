"""What the reading pane needs from a stored message's original: its HTML made safe to show, and
its attachments' bytes. Both come from the raw source, which the store keeps exactly."""

from __future__ import annotations

import email
from pathlib import PurePath

from .htmltext import sanitise_html
from .parse import parse_message
from .textcodec import header_text


def safe_html(raw: bytes, kind: str) -> str | None:
    """The message's HTML part, sanitised (no scripts, no remote loads), or None."""
    if kind == "msg":
        from .outlook import parse_msg

        html = parse_msg(raw).html
    else:
        html = parse_message(raw).html
    return sanitise_html(html) if html else None


def attachment_bytes(raw: bytes, kind: str, index: int) -> tuple[str, bytes]:
    """The `index`-th attachment (in the order the parser listed them): name and content."""
    if kind == "msg":
        import extract_msg

        msg = extract_msg.openMsg(raw, strict=False, delayAttachments=False)
        try:
            att = (msg.attachments or [])[index]
            name = getattr(att, "longFilename", None) or getattr(att, "name", None) or "attachment"
            data = att.data if isinstance(att.data, (bytes, bytearray)) else b""
            return safe_filename(str(name)), bytes(data)
        finally:
            msg.close()
    message = email.message_from_bytes(raw)
    parsed = parse_message(raw)
    wanted = parsed.attachments[index]
    seen = -1
    for part in message.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        name = header_text(filename) if filename else None
        ctype = part.get_content_type()
        if name == wanted.filename or (name is None and wanted.filename == f"(unnamed {ctype})"):
            seen += 1
            same_before = sum(1 for a in parsed.attachments[:index] if a.filename == wanted.filename)
            if seen == same_before:
                return safe_filename(wanted.filename), part.get_payload(decode=True) or b""
    raise KeyError(index)


def safe_filename(name: str) -> str:
    """A name that cannot climb out of the folder it is saved in."""
    base = PurePath(name.replace("\\", "/")).name.strip().lstrip(".")
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')
    return cleaned[:150] or "attachment"
