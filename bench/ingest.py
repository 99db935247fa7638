"""Import throughput against the standard library's fastest correct path, in the same run.

    python bench/ingest.py N [--keep DIR] [--workers W] [--classify]

(a) baseline: `compat32` parse plus plain-text body extraction of every message of the mbox, one
    process, reading it with the standard library's mailbox module;
(b) `triage import` end to end (read, dedupe, parse, store, FTS), classification left out unless
    --classify; then (c) the same import again, which should only recognise duplicates.
Prints both rates, the ratio (b)/(a), peak memory of the import's process tree, and (c)'s speed-up.
"""

from __future__ import annotations

import argparse
import email
import mailbox
import sys
import tempfile
import time
from pathlib import Path

from _common import mb, run_timed

from triage.synth import write_mbox


def baseline(path: Path) -> tuple[int, float]:
    start = time.perf_counter()
    count = 0
    chars = 0
    for raw in _mbox_bytes(path):
        msg = email.message_from_bytes(raw)
        for part in msg.walk():
            if part.get_content_type() == "text/plain":
                payload = part.get_payload(decode=True) or b""
                chars += len(payload.decode(part.get_content_charset() or "utf-8", "replace"))
                break
        count += 1
    return count, time.perf_counter() - start


def _mbox_bytes(path: Path):  # type: ignore[no-untyped-def]
    box = mailbox.mbox(str(path), create=False)
    try:
        for key in box.iterkeys():
            yield box.get_bytes(key)
    finally:
        box.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int)
    parser.add_argument("--keep", type=Path, help="folder for the mbox and database (kept)")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--classify", action="store_true", help="classify while importing")
    args = parser.parse_args()

    folder = args.keep or Path(tempfile.mkdtemp(prefix="triage-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    mbox = folder / f"synthetic-{args.n}.mbox"
    if not mbox.exists():
        size = write_mbox(mbox, args.n)
        print(f"generated {args.n} messages, {mb(size)} ({size / args.n / 1024:.1f} KB each)")
    db = folder / "bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)

    count, base_seconds = baseline(mbox)
    base_rate = count / base_seconds
    print(f"(a) baseline compat32 parse + text, 1 process: {count} msgs in {base_seconds:.1f} s "
          f"= {base_rate:,.0f} msg/s")

    cmd = [sys.executable, "-m", "triage.cli", "import", str(mbox), "--db", str(db)]
    if args.workers:
        cmd += ["--workers", str(args.workers)]
    if not args.classify:
        cmd.append("--no-classify")
    seconds, sampler, line = run_timed(cmd)
    rate = count / seconds
    label = "with" if args.classify else "without"
    print(f"(b) triage import {label} classification: {seconds:.1f} s = {rate:,.0f} msg/s   [{line}]")
    print(f"    ratio (b)/(a) = {rate / base_rate:.2f}")
    print(f"    peak RSS: process tree {mb(sampler.peak_total)}, largest process {mb(sampler.peak_single)}")

    again, sampler2, line2 = run_timed(cmd)
    print(f"(c) second import of the same file: {again:.1f} s = {count / again:,.0f} msg/s   [{line2}]")
    print(f"    speed-up first/second = {seconds / again:.1f}x; peak RSS {mb(sampler2.peak_total)}")
    print(f"    database {mb(db.stat().st_size)}  (folder {folder})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
