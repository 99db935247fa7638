"""Import: read sources → recognise duplicates → parse (in worker processes) → store per batch.

Duplicates are recognised before parsing, from the Message-ID in the raw header (else a hash of
the bytes), so a second import of the same mailbox does little more than read it. Each batch is
written in one transaction: killing the process at any moment leaves a consistent database, and
running the import again completes it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .message import Message, ParseError
from .sources import RawItem, SourceProblem, check_paths, iter_sources
from .store import BatchResult, Store

BATCH_SIZE = 400
IN_PROCESS_LIMIT = 300  # below this many messages, worker processes cost more than they save
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_RAW_MSGID = re.compile(rb"^message-id:[ \t]*(?:\r?\n[ \t]+)?(<[^<>\s]+>)", re.I | re.M)

# A job turns parsed messages into predictions; it runs in the worker processes.
Classifier = Callable[[list[Message]], list[dict[str, Any]]]


@dataclass
class ImportProgress:
    bytes_done: int = 0
    bytes_total: int = 0
    seen: int = 0
    imported: int = 0
    duplicates: int = 0
    rejected: int = 0

    @property
    def fraction(self) -> float:
        return min(1.0, self.bytes_done / self.bytes_total) if self.bytes_total else 0.0


@dataclass
class ImportSummary:
    run_id: int
    imported: int = 0
    duplicates: int = 0
    rejected: int = 0
    cancelled: bool = False
    errors: list[dict[str, Any]] = field(default_factory=list)

    def line(self) -> str:
        state = " (cancelled: run again to finish)" if self.cancelled else ""
        return (f"imported {self.imported}, duplicates {self.duplicates}, "
                f"rejected {self.rejected}{state}")


def content_hash(raw: bytes) -> str:
    # Line endings are normalised so an .eml saved with CRLF and the same mail in an mbox match.
    return hashlib.sha256(raw.replace(b"\r\n", b"\n")).hexdigest()


def raw_message_id(raw: bytes) -> str | None:
    end = _HEADER_END.search(raw, 0, 65536)
    found = _RAW_MSGID.search(raw, 0, end.start() if end else min(len(raw), 65536))
    return found.group(1).decode("ascii", "replace") if found else None


def _json_list(items: Any) -> str:
    return json.dumps(list(items)) if items else "[]"  # most lists are empty: skip the encoder


def _to_record(item: RawItem, digest: str) -> dict[str, Any]:
    """Parse one raw item into the row the store writes. Raises ParseError."""
    if item.kind == "msg":
        from .outlook import parse_msg

        msg = parse_msg(item.raw, fallback_date=item.file_time)
    else:
        from .parse import parse_message

        msg = parse_message(item.raw, fallback_date=item.file_time)
    return {
        "message_id": msg.message_id,
        "content_hash": digest,
        "in_reply_to": msg.in_reply_to,
        "refs": _json_list(msg.references),
        "sender_name": msg.sender_name,
        "sender_address": msg.sender_address,
        "recipients": _json_list(msg.recipients),
        "subject": msg.subject,
        "date": msg.date.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "date_source": msg.date_source,
        "source_kind": item.kind,
        "source_locator": item.locator,
        "attachments": _json_list([[a.filename, a.content_type, a.size] for a in msg.attachments]),
        "warnings": _json_list(msg.warnings),
        # NULL when the whole body is new text (most mail): the text is stored once.
        "new_text": None if msg.new_text == msg.body_text.strip() else msg.new_text,
        "quoted_text": msg.quoted_text,
        "body_text": msg.body_text,
        "has_html": int(msg.html is not None),
        "raw_size": len(item.raw),
        "raw_compression": "zstd",
        "raw_compressed": _compress(item.raw),
        "_message": msg,
    }


_compressors = threading.local()  # a zstd compressor must not be shared between threads


def _compress(raw: bytes) -> bytes:
    """zstd level 1; the frame records the size, so the reader needs nothing else."""
    compressor = getattr(_compressors, "zstd", None)
    if compressor is None:
        import zstandard

        compressor = _compressors.zstd = zstandard.ZstdCompressor(level=1)
    return compressor.compress(raw)


def _error(kind: str, locator: str, reason: str, raw: bytes, digest: str | None) -> dict[str, Any]:
    return {
        "source_kind": kind,
        "locator": locator,
        "reason": reason,
        "content_hash": digest,
        "raw_zlib": zlib.compress(raw, 6) if raw else None,
    }


def parse_chunk(
    chunk: list[tuple[RawItem, str]], classifier: Classifier | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]] | None]:
    """Parse a chunk, and classify it when a classifier is given."""
    records: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for item, digest in chunk:
        try:
            records.append(_to_record(item, digest))
        except ParseError as exc:
            errors.append(_error(item.kind, item.locator, str(exc), item.raw, digest))
        except Exception as exc:  # a parser bug must cost one message, not the import
            errors.append(_error(item.kind, item.locator,
                                 f"parser failure ({type(exc).__name__}: {exc})", item.raw, digest))
    predictions = classifier([r["_message"] for r in records]) if classifier and records else None
    for r in records:
        del r["_message"]
    return records, errors, predictions


def store_chunk(
    store: Store,
    chunk: list[tuple[RawItem, str]],
    early_errors: list[dict[str, Any]],
    run_id: int,
    classifier: Classifier | None,
) -> BatchResult:
    records, errors, predictions = parse_chunk(chunk, classifier)
    return store.write_batch(records, early_errors + errors, run_id, predictions)[0]


# Each worker process keeps its own connection: SQLite connections cannot cross processes.
_worker_store: Store | None = None


def _worker_store_chunk(
    db_path: str,
    chunk: list[tuple[RawItem, str]],
    early_errors: list[dict[str, Any]],
    run_id: int,
    classifier: Classifier | None,
) -> BatchResult:
    """Worker entry point: parse and write one batch. Writing here rather than sending rows back
    keeps the coordinating process light; WAL and BEGIN IMMEDIATE serialise the writers."""
    global _worker_store
    if _worker_store is None or _worker_store.path != db_path:
        _worker_store = Store.open(db_path, create=False)
    return store_chunk(_worker_store, chunk, early_errors, run_id, classifier)


def lower_priority() -> None:
    """Nice the calling process (or, on Linux, the calling thread) so interactive work wins the
    CPU; the import still gets every cycle nobody else wants."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):  # not Linux/macOS, or not allowed: a slower app, no harm
        pass


def _source_bytes(paths: list[Path]) -> int:
    total = 0
    for path in paths:
        if path.is_dir():
            for dirpath, _dirs, files in os.walk(path):
                for name in files:
                    try:
                        total += os.path.getsize(os.path.join(dirpath, name))
                    except OSError:
                        pass
        else:
            try:
                total += path.stat().st_size
            except OSError:
                pass
    return total


def _batches(events: Iterable[RawItem | SourceProblem], size: int) -> Iterator[list[RawItem | SourceProblem]]:
    batch: list[RawItem | SourceProblem] = []
    for event in events:
        batch.append(event)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def import_paths(
    store: Store,
    paths: list[Path],
    *,
    progress: Callable[[ImportProgress], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    workers: int | None = None,
    classifier: Classifier | None = None,
    batch_size: int = BATCH_SIZE,
    background: bool = False,
) -> ImportSummary:
    """Import every message under `paths` into `store`. Raises SourceError when a path cannot
    be read at all; every problem with a single message is recorded and the import goes on.
    `background`: run the parser processes at low priority, so a desktop app stays responsive."""
    check_paths(paths)
    state = ImportProgress(bytes_total=_source_bytes(paths))
    summary = ImportSummary(run_id=store.start_run([str(p) for p in paths]))
    workers = workers if workers is not None else (os.cpu_count() or 1)
    pool: ProcessPoolExecutor | None = None
    pending: deque[tuple[Future[BatchResult], set[str]]] = deque()
    in_flight: set[str] = set()  # ids and hashes sent to a worker but not yet written

    def add(outcome: BatchResult) -> None:
        summary.imported += outcome.imported
        summary.duplicates += outcome.duplicates
        summary.rejected += outcome.rejected
        state.imported, state.duplicates, state.rejected = (
            summary.imported, summary.duplicates, summary.rejected)
        if progress:
            progress(state)

    def collect_one() -> None:
        future, keys = pending.popleft()
        add(future.result())
        in_flight.difference_update(keys)

    failed = True
    try:
        for batch in _batches(iter_sources(paths), batch_size):
            if cancelled and cancelled():
                summary.cancelled = True
                break
            early_errors: list[dict[str, Any]] = []
            candidates: list[tuple[RawItem, str, str | None]] = []
            for event in batch:
                state.seen += 1
                if isinstance(event, SourceProblem):
                    digest = content_hash(event.raw) if event.raw else None
                    early_errors.append(_error(event.kind, event.locator, event.reason, event.raw, digest))
                    continue
                state.bytes_done += len(event.raw)
                candidates.append((event, content_hash(event.raw), raw_message_id(event.raw)))
            known_ids = store.known_message_ids({m for _i, _h, m in candidates if m})
            known_hashes = store.known_hashes({h for _i, h, _m in candidates})
            fresh: list[tuple[RawItem, str]] = []
            keys: set[str] = set()
            duplicates = 0
            for item, digest, msgid in candidates:
                key = msgid or digest
                if (msgid and msgid in known_ids) or digest in known_hashes or key in in_flight or key in keys:
                    duplicates += 1
                    continue
                keys.add(key)
                fresh.append((item, digest))
            add(BatchResult(0, duplicates, 0))
            if not fresh and not early_errors:
                continue
            if pool is None and workers > 1 and len(fresh) >= IN_PROCESS_LIMIT:
                import multiprocessing

                # spawn, not fork: the desktop app calls this from a thread, and forking a
                # process that runs Qt threads can deadlock the child.
                pool = ProcessPoolExecutor(max_workers=workers,
                                           mp_context=multiprocessing.get_context("spawn"),
                                           initializer=lower_priority if background else None)
            if pool is not None:
                in_flight.update(keys)
                pending.append((pool.submit(_worker_store_chunk, store.path, fresh, early_errors,
                                            summary.run_id, classifier), keys))
                while len(pending) > workers:
                    collect_one()
            else:
                add(store_chunk(store, fresh, early_errors, summary.run_id, classifier))
        while pending:
            if summary.cancelled:
                pending[0][0].cancel()  # not started yet: drop it; running: let it commit
                if pending[0][0].cancelled():
                    pending.popleft()
                    continue
            collect_one()
        failed = False
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        store.finish_run(summary.run_id, BatchResult(summary.imported, summary.duplicates,
                                                     summary.rejected),
                         "failed" if failed else "cancelled" if summary.cancelled else "done")
    summary.errors = store.import_errors(summary.run_id, limit=1000)
    return summary

