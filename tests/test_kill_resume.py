"""Kill a real import mid-way: the database stays consistent and a re-run completes it."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from triage.synth import write_mbox

N = 6000


def _count(db: Path) -> int:
    try:
        conn = sqlite3.connect(db, timeout=5)
        try:
            return int(conn.execute("SELECT count(*) FROM messages").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def _check_consistent(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        messages = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
        raw = conn.execute("SELECT count(*) FROM raw_sources").fetchone()[0]
        orphans = conn.execute("SELECT count(*) FROM messages m LEFT JOIN raw_sources r "
                               "ON r.message_id = m.id WHERE r.message_id IS NULL").fetchone()[0]
        assert raw == messages and orphans == 0
        conn.execute("INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)")
        return int(messages)
    finally:
        conn.close()


@pytest.mark.slow
@pytest.mark.parametrize("workers", ["1", "2"])
def test_kill_mid_import_then_resume(tmp_path: Path, workers: str) -> None:
    mbox = tmp_path / "big.mbox"
    write_mbox(mbox, N)
    db = tmp_path / "kill.db"
    cmd = [sys.executable, "-m", "triage.cli", "import", str(mbox), "--db", str(db),
           "--workers", workers]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    while _count(db) == 0 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the import finished before it could be killed: make N larger"
    os.killpg(proc.pid, signal.SIGKILL)  # the whole group: coordinator and parser processes
    proc.wait(timeout=30)
    partial = _check_consistent(db)
    assert 0 < partial < N

    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    imported = int(result.stdout.split()[1].rstrip(","))
    duplicates = int(result.stdout.split()[3].rstrip(","))
    assert imported + duplicates == N
    assert imported == N - partial
    assert _check_consistent(db) == N
