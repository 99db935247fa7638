"""Generate a large store for the UI and dashboard benchmarks, fast, by writing rows directly
(no parsing): realistic distributions of topics, urgency, status and dates, short bodies, and
the full-text index kept by the schema's own triggers.

    python bench/make_store.py 1000000 /tmp/triage-1m.db
"""

from __future__ import annotations

import random
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from _common import ROOT  # noqa: F401  (puts the project on sys.path)

from triage.store import Store
from triage.synth import _NAMES, _WORDS

COLUMNS = ("message_id", "content_hash", "sender_name", "sender_address", "subject", "date",
           "date_source", "status", "assignee", "is_open", "eff_topics", "eff_urgency",
           "eff_safeguarding", "deadline", "deadline_key", "confidence", "needs_review", "rank_key", "source_kind",
           "source_locator", "imported_at", "body_text")


def rows(n: int, seed: int = 11):  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    staff = ["Priya", "Sam", "Jo", "Alex", None, None]
    for i in range(n):
        when = start + timedelta(seconds=int(i * (3 * 365 * 86400 / n)) + rng.randint(0, 600))
        date = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        topics = rng.choices([0, 1, 2, 4, 3, 5, 6, 7], [45, 20, 12, 12, 4, 4, 2, 1])[0]
        urgency = rng.choices([0, 1, 2, 3], [25, 35, 25, 15])[0]
        sg = 1 if rng.random() < 0.02 else 0
        if sg:
            urgency = 3
        status = rng.choices(["new", "in_progress", "awaiting_reply", "done"], [30, 10, 10, 50])[0]
        deadline = (when + timedelta(days=rng.randint(0, 40))).strftime("%Y-%m-%d") if rng.random() < 0.3 else None
        confidence = round(rng.uniform(0.5, 1.0), 3)
        rank = "%d%d%s%012d" % (1 - sg, urgency != 3, deadline or "9999-12-31",
                                99999999999 - int(when.timestamp()))
        name = rng.choice(_NAMES)
        subject = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 8))).capitalize()
        body = " ".join(rng.choice(_WORDS) for _ in range(60))
        yield (f"<bench-{i}@example.org>", f"h{i}", name, name.lower().replace(" ", ".") + "@example.org",
               subject, date, "header", status, rng.choice(staff), int(status != "done"), topics, urgency,
               sg, deadline, deadline or "9999-12-31", confidence, int(confidence < 0.65), rank, "mbox", f"bench@{i}",
               "2026-01-01T00:00:00Z", body)


def _history(store: Store, seed: int = 5) -> None:
    """What an office's store also holds: a model prediction for every message (a few staff
    corrections among them) and a status event for every message that is done."""
    rng = random.Random(seed)
    with store.write_transaction():
        store.db.execute(
            "INSERT INTO predictions (message_id, model_version, topics, scores, urgency, safeguarding, "
            "confidence, deadline, reasons, predicted_at) "
            "SELECT id, 'bench', CASE eff_topics WHEN 0 THEN '[]' WHEN 1 THEN '[\"send\"]' "
            "WHEN 2 THEN '[\"tribunal\"]' WHEN 4 THEN '[\"school_place\"]' ELSE '[\"send\", \"tribunal\"]' END, "
            "'{}', CASE eff_urgency WHEN 3 THEN 'urgent' WHEN 2 THEN 'high' WHEN 1 THEN 'normal' ELSE 'low' END, "
            "eff_safeguarding, confidence, deadline, '{}', date FROM messages")
        done = [r[0] for r in store.db.execute("SELECT id, date FROM messages WHERE status = 'done'")]
        rows = store.db.execute("SELECT id, date, assignee FROM messages WHERE status = 'done'").fetchall()
        store.db.conn.executemany(
            "INSERT INTO events (action_id, message_id, at, actor, field, old_value, new_value) "
            "VALUES (?, ?, ?, ?, 'status', '\"new\"', '\"done\"')",
            [(f"b{mid}", mid, (datetime.fromisoformat(d[:19]) + timedelta(hours=rng.randint(1, 24 * 30)))
              .strftime("%Y-%m-%dT%H:%M:%SZ"), who or "Priya") for mid, d, who in rows])
        sample = rng.sample(done, min(len(done), 20000))
        store.db.conn.executemany(
            "INSERT OR IGNORE INTO labels (message_id, topics, labelled_by, labelled_at) "
            "VALUES (?, '[\"school_place\"]', 'Priya', '2026-01-01T00:00:00Z')", [(m,) for m in sample])


def main() -> int:
    n, path = int(sys.argv[1]), Path(sys.argv[2])
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    started = time.perf_counter()
    with Store.open(path) as store:
        sql = f"INSERT INTO messages ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
        batch: list[tuple] = []
        for row in rows(n):
            batch.append(row)
            if len(batch) == 20000:
                with store.write_transaction():
                    store.db.conn.executemany(sql, batch)
                batch.clear()
                print(f"\r{store.count_messages():,} ", end="", flush=True)
        if batch:
            with store.write_transaction():
                store.db.conn.executemany(sql, batch)
        _history(store)
        store.db.execute("INSERT INTO messages_fts(messages_fts) VALUES ('optimize')")
        store.db.execute("ANALYZE")
        print(f"\r{store.count_messages():,} messages in {time.perf_counter() - started:.0f} s, "
              f"{path.stat().st_size / 2**20:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
