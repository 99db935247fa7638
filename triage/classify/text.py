"""What the model reads: the subject and the author's new words in full, quoted and forwarded
text after them at a lower weight, each bounded so a pasted chain cannot dominate cost."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

MAIN_CHARS = 3000
QUOTED_CHARS = 1500
# A forward whose own words are a line ("FYI, see below") has its substance in the quoted
# part: read more of it then.
SHORT_NEW_TEXT = 200


@dataclass(frozen=True, slots=True)
class ModelInput:
    subject: str
    new_text: str
    quoted_text: str
    sent: date  # the message's Date, for deadlines and urgency

    @property
    def main(self) -> str:
        return f"{self.subject}\n{self.new_text[:MAIN_CHARS]}"

    @property
    def quoted(self) -> str:
        limit = MAIN_CHARS if len(self.new_text) < SHORT_NEW_TEXT else QUOTED_CHARS
        return self.quoted_text[:limit]

    @property
    def full(self) -> str:
        """Everything, unbounded: the safeguarding lexicon and deadlines read all of it (cheap
        regexes), because a risk is often one sentence deep in a long message."""
        return f"{self.subject}\n{self.new_text}\n{self.quoted_text}"


def from_message(msg: object) -> ModelInput:
    """From a parsed `Message`."""
    return ModelInput(
        subject=getattr(msg, "subject"),
        new_text=getattr(msg, "new_text"),
        quoted_text=getattr(msg, "quoted_text"),
        sent=getattr(msg, "date").date(),
    )


def from_row(row: dict[str, object]) -> ModelInput:
    """From a stored `messages` row (new_text NULL means the whole body)."""
    body = str(row.get("body_text") or "")
    new_text = row.get("new_text")
    return ModelInput(
        subject=str(row.get("subject") or ""),
        new_text=str(new_text) if new_text is not None else body.strip(),
        quoted_text=str(row.get("quoted_text") or ""),
        sent=date.fromisoformat(str(row["date"])[:10]),
    )
