"""The store: schema versioning, WAL, FTS kept in sync, raw sources kept byte for byte."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import eml

from triage.pipeline import import_paths
from triage.schema import LATEST_VERSION
from triage.store import SchemaTooNew, Store, StoreError


def test_new_database_is_wal_and_at_latest_schema(store: Store) -> None:
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.schema_version == LATEST_VERSION
    tables = set(store.db.table_names())
    assert {"messages", "raw_sources", "predictions", "labels", "events", "import_errors",
            "import_runs", "messages_fts"} <= tables


def test_reopening_applies_nothing_twice(db_path: Path) -> None:
    Store.open(db_path).close()
    with Store.open(db_path) as again:
        rows = again.db.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0]
        assert rows == LATEST_VERSION


def test_database_from_a_newer_version_is_refused(db_path: Path) -> None:
    Store.open(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaTooNew, match="newer Triage Desk"):
        Store.open(db_path)


def test_unknown_migration_is_refused(db_path: Path) -> None:
    Store.open(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                 "VALUES ('triage', 'm999_from_the_future', 'x')")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaTooNew, match="m999_from_the_future"):
        Store.open(db_path)


def test_corrupt_file_is_a_clear_store_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not a database" * 200)
    with pytest.raises(StoreError, match="cannot open database"):
        Store.open(bad)


def test_missing_database_without_create(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no database"):
        Store.open(tmp_path / "nope.db", create=False)


def _search(store: Store, query: str) -> list[str]:
    return [r[0] for r in store.db.execute(
        "SELECT m.message_id FROM messages_fts f JOIN messages m ON m.id = f.rowid "
        "WHERE messages_fts MATCH ? ORDER BY m.id", [query])]


def test_fts_indexes_sender_subject_body_and_follows_updates(tmp_path: Path, store: Store) -> None:
    (tmp_path / "a.eml").write_bytes(eml(message_id="<a@x>", subject="Annual review overdue",
                                         sender="Zoë Ünal <zoe@example.org>",
                                         body="The SENCO said the provision is not in place."))
    (tmp_path / "b.eml").write_bytes(eml(message_id="<b@x>", subject="Pothole on Mill Lane",
                                         body="A pothole near the school gates."))
    import_paths(store, [tmp_path])
    assert _search(store, "senco") == ["<a@x>"]
    assert _search(store, "zoe") == ["<a@x>"]  # diacritics folded
    assert _search(store, 'subject:"annual review"') == ["<a@x>"]
    assert _search(store, "pot*") == ["<b@x>"]
    assert _search(store, "school") == ["<b@x>"]
    with store.write_transaction():
        store.db.execute("UPDATE messages SET subject = 'Tribunal bundle' WHERE message_id = '<b@x>'")
    assert _search(store, "pothole") == ["<b@x>"]  # still in the body
    assert _search(store, "subject:pothole") == []
    assert _search(store, "subject:bundle") == ["<b@x>"]
    with store.write_transaction():
        store.db.execute("DELETE FROM messages WHERE message_id = '<a@x>'")
    assert _search(store, "senco") == []
    # FTS5's own check raises if the index and the rows it indexes disagree.
    store.db.execute("INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)")


def test_raw_source_round_trips_byte_for_byte(tmp_path: Path, store: Store) -> None:
    raw = eml(body="Odd bytes \xa3 and CRLF\r\nlines\r\n").replace(b"\n", b"\r\n")
    (tmp_path / "x.eml").write_bytes(raw)
    import_paths(store, [tmp_path])
    row_id = store.db.execute("SELECT id FROM messages").fetchone()[0]
    assert store.raw_source(row_id) == raw
    size = store.db.execute("SELECT size, length(data), compression FROM raw_sources").fetchone()
    assert size[0] == len(raw)
    assert size[2] == "zstd" and size[1] < len(raw)
    # Databases written before zstd hold zlib: still read byte for byte.
    import zlib

    store.db.execute("UPDATE raw_sources SET compression = 'zlib', data = ?", [zlib.compress(raw, 1)])
    assert store.raw_source(row_id) == raw


def test_new_rows_carry_the_effective_labels_refresh_would_give_them(tmp_path: Path, store: Store) -> None:
    """write_batch writes the effective columns with the row instead of updating it after; they
    must be exactly what refresh_effective computes from the stored prediction."""
    from triage.pipeline import parse_chunk
    from triage.sources import RawItem

    raws = [eml(subject=f"s{i}", date=f"Mon, 0{i + 1} Jun 2026 09:0{i}:00 +0100",
                message_id=f"<eff{i}@example.org>") for i in range(6)]
    records, errors, _ = parse_chunk([(RawItem("eml", f"m{i}", raw, None), f"h{i}") for i, raw in enumerate(raws)])
    predictions = [
        None,
        {"model_version": "t", "topics": ["send", "school_place"], "scores": {}, "urgency": "high",
         "safeguarding": False, "confidence": 0.9, "deadline": "2026-06-20", "reasons": {}},
        {"model_version": "t", "topics": ["tribunal"], "scores": {}, "urgency": "urgent",
         "safeguarding": True, "confidence": 0.4, "deadline": None, "reasons": {}},
        {"model_version": "t", "topics": [], "scores": {}, "urgency": "low",
         "safeguarding": False, "confidence": None, "deadline": None, "reasons": {}},
        {"model_version": "t", "topics": ["send", "tribunal", "school_place"], "scores": {}, "urgency": "urgent",
         "safeguarding": False, "confidence": 0.65, "deadline": "2026-06-02", "reasons": {}},
        {"model_version": "t", "topics": ["send"], "scores": {}, "urgency": "normal",
         "safeguarding": False, "confidence": 0.649, "deadline": None, "reasons": {}},
    ]
    run = store.start_run(["test"])
    result, ids = store.write_batch(records, errors, run, predictions)
    assert result.imported == 6
    columns = "is_open, eff_topics, eff_urgency, eff_safeguarding, deadline, deadline_key, confidence, needs_review, rank_key"
    query = f"SELECT id, {columns} FROM messages ORDER BY id"
    written = store.db.execute(query).fetchall()
    assert [row[9][:2] for row in written] == ["11", "11", "00", "11", "10", "11"]  # safeguarding, urgent
    assert [row[8] for row in written] == [0, 0, 1, 0, 0, 1]  # needs_review: confidence below 0.65
    with store.write_transaction():
        store.refresh_effective()
    assert store.db.execute(query).fetchall() == written


def test_a_version_2_database_moves_to_the_narrower_content_hash_index(tmp_path: Path) -> None:
    """m003: the content hash stays unique for mail without a Message-ID, and a database made
    before it keeps every message and still recognises its duplicates."""
    from sqlite_utils import Database

    from triage.schema import migrations

    path = tmp_path / "v2.db"
    db = Database(sqlite3.connect(str(path)))
    migrations.apply(db, stop_before="m003_content_hash_for_mail_without_id")
    assert db.execute("PRAGMA user_version").fetchone()[0] == 2
    assert "WHERE" not in db.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'messages_content_hash'").fetchone()[0]
    db.conn.close()
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "a.eml").write_bytes(eml(message_id=None, body="no id"))
    (folder / "b.eml").write_bytes(eml(message_id="<has@id>", body="with id"))
    with Store.open(str(path)) as store:
        assert store.schema_version == LATEST_VERSION == 3
        index_sql = store.db.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'messages_content_hash'").fetchone()[0]
        assert "WHERE message_id IS NULL" in index_sql
        assert import_paths(store, [folder]).imported == 2
        assert import_paths(store, [folder]).duplicates == 2
        assert store.count_messages() == 2
