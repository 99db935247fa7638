"""The trainer's review queues, and corrections to the shipped corpus.

- uncertain: unlabelled messages the model was least sure of (below the review confidence),
  least confident first: a label here teaches the model most.
- disagreements: a human label differs from the model's current prediction.
- label_errors: labels (the office's or the corpus's) that a model trained without them
  strongly disagrees with, found by the last retrain or label check (classify.retrain).

Queues list at most `limit` items (a trainer works from the top) beside the true count.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .store import REVIEW_CONFIDENCE, TOPICS, URGENCY_BY_RANK, Store, topics_of, utcnow

QUEUES = {
    "uncertain": "Uncertain",
    "disagreements": "Disagreements",
    "label_errors": "Likely label errors",
}
Labels = tuple[tuple[str, ...], str, bool]


class ReviewError(ValueError):
    pass


@dataclass(frozen=True)
class QueueItem:
    queue: str
    row_id: int | None  # a stored message, or
    corpus_key: str | None  # a corpus message
    issue_id: int | None
    subject: str
    sender: str
    date: str
    labels: Labels  # what it carries now (human or corpus label; the model's if unlabelled)
    human: bool
    model: Labels | None  # the model's view
    confidence: float | None
    why: str  # one line: why it is in the queue

    @property
    def key(self) -> str:
        return f"db:{self.row_id}" if self.row_id is not None else f"corpus:{self.corpus_key}"


def _labels(bits: int, rank: int, sg: int) -> Labels:
    return tuple(topics_of(bits)), URGENCY_BY_RANK[rank], bool(sg)


def _prediction(topics: str | None, urgency: str | None, sg: int | None) -> Labels | None:
    if urgency is None:
        return None
    return tuple(json.loads(topics or "[]")), urgency, bool(sg)


def counts(store: Store) -> dict[str, int]:
    db = store.db
    return {
        "uncertain": int(db.execute(
            "SELECT count(*) FROM messages m WHERE confidence < ? AND NOT EXISTS "
            "(SELECT 1 FROM labels l WHERE l.message_id = m.id)", [REVIEW_CONFIDENCE]).fetchone()[0]),
        "disagreements": int(db.execute(
            "SELECT count(*) FROM labels l JOIN messages m ON m.id = l.message_id "
            "WHERE m.needs_review = 1").fetchone()[0]),
        "label_errors": int(db.execute("SELECT count(*) FROM label_issues WHERE state = 'open'").fetchone()[0]),
    }


_MESSAGE_COLUMNS = ("m.id, m.subject, m.sender_name, m.sender_address, m.date, m.eff_topics, m.eff_urgency, "
                    "m.eff_safeguarding, l.message_id IS NOT NULL, p.topics, p.urgency, p.safeguarding, m.confidence")


def items(store: Store, queue: str, limit: int = 500, corpus_dir: Path | None = None) -> list[QueueItem]:
    if queue not in QUEUES:
        raise ReviewError(f"unknown queue {queue!r}")
    db = store.db
    if queue == "label_errors":
        return _issue_items(store, limit, corpus_dir)
    if queue == "uncertain":
        sql = (f"SELECT {_MESSAGE_COLUMNS} FROM messages m INDEXED BY messages_confidence "
               "LEFT JOIN labels l ON l.message_id = m.id LEFT JOIN predictions p ON p.message_id = m.id "
               "WHERE m.confidence < ? AND l.message_id IS NULL ORDER BY m.confidence, m.id LIMIT ?")
        params: list[Any] = [REVIEW_CONFIDENCE, limit]
    else:
        sql = (f"SELECT {_MESSAGE_COLUMNS} FROM labels l JOIN messages m ON m.id = l.message_id "
               "LEFT JOIN predictions p ON p.message_id = m.id WHERE m.needs_review = 1 "
               "ORDER BY m.date DESC, m.id DESC LIMIT ?")
        params = [limit]
    out = []
    for (rid, subject, name, address, date, bits, rank, sg, human, pt, pu, ps, conf) in db.execute(sql, params):
        model = _prediction(pt, pu, ps)
        labels = _labels(bits, rank, sg)
        if queue == "uncertain":
            why = f"model confidence {conf:.0%}"
        else:
            why = "staff: " + describe(labels) + " — model: " + (describe(model) if model else "not classified")
        out.append(QueueItem(queue, rid, None, None, subject, name or address, date, labels, bool(human),
                             model, conf, why))
    return out


def _issue_items(store: Store, limit: int, corpus_dir: Path | None) -> list[QueueItem]:
    rows = store.db.execute(
        "SELECT i.id, i.message_id, i.corpus_key, i.subject, i.sent, i.field, i.given, i.suggested, "
        "i.given_probability, i.model_view, m.sender_name, m.sender_address, m.date, m.eff_topics, "
        "m.eff_urgency, m.eff_safeguarding FROM label_issues i LEFT JOIN messages m ON m.id = i.message_id "
        "WHERE i.state = 'open' ORDER BY i.given_probability, i.id LIMIT ?", [limit]).fetchall()
    out = []
    for (iid, rid, key, subject, sent, field, given, suggested, p, view, name, address, date,
         bits, rank, sg) in rows:
        view_d = json.loads(view)
        model = (tuple(view_d["topics"]), view_d["urgency"], bool(view_d["safeguarding"]))
        if rid is not None:
            labels = _labels(bits, rank, sg)
            sender = name or address
            when = date
        else:
            labels = corpus_labels(store, corpus_dir, key) if corpus_dir else model
            sender, when = "corpus " + key.split("/")[0], sent
        given_v = json.loads(given)
        why = issue_text(field, given_v, json.loads(suggested), p)
        if not carries(labels, field, given_v):
            why = "label changed since the check: " + why
        out.append(QueueItem("label_errors", rid, key if rid is None else None, iid, subject, sender, when,
                             labels, True, model, p, why))
    return out


def carries(labels: Labels, field: str, given: Any) -> bool:
    """Whether `labels` still say what a label issue was raised about."""
    topics, urgency, sg = labels
    if field == "topics":
        return (given["topic"] in topics) == bool(given["applies"])
    if field == "urgency":
        return urgency == given
    return sg == bool(given)


def describe(labels: Labels | None) -> str:
    if labels is None:
        return "—"
    topics, urgency, sg = labels
    return (", ".join(topics) or "no topic") + f"; {urgency}" + ("; SAFEGUARDING" if sg else "")


def issue_text(field: str, given: Any, suggested: Any, p: float) -> str:
    chance = f"{p:.0%}" if p >= 0.01 else "<1%"
    if field == "topics":
        topic = given["topic"]
        label = "labelled " + (topic if given["applies"] else f"not {topic}")
        return f"{label}; a model trained without it gives that {chance} — suggests {'' if suggested['applies'] else 'not '}{topic}"
    if field == "urgency":
        return f"labelled {given}; a model trained without it gives that {chance} — suggests {suggested}"
    return (f"labelled {'' if given else 'not '}safeguarding; a model trained without it gives that {chance}"
            f" — suggests {'' if suggested else 'not '}safeguarding")


def apply_suggestion(labels: Labels, field: str, suggested: Any) -> Labels:
    """The labels with one issue's suggestion taken, keeping the contract (safeguarding means
    urgent; anything below urgent is not safeguarding)."""
    topics, urgency, sg = labels
    if field == "topics":
        wanted = set(topics) | {suggested["topic"]} if suggested["applies"] else set(topics) - {suggested["topic"]}
        topics = tuple(t for t in TOPICS if t in wanted)
    elif field == "urgency":
        urgency = suggested
        sg = sg and urgency == "urgent"
    else:
        sg = bool(suggested)
        urgency = "urgent" if sg else urgency
    return topics, urgency, sg


def issue(store: Store, issue_id: int) -> dict[str, Any]:
    cur = store.db.execute("SELECT * FROM label_issues WHERE id = ?", [issue_id])
    row = cur.fetchone()
    if row is None:
        raise ReviewError(f"no label issue {issue_id}")
    rec = dict(zip([d[0] for d in cur.description], row))
    for k in ("given", "suggested", "model_view"):
        rec[k] = json.loads(rec[k])
    return rec


def resolve_issue(store: Store, issue_id: int, state: str) -> None:
    """'fixed' (the label was changed), 'kept' (the label is right: not asked again while it
    stands), or 'open' (undo either)."""
    if state not in ("fixed", "kept", "open"):
        raise ReviewError(f"unknown issue state {state!r}")
    with store.write_transaction():
        store.db.execute("UPDATE label_issues SET state = ? WHERE id = ?", [state, issue_id])


# -- the corpus ----------------------------------------------------------------------------------

@lru_cache(maxsize=64)
def _labels_file(path: Path, mtime: int) -> dict[str, dict[str, Any]]:
    from .classify.corpus import load_labels_file

    return {str(r["file"]): r for r in load_labels_file(path)}


def _corpus_row(corpus_dir: Path, key: str) -> dict[str, Any]:
    folder, _, name = key.rpartition("/")
    labels_path = corpus_dir / folder / "labels.jsonl"
    if not labels_path.exists():
        raise ReviewError(f"{key} is not in the corpus at {corpus_dir}")
    row = _labels_file(labels_path, labels_path.stat().st_mtime_ns).get(name)
    if row is None:
        raise ReviewError(f"{key} is not in the corpus at {corpus_dir}")
    return row


def corpus_labels(store: Store, corpus_dir: Path, key: str) -> Labels:
    """A corpus message's label: the office's correction if there is one, else the file's."""
    fixed = store.db.execute("SELECT topics, urgency, safeguarding FROM corpus_corrections WHERE corpus_key = ?",
                             [key]).fetchone()
    if fixed is not None:
        return tuple(json.loads(fixed[0])), fixed[1], bool(fixed[2])
    row = _corpus_row(corpus_dir, key)
    return tuple(t for t in TOPICS if t in row["topics"]), str(row["urgency"]), bool(row["safeguarding"])


def corpus_correction(store: Store, key: str) -> Labels | None:
    row = store.db.execute("SELECT topics, urgency, safeguarding FROM corpus_corrections WHERE corpus_key = ?",
                           [key]).fetchone()
    return (tuple(json.loads(row[0])), row[1], bool(row[2])) if row else None


def set_corpus_labels(store: Store, corpus_dir: Path, key: str, labels: Labels | None, actor: str) -> None:
    """Correct a corpus message's label for this office's retraining (the shipped files are
    never edited); None removes the correction. Kept with who, when and the original."""
    row = _corpus_row(corpus_dir, key)
    if labels is None:
        with store.write_transaction():
            store.db.execute("DELETE FROM corpus_corrections WHERE corpus_key = ?", [key])
        return
    from .classify.corpus import CorpusError, validate_label

    topics, urgency, sg = labels
    try:
        validate_label({"topics": list(topics), "urgency": urgency, "safeguarding": sg}, key)
    except CorpusError as exc:
        raise ReviewError(str(exc)) from exc
    original = {k: row[k] for k in ("topics", "urgency", "safeguarding")}
    with store.write_transaction():
        store.db.execute(
            "INSERT INTO corpus_corrections (corpus_key, topics, urgency, safeguarding, original, corrected_by, "
            "corrected_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(corpus_key) DO UPDATE SET "
            "topics = excluded.topics, urgency = excluded.urgency, safeguarding = excluded.safeguarding, "
            "corrected_by = excluded.corrected_by, corrected_at = excluded.corrected_at",
            [key, json.dumps([t for t in TOPICS if t in topics]), urgency, int(sg), json.dumps(original),
             actor, utcnow()])


def corpus_message(corpus_dir: Path, key: str) -> dict[str, Any]:
    """A corpus message shaped like a stored one, for the reading pane."""
    from .parse import parse_message

    _corpus_row(corpus_dir, key)
    msg = parse_message((corpus_dir / key).read_bytes())
    return {
        "id": None, "corpus_key": key, "subject": msg.subject, "sender_name": msg.sender_name,
        "sender_address": msg.sender_address, "recipients": json.dumps(list(msg.recipients)),
        "date": msg.date.strftime("%Y-%m-%dT%H:%M:%SZ"), "date_source": msg.date_source,
        "body_text": msg.body_text, "new_text": msg.new_text, "quoted_text": msg.quoted_text,
        "attachments": "[]",  # a corpus file's attachments are not offered: it is training data
        "has_html": 0, "source_kind": "eml",
    }
