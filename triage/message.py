"""The records that flow through the core: a parsed message, its attachments, a parse failure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True, slots=True)
class Message:
    """One email, parsed. Immutable; the raw bytes are kept by the store, not here."""

    message_id: str | None  # as in the header, with angle brackets
    in_reply_to: str | None
    references: tuple[str, ...]
    sender_name: str
    sender_address: str
    recipients: tuple[str, ...]
    subject: str
    date: datetime  # timezone-aware UTC
    date_source: str  # "header", "file" (file's mtime) or "import" (no date anywhere)
    body_text: str  # whole readable body (plain, or HTML turned into text)
    new_text: str  # the author's own words: quoted replies and signatures removed
    quoted_text: str  # what was removed from new_text, kept for the classifier and the reader
    # The HTML part as sent, NOT safe to display: `htmltext.sanitise_html` first (the store keeps
    # only a flag; the reading pane re-parses the raw source, so imports skip that work).
    html: str | None
    attachments: tuple[Attachment, ...] = ()
    warnings: tuple[str, ...] = field(default=())


class ParseError(Exception):
    """The bytes are not a message we can read. The reason is shown to the user as is."""
