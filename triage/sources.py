"""Where raw messages come from: .eml folders, mbox files, Maildirs and Outlook .msg files.

Every source yields `RawItem`s — the bytes of one message and a locator that points at the exact
input (path, mbox byte offset) — or a `SourceProblem` for input that is not mail. Sources stream:
nothing holds a whole mailbox in memory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
EML_SUFFIXES = {".eml", ".email", ".mht"}
MBOX_SUFFIXES = {".mbox", ".mbx", ".mbs"}
MAX_MESSAGE_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class RawItem:
    kind: str  # "eml", "mbox", "maildir" or "msg"
    locator: str  # "path" or "path@offset"
    raw: bytes
    file_time: datetime | None  # fallback date when the message has none


@dataclass(frozen=True, slots=True)
class SourceProblem:
    kind: str
    locator: str
    reason: str
    raw: bytes = b""


SourceEvent = RawItem | SourceProblem


class SourceError(Exception):
    """A path given on the command line cannot be imported at all (missing, unreadable)."""


def _mtime(path: Path) -> datetime | None:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
    except OSError:
        return None


def is_maildir(path: Path) -> bool:
    return path.is_dir() and (path / "cur").is_dir() and (path / "new").is_dir()


def looks_like_mbox(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(5) == b"From "
    except OSError:
        return False


def check_paths(paths: list[Path]) -> None:
    for path in paths:
        if not path.exists():
            raise SourceError(f"no such file or folder: {path}")
        if not os.access(path, os.R_OK):
            raise SourceError(f"cannot read {path}: permission denied")


def iter_sources(paths: list[Path]) -> Iterator[SourceEvent]:
    """All messages under the given paths, in a stable order, with problems reported inline."""
    for path in paths:
        if path.is_dir():
            yield from _iter_folder(path)
        else:
            yield from _iter_file(path)


def _iter_folder(root: Path) -> Iterator[SourceEvent]:
    if is_maildir(root):
        yield from _iter_maildir(root)
        return
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames.sort()
        maildirs = [d for d in dirnames if is_maildir(here / d)]
        for d in maildirs:
            yield from _iter_maildir(here / d)
        dirnames[:] = [d for d in dirnames if d not in maildirs and not d.startswith(".")]
        for name in sorted(filenames):
            if name.startswith("."):
                continue  # editor/OS metadata (.DS_Store, ._foo); never mail
            yield from _iter_file(here / name)


def _iter_maildir(root: Path) -> Iterator[SourceEvent]:
    # tmp/ holds messages still being delivered: reading them would import half-written mail.
    for sub in ("cur", "new"):
        folder = root / sub
        for name in sorted(os.listdir(folder)):
            if name.startswith("."):
                continue
            path = folder / name
            yield from _read_whole(path, "maildir")
    for entry in sorted(os.listdir(root)):
        # Maildir++ keeps sub-folders as ".Name" directories beside cur/new/tmp.
        if entry.startswith(".") and is_maildir(root / entry):
            yield from _iter_maildir(root / entry)


def _iter_file(path: Path) -> Iterator[SourceEvent]:
    suffix = path.suffix.lower()
    if suffix == ".msg":
        yield from _read_whole(path, "msg")
    elif suffix in EML_SUFFIXES:
        yield from _read_whole(path, "eml")
    elif suffix in MBOX_SUFFIXES or looks_like_mbox(path):
        yield from iter_mbox(path)
    else:
        yield SourceProblem("unknown", str(path),
                            "not an email file: expected .eml, .msg, an mbox or a Maildir")


def _read_whole(path: Path, kind: str) -> Iterator[SourceEvent]:
    try:
        size = path.stat().st_size
        if size > MAX_MESSAGE_BYTES:
            yield SourceProblem(kind, str(path), f"file too large ({size} bytes) for one message")
            return
        raw = path.read_bytes()
    except OSError as exc:
        yield SourceProblem(kind, str(path), f"cannot read file: {exc.strerror or exc}")
        return
    if kind != "msg" and raw.startswith(OLE_MAGIC):
        kind = "msg"
    elif kind == "msg" and not raw.startswith(OLE_MAGIC):
        yield SourceProblem(kind, str(path), "not an Outlook .msg file (no OLE2 signature)", raw)
        return
    yield RawItem(kind, str(path), raw, _mtime(path))


def iter_mbox(path: Path) -> Iterator[SourceEvent]:
    """Split an mbox (mboxrd/mboxo) by its "From " separator lines, streaming.

    The locator carries the byte offset of each message's separator, so an error can be found
    in the file. ">From " quoting is undone (mboxrd), which is what mail clients write.
    """
    file_time = _mtime(path)
    try:
        fh = path.open("rb")
    except OSError as exc:
        yield SourceProblem("mbox", str(path), f"cannot open mbox: {exc.strerror or exc}")
        return
    with fh:
        offset = 0
        start: int | None = None
        lines: list[bytes] = []
        size = 0
        previous_blank = True
        for line in fh:
            line_length = len(line)
            if line.startswith(b"From ") and previous_blank:
                if start is not None:
                    yield _mbox_item(path, start, lines, size, file_time)
                start, lines, size = offset, [], 0
            elif start is None:
                if line.strip():
                    start = offset  # text before the first separator: keep it, it may be mail
                    lines, size = [line], len(line)
            else:
                if size <= MAX_MESSAGE_BYTES:
                    if line.startswith(b">") and line.lstrip(b">").startswith(b"From "):
                        line = line[1:]
                    lines.append(line)
                size += len(line)
            previous_blank = line in (b"\n", b"\r\n")
            offset += line_length
        if start is not None:
            yield _mbox_item(path, start, lines, size, file_time)


def _mbox_item(
    path: Path, start: int, lines: list[bytes], size: int, file_time: datetime | None
) -> SourceEvent:
    locator = f"{path}@{start}"
    if size > MAX_MESSAGE_BYTES:
        return SourceProblem("mbox", locator, f"message too large ({size} bytes)")
    raw = b"".join(lines)
    # The blank line before the next separator belongs to the mbox, not the message.
    if raw.endswith(b"\r\n\r\n"):
        raw = raw[:-2]
    elif raw.endswith(b"\n\n"):
        raw = raw[:-1]
    return RawItem("mbox", locator, raw, file_time)
