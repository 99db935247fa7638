"""Separate the author's new words from quoted replies, forwarded chains and signatures.

Nothing is thrown away: what is not new text is returned as the quoted part, so the reader can
expand it and the classifier can still weigh it (a forward's substance is often all quoted).
"""

from __future__ import annotations

import re

# A line that starts a block of earlier mail: everything from it on is quoted.
_QUOTE_HEADERS = re.compile(
    r"""^\s*(?:
        -{2,}\s*(?:original\s+message|forwarded\s+message|begin\s+forwarded\s+message)\s*-{2,}
      | begin\s+forwarded\s+message:?
      | _{10,}
      | on\s.{4,200}\s(?:wrote|a\s+écrit|schrieb)\s*:?
      | (?:from|von|de)\s*:\s.+\n\s*(?:sent|date|gesendet|envoyé)\s*:
    )""",
    re.IGNORECASE | re.VERBOSE | re.MULTILINE,
)
# Every alternative of _QUOTE_HEADERS contains one of these; most mail contains none.
_HEADER_MARKERS = ("wrote", "écrit", "schrieb", "message", "forwarded", "__________", "sent:",
                   "date:", "gesendet", "envoyé")
# A line on its own that starts a signature.
_SIGNATURE = re.compile(
    r"^(?:--\s*|sent from my \w+.*|get outlook for \w+.*|sent from outlook.*"
    r"|sent from (?:yahoo|mail) for \w+.*)$",
    re.IGNORECASE,
)


# Cheap pre-check for anything the line loop below would treat specially, run only when one of
# its literals is there at all, on lower-cased text (IGNORECASE makes Python's engine several
# times slower; it would also fold the long s into "sent from", which no signature uses).
_MAYBE_QUOTED = re.compile(r"^\s*(?:>|--|sent from|get outlook)", re.MULTILINE)
_MAYBE_QUOTED_LITERALS = (">", "--", "sent from", "get outlook")


def split_reply(text: str) -> tuple[str, str]:
    """Return (new_text, quoted_text); their lines together are all of `text`."""
    if not text:
        return "", ""
    cut = len(text)
    lower = text.lower()
    if any(marker in lower for marker in _HEADER_MARKERS):
        header = _QUOTE_HEADERS.search(text)
        if header:
            cut = header.start()
    head = text[:cut]
    lower_head = head.lower() if cut < len(text) else lower
    if not any(literal in lower_head for literal in _MAYBE_QUOTED_LITERALS) or not _MAYBE_QUOTED.search(lower_head):
        # Most mail has no quoted lines or signature marker above the cut: skip the line loop.
        return head.strip(), text[cut:].strip()
    new_lines: list[str] = []
    quoted_lines: list[str] = []
    in_signature = False
    for line in head.splitlines():
        stripped = line.strip()
        if in_signature:
            quoted_lines.append(line)
        elif stripped.startswith(">"):
            quoted_lines.append(line)
        elif _SIGNATURE.match(stripped):
            in_signature = True
            quoted_lines.append(line)
        else:
            new_lines.append(line)
    if cut < len(text):
        quoted_lines.append(text[cut:])
    return "\n".join(new_lines).strip(), "\n".join(quoted_lines).strip()
