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
    size = store.db.execute("SELECT size, length(data) FROM raw_sources").fetchone()
    assert size[0] == len(raw)
