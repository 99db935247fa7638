"""Human triage decisions: labels, status, assignment, notes. Each is stamped with who and when,
written to the audit log, and undoable. Human labels live in `labels` and always win over the
model's predictions, which never touch that table.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .store import STATUSES, TOPICS, URGENCIES, Store, utcnow

LABEL_FIELDS = ("topics", "urgency", "safeguarding")


class ActionError(ValueError):
    """A request that makes no sense (unknown urgency, empty name): say so, change nothing."""


@dataclass(frozen=True, slots=True)
class Change:
    message_id: int
    field: str
    old: Any
    new: Any


class Triage:
    """The triage actions of one person on one store."""

    def __init__(self, store: Store, actor: str) -> None:
        if not actor.strip():
            raise ActionError("changes must be stamped with a name")
        self.store = store
        self.actor = actor.strip()

    # -- reading the current state -----------------------------------------------------------

    def effective(self, row_id: int) -> dict[str, Any]:
        row = self.store.db.execute(
            "SELECT l.topics, l.urgency, l.safeguarding, p.topics, p.urgency, p.safeguarding, "
            "m.status, m.assignee FROM messages m LEFT JOIN labels l ON l.message_id = m.id "
            "LEFT JOIN predictions p ON p.message_id = m.id WHERE m.id = ?", [row_id]).fetchone()
        if row is None:
            raise ActionError(f"no message {row_id}")
        lt, lu, ls, pt, pu, ps, status, assignee = row
        return {
            "topics": json.loads(lt if lt is not None else (pt or "[]")),
            "urgency": lu if lu is not None else (pu or "normal"),
            "safeguarding": bool(ls if ls is not None else (ps or 0)),
            "human": {"topics": lt is not None, "urgency": lu is not None, "safeguarding": ls is not None},
            "status": status,
            "assignee": assignee,
        }

    # -- actions -----------------------------------------------------------------------------

    def toggle_topic(self, row_ids: Sequence[int], topic: str) -> str:
        """Bulk toggle follows the first message: if it has the topic, all lose it."""
        if topic not in TOPICS:
            raise ActionError(f"unknown topic {topic!r}")
        if not row_ids:
            return ""
        add = topic not in self.effective(row_ids[0])["topics"]
        changes = []
        for row_id in row_ids:
            current = self.effective(row_id)["topics"]
            new = sorted(set(current) | {topic} if add else set(current) - {topic},
                         key=TOPICS.index)
            changes.append(("topics", row_id, new))
        return self._apply(changes)

    def set_topics(self, row_ids: Sequence[int], topics: Sequence[str]) -> str:
        unknown = set(topics) - set(TOPICS)
        if unknown:
            raise ActionError(f"unknown topics {sorted(unknown)}")
        value = sorted(set(topics), key=TOPICS.index)
        return self._apply([("topics", r, value) for r in row_ids])

    def set_urgency(self, row_ids: Sequence[int], urgency: str) -> str:
        if urgency not in URGENCIES:
            raise ActionError(f"urgency must be one of {', '.join(URGENCIES)}")
        changes: list[tuple[str, int, Any]] = []
        for r in row_ids:
            if urgency != "urgent" and self.effective(r)["safeguarding"]:
                # The contract: safeguarding means urgent. Lowering urgency clears the flag,
                # explicitly and in the same undoable action, rather than leaving a contradiction.
                changes.append(("safeguarding", r, False))
            changes.append(("urgency", r, urgency))
        return self._apply(changes)

    def set_safeguarding(self, row_ids: Sequence[int], flag: bool) -> str:
        changes: list[tuple[str, int, Any]] = [("safeguarding", r, bool(flag)) for r in row_ids]
        if flag:
            changes += [("urgency", r, "urgent") for r in row_ids]
        return self._apply(changes)

    def toggle_safeguarding(self, row_ids: Sequence[int]) -> str:
        if not row_ids:
            return ""
        return self.set_safeguarding(row_ids, not self.effective(row_ids[0])["safeguarding"])

    def set_labels(self, row_ids: Sequence[int], topics: Sequence[str], urgency: str, safeguarding: bool) -> str:
        """All three labels in one undoable action (a trainer taking a suggestion)."""
        if urgency not in URGENCIES or set(topics) - set(TOPICS):
            raise ActionError("not a valid label")
        if safeguarding and urgency != "urgent":
            raise ActionError("safeguarding means urgency 'urgent'")
        value = sorted(set(topics), key=TOPICS.index)
        return self._apply([c for r in row_ids for c in (("topics", r, value), ("urgency", r, urgency),
                                                          ("safeguarding", r, bool(safeguarding)))])

    def accept(self, row_ids: Sequence[int]) -> str:
        """Confirm the model's labels as the human's own (a trainer's one-key accept)."""
        changes: list[tuple[str, int, Any]] = []
        for r in row_ids:
            current = self.effective(r)
            changes += [(f, r, current[f]) for f in LABEL_FIELDS]
        return self._apply(changes)

    def set_status(self, row_ids: Sequence[int], status: str) -> str:
        if status not in STATUSES:
            raise ActionError(f"status must be one of {', '.join(STATUSES)}")
        return self._apply([("status", r, status) for r in row_ids])

    def assign(self, row_ids: Sequence[int], person: str | None) -> str:
        person = (person or "").strip() or None
        return self._apply([("assignee", r, person) for r in row_ids])

    def add_note(self, row_id: int, text: str) -> str:
        text = text.strip()
        if not text:
            raise ActionError("a note needs some text")
        return self._apply([("note", row_id, text)])

    # -- the mechanism -----------------------------------------------------------------------

    def _current(self, field: str, row_id: int) -> Any:
        if field in LABEL_FIELDS:
            row = self.store.db.execute(f"SELECT {field} FROM labels WHERE message_id = ?", [row_id]).fetchone()
            if row is None or row[0] is None:
                return None
            return json.loads(row[0]) if field == "topics" else (bool(row[0]) if field == "safeguarding" else row[0])
        if field in ("status", "assignee"):
            row = self.store.db.execute(f"SELECT {field} FROM messages WHERE id = ?", [row_id]).fetchone()
            if row is None:
                raise ActionError(f"no message {row_id}")
            return row[0]
        return None

    def _write(self, field: str, row_id: int, value: Any, now: str) -> None:
        db = self.store.db
        if field in LABEL_FIELDS:
            stored = json.dumps(value) if field == "topics" and value is not None else (
                int(value) if field == "safeguarding" and value is not None else value)
            db.execute("INSERT OR IGNORE INTO labels (message_id, labelled_by, labelled_at) VALUES (?, ?, ?)",
                       [row_id, self.actor, now])
            db.execute(f"UPDATE labels SET {field} = ?, labelled_by = ?, labelled_at = ? WHERE message_id = ?",
                       [stored, self.actor, now, row_id])
            db.execute("DELETE FROM labels WHERE message_id = ? AND topics IS NULL AND urgency IS NULL "
                       "AND safeguarding IS NULL", [row_id])
        elif field in ("status", "assignee"):
            db.execute(f"UPDATE messages SET {field} = ? WHERE id = ?", [value, row_id])
        elif field == "note":
            if value is None:  # undoing a note removes it
                db.execute("DELETE FROM notes WHERE id = (SELECT max(id) FROM notes WHERE message_id = ?)",
                           [row_id])
            else:
                db.execute("INSERT INTO notes (message_id, at, author, text) VALUES (?, ?, ?, ?)",
                           [row_id, now, self.actor, value])

    def _apply(self, changes: list[tuple[str, int, Any]]) -> str:
        """Write every change and its audit event in one transaction; returns the action id."""
        action_id = uuid.uuid4().hex
        now = utcnow()
        with self.store.write_transaction():
            for field, row_id, new in changes:
                old = self._current(field, row_id)
                self._write(field, row_id, new, now)
                self.store.db.execute(
                    "INSERT INTO events (action_id, message_id, at, actor, field, old_value, new_value) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [action_id, row_id, now, self.actor, field, json.dumps(old), json.dumps(new)])
            self.store.refresh_effective({row_id for _f, row_id, _n in changes})
        return action_id

    def undo(self, action_id: str | None = None) -> list[int]:
        """Revert an action (default: this person's last one not yet undone). The revert is
        itself audited. Returns the messages it touched."""
        db = self.store.db
        if action_id is None:
            row = db.execute("SELECT action_id FROM events WHERE actor = ? AND undone = 0 AND field != 'undo' "
                             "ORDER BY id DESC LIMIT 1", [self.actor]).fetchone()
            if row is None:
                return []
            action_id = row[0]
        events = db.execute("SELECT id, message_id, field, old_value FROM events WHERE action_id = ? "
                            "AND undone = 0 ORDER BY id DESC", [action_id]).fetchall()
        now = utcnow()
        touched: list[int] = []
        with self.store.write_transaction():
            for event_id, row_id, field, old in events:
                self._write(field, row_id, json.loads(old) if old is not None else None, now)
                db.execute("UPDATE events SET undone = 1 WHERE id = ?", [event_id])
                touched.append(row_id)
            self.store.refresh_effective(set(touched))
            if events:
                db.execute("INSERT INTO events (action_id, message_id, at, actor, field, old_value, new_value) "
                           "VALUES (?, NULL, ?, ?, 'undo', NULL, ?)",
                           [uuid.uuid4().hex, now, self.actor, json.dumps(action_id)])
        return sorted(set(touched))

    def notes(self, row_id: int) -> list[dict[str, Any]]:
        cur = self.store.db.execute("SELECT at, author, text FROM notes WHERE message_id = ? ORDER BY id", [row_id])
        return [{"at": a, "author": b, "text": c} for a, b, c in cur]
