"""The SQLite store: one file, WAL, versioned schema, and the named queries the app needs.

A `Store` belongs to the thread that opened it (sqlite3's same-thread rule): the UI gives the
database one owner and sends work to it, the CLI just uses it.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from contextlib import contextmanager
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from .schema import LATEST_VERSION, migrations

TOPICS = ("send", "tribunal", "school_place")
URGENCIES = ("urgent", "high", "normal", "low")
STATUSES = ("new", "in_progress", "awaiting_reply", "done")


class StoreError(Exception):
    """The database cannot be used (missing folder, locked, corrupt, too new). Tell the user."""


class SchemaTooNew(StoreError):
    pass


def utcnow() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class BatchResult:
    imported: int
    duplicates: int
    rejected: int


# What a message effectively carries (the human's label where there is one, else the model's)
# is kept in the eff_* columns by refresh_effective; every read below uses them.
TOPIC_BITS = {"send": 1, "tribunal": 2, "school_place": 4}
URGENCY_BY_RANK = ("low", "normal", "high", "urgent")


def topics_of(bits: int) -> list[str]:
    return [t for t, b in TOPIC_BITS.items() if bits & b]


def _named_labels(rec: dict[str, Any]) -> dict[str, Any]:
    """A row's eff_* columns as topics, urgency and safeguarding."""
    rec["topics"] = topics_of(rec.pop("eff_topics"))
    rec["urgency"] = URGENCY_BY_RANK[rec.pop("eff_urgency")]
    rec["safeguarding"] = bool(rec.pop("eff_safeguarding"))
    return rec


EFFECTIVE_SQL = """
    SELECT m.id, m.message_id, m.date, m.sender_name, m.sender_address, m.subject, m.status,
           m.assignee, m.eff_topics, m.eff_urgency, m.eff_safeguarding,
           COALESCE(p.scores, '{}') AS scores,
           p.model_version AS model_version,
           p.deadline AS deadline,
           CASE WHEN l.message_id IS NOT NULL THEN 'human' ELSE 'model' END AS label_source
    FROM messages m
    LEFT JOIN predictions p ON p.message_id = m.id
    LEFT JOIN labels l ON l.message_id = m.id
"""




class Store:
    def __init__(self, db: Database, path: str) -> None:
        self.db = db
        self.path = path

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path, *, create: bool = True) -> Store:
        path = Path(path)
        if not path.exists():
            if not create:
                raise StoreError(f"no database at {path}")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create folder {path.parent}: {exc.strerror}") from exc
        elif path.is_dir():
            raise StoreError(f"{path} is a folder, not a database file")
        try:
            conn = sqlite3.connect(str(path), timeout=10)
            db = Database(conn)
            db.execute("PRAGMA foreign_keys = ON")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > LATEST_VERSION:
                conn.close()
                raise SchemaTooNew(
                    f"{path} was written by a newer Triage Desk (schema {version}, this version "
                    f"knows up to {LATEST_VERSION}); update Triage Desk to open it"
                )
            known = {m.name for m in migrations._migrations}
            unknown = [m.name for m in migrations.applied(db) if m.name not in known]
            if unknown:
                conn.close()
                raise SchemaTooNew(
                    f"{path} has migrations this version does not know ({', '.join(unknown)}); "
                    "update Triage Desk to open it"
                )
            mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise StoreError(f"cannot switch {path} to WAL mode (got {mode})")
            db.execute("PRAGMA synchronous = NORMAL")
            migrations.apply(db)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open database {path}: {exc}") from exc
        return cls(db, str(path))

    def close(self) -> None:
        self.db.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def write_transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE: take the write lock up front (waiting up to the busy timeout) so
        several importing processes queue instead of failing on a read-to-write upgrade."""
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.rollback()
            raise
        else:
            conn.commit()

    # -- import ----------------------------------------------------------------------------

    def known_message_ids(self, message_ids: Iterable[str]) -> set[str]:
        ids = list(message_ids)
        found: set[str] = set()
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            found.update(r[0] for r in self.db.execute(
                f"SELECT message_id FROM messages WHERE message_id IN ({marks})", chunk))
        return found

    def known_hashes(self, hashes: Iterable[str]) -> set[str]:
        """Content hashes of stored mail without a Message-ID (the only mail they identify)."""
        values = list(hashes)
        found: set[str] = set()
        for i in range(0, len(values), 500):
            chunk = values[i : i + 500]
            marks = ",".join("?" * len(chunk))
            found.update(r[0] for r in self.db.execute(
                f"SELECT content_hash FROM messages WHERE message_id IS NULL AND content_hash IN ({marks})",
                chunk))
        return found

    def start_run(self, paths: list[str]) -> int:
        with self.db.atomic():
            cur = self.db.execute(
                "INSERT INTO import_runs (started_at, paths) VALUES (?, ?)",
                [utcnow(), json.dumps(paths)],
            )
        return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, totals: BatchResult, state: str) -> None:
        with self.db.atomic():
            self.db.execute(
                "UPDATE import_runs SET finished_at = ?, imported = ?, duplicates = ?, "
                "rejected = ?, state = ? WHERE id = ?",
                [utcnow(), totals.imported, totals.duplicates, totals.rejected, state, run_id],
            )

    def write_batch(
        self,
        records: list[dict[str, Any]],
        errors: list[dict[str, Any]],
        run_id: int | None,
        predictions: list[dict[str, Any] | None] | None = None,
    ) -> tuple[BatchResult, list[int]]:
        """Store parsed messages (with their compressed raw source) and rejected inputs in one
        transaction. A message already stored by Message-ID or content hash is a duplicate.
        Returns the counts and the new rows' ids, in record order (0 for a duplicate)."""
        now = utcnow()
        # Everything but the SQL is prepared before the transaction: import workers take turns
        # holding SQLite's write lock, and JSON encoded under it is time the other one waits.
        preds = predictions if predictions else [None] * len(records)
        message_rows = [[rec[c] for c in _MESSAGE_COLUMNS] + [now] + _new_effective(p, rec["date"])
                        for rec, p in zip(records, preds)]
        prediction_rows = [_prediction_params(p, now) if p is not None else None for p in preds]
        error_rows = [[run_id, err["source_kind"], err["locator"], err["reason"],
                       err.get("content_hash") or "", err.get("raw_zlib"), now] for err in errors]
        imported = duplicates = 0
        new_ids: list[int] = []
        raw_rows: list[list[Any]] = []
        stored_predictions: list[list[Any]] = []
        conn = self.db.conn
        with self.write_transaction():
            for rec, params, prediction in zip(records, message_rows, prediction_rows):
                cur = conn.execute(_INSERT_MESSAGE, params)
                if cur.rowcount != 1:
                    duplicates += 1
                    new_ids.append(0)
                    continue
                row_id = int(cur.lastrowid or 0)
                raw_rows.append([row_id, rec["raw_compression"], rec["raw_size"], rec["raw_compressed"]])
                if prediction is not None:
                    stored_predictions.append([row_id, *prediction])
                imported += 1
                new_ids.append(row_id)
            conn.executemany(
                "INSERT INTO raw_sources (message_id, compression, size, data) VALUES (?, ?, ?, ?)", raw_rows)
            conn.executemany(_PUT_PREDICTION, stored_predictions)
            # The same bad input met again is one record, listed under the latest run.
            conn.executemany(
                "INSERT INTO import_errors (run_id, source_kind, locator, reason, "
                "content_hash, raw, at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(locator, content_hash) DO UPDATE SET run_id = excluded.run_id, "
                "reason = excluded.reason, at = excluded.at", error_rows)
        return BatchResult(imported, duplicates, len(errors)), new_ids

    # -- predictions and labels -------------------------------------------------------------

    def _put_prediction(self, message_row: int, p: dict[str, Any]) -> None:
        self.db.conn.execute(_PUT_PREDICTION, [message_row, *_prediction_params(p, utcnow())])

    def refresh_effective(self, row_ids: Iterable[int] | None = None) -> None:
        """Recompute the effective-label columns (and the default sort key) of these messages
        from labels and predictions. Call inside the transaction that changed them."""
        if row_ids is None:
            self.db.execute(_REFRESH_SQL.format(where="1"))  # nosec: no user input in SQL
            return
        ids = list(row_ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            self.db.execute(_REFRESH_SQL.format(where=f"m.id IN ({','.join('?' * len(chunk))})"), chunk)

    def put_predictions(self, items: Iterable[tuple[int, dict[str, Any]]]) -> int:
        """Store model predictions. They never touch `labels`: human decisions stay as they are."""
        done: list[int] = []
        with self.write_transaction():
            for row_id, prediction in items:
                self._put_prediction(row_id, prediction)
                done.append(row_id)
            self.refresh_effective(done)
        return len(done)

    def rows_to_classify(self, *, everything: bool, model_version: str,
                         batch: int = 500) -> Iterator[list[dict[str, Any]]]:
        """Messages without a prediction from `model_version` (or all), in id order, batched.
        Keyset pagination, so the caller may write predictions between batches."""
        last = 0
        condition = "" if everything else (
            "AND NOT EXISTS (SELECT 1 FROM predictions p WHERE p.message_id = m.id "
            "AND p.model_version = ?)")
        while True:
            params: list[Any] = [last] + ([] if everything else [model_version]) + [batch]
            cur = self.db.execute(
                "SELECT m.id, m.subject, m.date, m.new_text, m.quoted_text, m.body_text "
                f"FROM messages m WHERE m.id > ? {condition} ORDER BY m.id LIMIT ?", params)
            names = [d[0] for d in cur.description]
            rows = [dict(zip(names, r)) for r in cur]
            if not rows:
                return
            yield rows
            last = rows[-1]["id"]

    def human_labelled(self) -> Iterator[dict[str, Any]]:
        """Messages with any human label, with the labels they effectively carry."""
        cur = self.db.execute(
            "SELECT m.id, m.message_id, m.subject, m.date, m.new_text, m.quoted_text, m.body_text, "
            "m.eff_topics, m.eff_urgency, m.eff_safeguarding "
            "FROM labels l JOIN messages m ON m.id = l.message_id ORDER BY m.id")
        names = [d[0] for d in cur.description]
        for row in cur:
            yield _named_labels(dict(zip(names, row)))

    # -- reading ------------------------------------------------------------------------------

    def count_messages(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM messages").fetchone()[0])

    def import_errors(self, run_id: int | None = None, limit: int = -1) -> list[dict[str, Any]]:
        """Rejected inputs, oldest first; of one import run when `run_id` is given."""
        where = "" if run_id is None else "WHERE run_id = ?"
        cur = self.db.execute(
            f"SELECT id, run_id, source_kind, locator, reason, at FROM import_errors {where} "
            "ORDER BY id LIMIT ?", ([] if run_id is None else [run_id]) + [limit])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur]

    def import_error_raw(self, error_id: int) -> bytes:
        """The bytes of a rejected input, as read (so it can be repaired and imported again)."""
        row = self.db.execute("SELECT raw FROM import_errors WHERE id = ?", [error_id]).fetchone()
        if row is None:
            raise KeyError(error_id)
        return zlib.decompress(row[0]) if row[0] is not None else b""

    def raw_source(self, row_id: int) -> bytes:
        row = self.db.execute(
            "SELECT compression, data FROM raw_sources WHERE message_id = ?", [row_id]).fetchone()
        if row is None:
            raise KeyError(row_id)
        compression, data = row
        if compression == "zstd":
            import zstandard

            return zstandard.ZstdDecompressor().decompress(data)
        if compression == "zlib":  # databases written before zstd
            return zlib.decompress(data)
        return bytes(data)

    def message(self, row_id: int) -> dict[str, Any]:
        cur = self.db.execute("SELECT * FROM messages WHERE id = ?", [row_id])
        row = cur.fetchone()
        if row is None:
            raise KeyError(row_id)
        rec = dict(zip([d[0] for d in cur.description], row))
        if rec["new_text"] is None:
            rec["new_text"] = rec["body_text"].strip()
        return rec

    def iter_effective(self) -> Iterator[dict[str, Any]]:
        """Every message with the labels it effectively carries, oldest first, streamed."""
        cur = self.db.execute(EFFECTIVE_SQL + " ORDER BY m.date, m.id")
        names = [d[0] for d in cur.description]
        for row in cur:
            rec = _named_labels(dict(zip(names, row)))
            rec["scores"] = json.loads(rec["scores"])
            yield rec

    def stats(self) -> dict[str, dict[str, int]]:
        """Counts by topic, urgency, status and safeguarding over the effective labels."""
        out: dict[str, dict[str, int]] = {
            "topics": {t: 0 for t in (*TOPICS, "other")}, "urgency": {u: 0 for u in URGENCIES},
            "status": {s: 0 for s in STATUSES}, "safeguarding": {"yes": 0, "no": 0},
        }
        for bits, rank, sg, status, n in self.db.execute(
            "SELECT eff_topics, eff_urgency, eff_safeguarding, status, count(*) FROM messages "
            "GROUP BY eff_topics, eff_urgency, eff_safeguarding, status"
        ):
            for topic in topics_of(bits) or ["other"]:
                out["topics"][topic] += n
            out["urgency"][URGENCY_BY_RANK[rank]] += n
            out["status"][status] += n
            out["safeguarding"]["yes" if sg else "no"] += n
        out["total"] = {"messages": self.count_messages()}
        return out


# The effective labels, from labels (human) over predictions (model). Needs review: the model
# was unsure (confidence < REVIEW_CONFIDENCE) and no human has labelled it, or a human label
# disagrees with the model's.
REVIEW_CONFIDENCE = 0.65
_REFRESH_SQL = """
UPDATE messages SET
    is_open = (status != 'done'),
    eff_topics = e.topic_bits, eff_urgency = e.urgency_rank, eff_safeguarding = e.sg,
    deadline = e.deadline, deadline_key = coalesce(e.deadline, '9999-12-31'),
    confidence = e.confidence, needs_review = e.review,
    rank_key = printf('%d%d%s%012d', 1 - e.sg, e.urgency_rank != 3,
                      coalesce(e.deadline, '9999-12-31'),
                      99999999999 - CAST(strftime('%s', substr(messages.date, 1, 19)) AS INTEGER))
FROM (
    SELECT m.id AS mid,
        (instr(e_topics, '"send"') > 0) + 2 * (instr(e_topics, '"tribunal"') > 0)
            + 4 * (instr(e_topics, '"school_place"') > 0) AS topic_bits,
        CASE e_urgency WHEN 'urgent' THEN 3 WHEN 'high' THEN 2 WHEN 'normal' THEN 1 ELSE 0 END
            AS urgency_rank,
        e_sg AS sg, p_deadline AS deadline, p_confidence AS confidence,
        CASE WHEN p_id IS NULL THEN 0
             WHEN l_id IS NULL THEN coalesce(p_confidence, 1) < @review
             ELSE (l_topics IS NOT NULL AND l_topics != p_topics)
                  OR (l_urgency IS NOT NULL AND l_urgency != p_urgency)
                  OR (l_sg IS NOT NULL AND l_sg != p_sg) END AS review
    FROM (
        SELECT m.id, l.message_id AS l_id, p.message_id AS p_id,
            l.topics AS l_topics, l.urgency AS l_urgency, l.safeguarding AS l_sg,
            p.topics AS p_topics, p.urgency AS p_urgency, p.safeguarding AS p_sg,
            p.deadline AS p_deadline, p.confidence AS p_confidence,
            coalesce(l.topics, p.topics, '[]') AS e_topics,
            coalesce(l.urgency, p.urgency, 'normal') AS e_urgency,
            coalesce(l.safeguarding, p.safeguarding, 0) AS e_sg
        FROM messages m
        LEFT JOIN labels l ON l.message_id = m.id
        LEFT JOIN predictions p ON p.message_id = m.id
        WHERE {where}
    ) AS m
) AS e
WHERE messages.id = e.mid
""".replace("@review", str(REVIEW_CONFIDENCE))

_MESSAGE_COLUMNS = (
    "message_id", "content_hash", "in_reply_to", "refs", "sender_name", "sender_address",
    "recipients", "subject", "date", "date_source", "source_kind", "source_locator",
    "attachments", "warnings", "new_text", "quoted_text", "body_text", "has_html",
)
# A new message has no human labels (ids are not reused while labels exist: they cascade), so
# its effective labels are its prediction's. They are written with the row, as refresh_effective
# would compute them (tested against it): updating every new row afterwards rewrote the sort
# indexes twice.
_INSERT_MESSAGE = (
    f"INSERT OR IGNORE INTO messages ({', '.join(_MESSAGE_COLUMNS)}, imported_at, "
    "eff_topics, eff_urgency, eff_safeguarding, deadline, deadline_key, confidence, needs_review, "
    f"rank_key) VALUES ({', '.join('?' * (len(_MESSAGE_COLUMNS) + 1))}, "
    "?, ?, ?, ?, coalesce(?, '9999-12-31'), ?, ?, "
    "printf('%d%d%s%012d', 1 - ?, ? != 3, coalesce(?, '9999-12-31'), "
    "99999999999 - CAST(strftime('%s', substr(?, 1, 19)) AS INTEGER)))"
)
_PUT_PREDICTION = (
    "INSERT OR REPLACE INTO predictions (message_id, model_version, topics, scores, urgency, "
    "safeguarding, confidence, deadline, reasons, predicted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _prediction_params(p: dict[str, Any], now: str) -> list[Any]:
    """The columns of a `predictions` row after message_id."""
    return [p["model_version"], json.dumps(p["topics"]), json.dumps(p["scores"]), p["urgency"],
            int(p["safeguarding"]), p.get("confidence"), p.get("deadline"),
            json.dumps({**p.get("reasons", {}), "urgency_scores": p.get("urgency_scores"),
                        "safeguarding_score": p.get("safeguarding_score")}), now]


_URGENCY_RANK = {"urgent": 3, "high": 2, "normal": 1, "low": 0}


def _new_effective(prediction: dict[str, Any] | None, date: str) -> list[Any]:
    """The parameters after the message's own columns in _INSERT_MESSAGE."""
    if prediction is None:
        topic_bits, urgency, sg, deadline, confidence, review = 0, 1, 0, None, None, 0
    else:
        topics = prediction["topics"]
        topic_bits = ("send" in topics) + 2 * ("tribunal" in topics) + 4 * ("school_place" in topics)
        urgency = _URGENCY_RANK.get(prediction["urgency"], 0)
        sg = int(bool(prediction["safeguarding"]))
        deadline = prediction.get("deadline")
        confidence = prediction.get("confidence")
        review = int((1 if confidence is None else confidence) < REVIEW_CONFIDENCE)
    return [topic_bits, urgency, sg, deadline, deadline, confidence, review, sg, urgency, deadline, date]
