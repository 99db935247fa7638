"""Synthetic mail for benchmarks and scale tests (never for training: it is generated).

Deterministic for a seed. About 3 KB a message; one in five is multipart/alternative with an
HTML part, as real constituent mail is.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

_WORDS = (
    "school place appeal hearing council plan support assessment review teacher child son "
    "daughter needs meeting letter weeks months deadline officer decision evidence report "
    "transport college nursery housing repair benefit payment doctor hospital waiting list "
    "reception secondary transfer offer catchment sibling tribunal panel funding provision "
    "speech language therapy psychologist autism anxiety timetable exclusion home family "
    "please help reply urgent thank you office constituency road bins parking bus library"
).split()
_NAMES = ("Alex Morgan", "Sam Patel", "Jo Williams", "Chris O'Neill", "Priya Shah", "Tom Hughes",
          "Amara Okafor", "Kasia Nowak", "Liam Byrne", "Fatima Begum", "Dan Evans", "Ruth Cole")


def _paragraphs(rng: random.Random, target: int) -> str:
    out: list[str] = []
    size = 0
    while size < target:
        sentence = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(8, 20)))
        sentence = sentence[0].upper() + sentence[1:] + "."
        out.append(sentence)
        size += len(sentence) + 1
        if rng.random() < 0.2:
            out.append("\n\n")
    # One sentence a line keeps lines under 998 octets, as RFC 5322 asks.
    return "\n".join(out).replace("\n\n\n\n", "\n\n")


def synthetic_message(i: int, rng: random.Random, start: datetime) -> bytes:
    name = rng.choice(_NAMES)
    address = name.lower().replace(" ", ".").replace("'", "") + f"{i % 997}@example.org"
    date = start + timedelta(minutes=7 * i + rng.randint(0, 6))
    subject = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 8))).capitalize()
    body = _paragraphs(rng, 2200)
    head = (
        f"From: {name} <{address}>\r\n"
        "To: Helen Marsh MP <casework@helenmarsh-mp.org.uk>\r\n"
        f"Subject: {subject}\r\n"
        f"Date: {format_datetime(date)}\r\n"
        f"Message-ID: <synth-{i}.{rng.randrange(16**8):08x}@example.org>\r\n"
        "MIME-Version: 1.0\r\n"
    )
    if i % 5 == 0:
        html = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
        boundary = f"b{i:08d}"
        text = (
            f"Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n"
            f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
            f"--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
            f"<html><body>{html}</body></html>\r\n--{boundary}--\r\n"
        )
    else:
        text = f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    return (head + text).encode("utf-8")


def iter_synthetic(n: int, seed: int = 7) -> Iterator[bytes]:
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    for i in range(n):
        yield synthetic_message(i, rng, start)


def write_mbox(path: Path, n: int, seed: int = 7) -> int:
    """Write n synthetic messages to an mbox, streaming. Returns the file size."""
    with path.open("wb") as fh:
        for raw in iter_synthetic(n, seed):
            fh.write(b"From synth@example.org Mon Jan  1 00:00:00 2024\n")
            fh.write(raw.replace(b"\r\n", b"\n"))
            fh.write(b"\n")
    return path.stat().st_size
