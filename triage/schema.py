"""The database schema, as forward-only migrations.

Each migration runs in one transaction with its record (sqlite-utils `Migrations`) and sets
`PRAGMA user_version`, so a database written by a newer Triage Desk is recognised and refused
rather than damaged.
"""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

MIGRATION_SET = "triage"
migrations = Migrations(MIGRATION_SET)


@migrations()
def m001_initial(db: Database) -> None:
    _run_script(db, _INITIAL)
    db.execute("PRAGMA user_version = 1")


def _run_script(db: Database, script: str) -> None:
    """Run statements one by one inside the migration's transaction (executescript would
    commit first, breaking the migration's all-or-nothing promise)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        if line.lstrip().startswith("--") and not buffer.strip():
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            db.execute(buffer)
            buffer = ""
    if buffer.strip():
        raise ValueError(f"incomplete SQL statement in migration: {buffer[:80]!r}")


@migrations()
def m002_model_registry(db: Database) -> None:
    _run_script(db, _REGISTRY)
    db.execute("PRAGMA user_version = 2")


@migrations()
def m003_content_hash_for_mail_without_id(db: Database) -> None:
    """A message is the same as a stored one by Message-ID, else by content hash; the hash only
    decides for mail without a Message-ID (identical bytes have the same Message-ID). A unique
    index of every hash, 64 random hex characters a row, was the costliest part of storing a
    message at 100,000 rows (85 of 170 us without the text index): each batch rewrote one of
    its pages per message."""
    db.execute("DROP INDEX messages_content_hash")
    db.execute("CREATE UNIQUE INDEX messages_content_hash ON messages(content_hash) WHERE message_id IS NULL")
    db.execute("PRAGMA user_version = 3")


# Big columns (bodies, HTML) come last in `messages` so list queries never read their pages;
# raw sources live in their own table for the same reason.
_INITIAL = """
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    message_id TEXT,
    content_hash TEXT NOT NULL,
    in_reply_to TEXT,
    refs TEXT NOT NULL DEFAULT '[]',
    sender_name TEXT NOT NULL DEFAULT '',
    sender_address TEXT NOT NULL DEFAULT '',
    recipients TEXT NOT NULL DEFAULT '[]',
    subject TEXT NOT NULL DEFAULT '',
    date TEXT NOT NULL,
    date_source TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'new'
        CHECK (status IN ('new', 'in_progress', 'awaiting_reply', 'done')),
    assignee TEXT,
    -- What the message effectively carries (a human label, else the model's), kept here by
    -- Store.refresh_effective so every view and sort is one indexed read of one table.
    is_open INTEGER NOT NULL DEFAULT 1,      -- status != 'done'
    eff_topics INTEGER NOT NULL DEFAULT 0,   -- bits: 1 send, 2 tribunal, 4 school_place
    eff_urgency INTEGER NOT NULL DEFAULT 1,  -- 0 low, 1 normal, 2 high, 3 urgent
    eff_safeguarding INTEGER NOT NULL DEFAULT 0,
    deadline TEXT,
    deadline_key TEXT NOT NULL DEFAULT '9999-12-31',  -- deadline, with none sorting last
    confidence REAL,
    needs_review INTEGER NOT NULL DEFAULT 0,
    -- The default order as one sortable string: safeguarding, then urgent, then nearest
    -- deadline, then newest.
    rank_key TEXT NOT NULL DEFAULT '',
    source_kind TEXT NOT NULL,
    source_locator TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    attachments TEXT NOT NULL DEFAULT '[]',
    warnings TEXT NOT NULL DEFAULT '[]',
    has_html INTEGER NOT NULL DEFAULT 0,
    quoted_text TEXT NOT NULL DEFAULT '',
    new_text TEXT,  -- NULL: the whole body is new text
    body_text TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX messages_message_id ON messages(message_id) WHERE message_id IS NOT NULL;
CREATE UNIQUE INDEX messages_content_hash ON messages(content_hash);
CREATE INDEX messages_thread ON messages(in_reply_to);
-- One covering index per sort serves every view: the sort keys, the id (a total order for
-- LIMIT/OFFSET paging), then every column a view filters on, so a view's count and a page at
-- any offset are read from the index alone (measured on 1,000,000 rows: count 25-70 ms, a
-- page at the far end 70-130 ms). The two sparse views also get partial indexes.
CREATE INDEX messages_rank ON messages(rank_key, id, is_open, eff_topics, needs_review, eff_urgency, eff_safeguarding);
CREATE INDEX messages_by_date ON messages(date, id, is_open, eff_topics, needs_review, eff_urgency, eff_safeguarding);
CREATE INDEX messages_by_urgency ON messages(eff_urgency, date, id, is_open, eff_topics, needs_review, eff_safeguarding);
CREATE INDEX messages_by_deadline ON messages(deadline_key, date DESC, id DESC, is_open, eff_topics, needs_review, eff_urgency, eff_safeguarding);
CREATE INDEX messages_safeguarding_rank ON messages(rank_key, id) WHERE eff_safeguarding = 1;
CREATE INDEX messages_urgent_rank ON messages(rank_key, id) WHERE eff_urgency = 3 AND is_open = 1;
CREATE INDEX messages_assignee ON messages(assignee, is_open);

CREATE TABLE raw_sources (
    message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    compression TEXT NOT NULL DEFAULT 'zlib',
    size INTEGER NOT NULL,
    data BLOB NOT NULL
);

CREATE TABLE predictions (
    message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    model_version TEXT NOT NULL,
    topics TEXT NOT NULL DEFAULT '[]',
    scores TEXT NOT NULL DEFAULT '{}',
    urgency TEXT NOT NULL CHECK (urgency IN ('urgent', 'high', 'normal', 'low')),
    safeguarding INTEGER NOT NULL DEFAULT 0,
    confidence REAL,
    deadline TEXT,
    reasons TEXT NOT NULL DEFAULT '{}',
    predicted_at TEXT NOT NULL
);

CREATE TABLE labels (
    message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    topics TEXT,
    urgency TEXT CHECK (urgency IS NULL OR urgency IN ('urgent', 'high', 'normal', 'low')),
    safeguarding INTEGER,
    labelled_by TEXT NOT NULL,
    labelled_at TEXT NOT NULL
);

-- The audit log of human changes. One user action on several messages shares an action_id,
-- which is also what undo reverts.
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    action_id TEXT NOT NULL,
    message_id INTEGER REFERENCES messages(id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    field TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    undone INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX events_message ON events(message_id, at);
CREATE INDEX events_action ON events(action_id);
CREATE INDEX events_field_at ON events(field, at);

CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    author TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX notes_message ON notes(message_id, at);

CREATE TABLE import_errors (
    id INTEGER PRIMARY KEY,
    run_id INTEGER REFERENCES import_runs(id),
    source_kind TEXT NOT NULL,
    locator TEXT NOT NULL,
    reason TEXT NOT NULL,
    content_hash TEXT,
    raw BLOB,
    at TEXT NOT NULL
);
CREATE UNIQUE INDEX import_errors_identity ON import_errors(locator, content_hash);

CREATE TABLE import_runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    paths TEXT NOT NULL,
    imported INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0,
    rejected INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'running'
);

-- External-content FTS over a view: the text is stored once, in messages.
CREATE VIEW messages_fts_source AS
    SELECT id, sender_name || ' ' || sender_address AS sender, subject, body_text AS body
    FROM messages;
CREATE VIRTUAL TABLE messages_fts USING fts5(
    sender, subject, body, content='messages_fts_source', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts(rowid, sender, subject, body)
    VALUES (new.id, new.sender_name || ' ' || new.sender_address, new.subject, new.body_text);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, sender, subject, body)
    VALUES ('delete', old.id, old.sender_name || ' ' || old.sender_address, old.subject, old.body_text);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF sender_name, sender_address, subject, body_text
ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, sender, subject, body)
    VALUES ('delete', old.id, old.sender_name || ' ' || old.sender_address, old.subject, old.body_text);
    INSERT INTO messages_fts(rowid, sender, subject, body)
    VALUES (new.id, new.sender_name || ' ' || new.sender_address, new.subject, new.body_text);
END;
"""

# The trainer's workspace: every model version kept (its file sits in the models folder beside
# the database, checked against the sha256 recorded here), which one is active (the newest
# activation), corrections to the shipped corpus, and the likely label errors of the last check.
_REGISTRY = """
CREATE TABLE models (
    version TEXT PRIMARY KEY,
    origin TEXT NOT NULL CHECK (origin IN ('shipped', 'trained', 'imported')),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    card TEXT NOT NULL,
    discarded INTEGER NOT NULL DEFAULT 0,
    -- Side by side with the model that was active when this one was trained (JSON), and the
    -- labels it was trained on (JSON: corpus corrections and stored labels), so a later
    -- comparison can retrain its recipe on the same folds.
    comparison TEXT,
    training_set TEXT
);
CREATE TABLE model_activations (
    id INTEGER PRIMARY KEY,
    version TEXT NOT NULL REFERENCES models(version),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    previous TEXT,
    override_reason TEXT
);
CREATE TABLE corpus_corrections (
    corpus_key TEXT PRIMARY KEY,
    topics TEXT NOT NULL,
    urgency TEXT NOT NULL CHECK (urgency IN ('urgent', 'high', 'normal', 'low')),
    safeguarding INTEGER NOT NULL,
    original TEXT NOT NULL,
    corrected_by TEXT NOT NULL,
    corrected_at TEXT NOT NULL
);
CREATE TABLE label_issues (
    id INTEGER PRIMARY KEY,
    found_at TEXT NOT NULL,
    found_by_model TEXT,
    message_id INTEGER REFERENCES messages(id) ON DELETE CASCADE,
    corpus_key TEXT,
    subject TEXT NOT NULL DEFAULT '',
    sent TEXT NOT NULL DEFAULT '',
    field TEXT NOT NULL CHECK (field IN ('topics', 'urgency', 'safeguarding')),
    given TEXT NOT NULL,
    suggested TEXT NOT NULL,
    given_probability REAL NOT NULL,
    model_view TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'fixed', 'kept')),
    CHECK ((message_id IS NULL) != (corpus_key IS NULL))
);
CREATE INDEX label_issues_open ON label_issues(state, given_probability);
-- The uncertain queue: least confident first, among messages no human has labelled.
CREATE INDEX messages_confidence ON messages(confidence, id) WHERE confidence IS NOT NULL;
"""

LATEST_VERSION = 3
