"""Human triage actions: stamped, audited, undoable, and they win over the model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import eml

from triage.actions import ActionError, Triage
from triage.pipeline import import_paths
from triage.store import Store


@pytest.fixture
def ids(tmp_path: Path, store: Store) -> list[int]:
    for i in range(3):
        (tmp_path / f"{i}.eml").write_bytes(eml(message_id=f"<{i}@x>", subject=f"S{i}"))
    import_paths(store, [tmp_path])
    # A model prediction on the first message, to check humans win over it.
    with store.write_transaction():
        store.db.execute("INSERT INTO predictions (message_id, model_version, topics, urgency, safeguarding, "
                         "predicted_at) VALUES (1, 'v1', '[\"send\"]', 'high', 0, 'now')")
    return [r[0] for r in store.db.execute("SELECT id FROM messages ORDER BY id")]


def test_toggle_topic_starts_from_the_models_labels(store: Store, ids: list[int]) -> None:
    t = Triage(store, "Priya")
    assert t.effective(ids[0])["topics"] == ["send"]
    t.toggle_topic([ids[0]], "tribunal")
    assert t.effective(ids[0])["topics"] == ["send", "tribunal"]
    assert t.effective(ids[0])["human"]["topics"] is True
    row = store.db.execute("SELECT labelled_by FROM labels WHERE message_id = ?", [ids[0]]).fetchone()
    assert row == ("Priya",)


def test_bulk_toggle_follows_the_first_message(store: Store, ids: list[int]) -> None:
    t = Triage(store, "Priya")
    t.toggle_topic(ids, "send")  # first has send -> every message loses it
    assert [t.effective(i)["topics"] for i in ids] == [[], [], []]
    t.toggle_topic(ids, "send")
    assert [t.effective(i)["topics"] for i in ids] == [["send"]] * 3


def test_safeguarding_makes_urgent_and_lowering_urgency_clears_it(store: Store, ids: list[int]) -> None:
    t = Triage(store, "Priya")
    t.set_safeguarding([ids[1]], True)
    state = t.effective(ids[1])
    assert state["safeguarding"] is True and state["urgency"] == "urgent"
    t.set_urgency([ids[1]], "normal")
    state = t.effective(ids[1])
    assert state["safeguarding"] is False and state["urgency"] == "normal"


def test_every_change_is_audited_and_undo_reverts_one_action(store: Store, ids: list[int]) -> None:
    t = Triage(store, "Priya")
    t.set_status(ids, "in_progress")
    t.assign(ids[:2], "Sam")
    t.add_note(ids[0], "Rang the council")
    events = store.db.execute("SELECT actor, field, old_value, new_value FROM events ORDER BY id").fetchall()
    assert [e[1] for e in events] == ["status"] * 3 + ["assignee"] * 2 + ["note"]
    assert events[0] == ("Priya", "status", json.dumps("new"), json.dumps("in_progress"))
    assert t.notes(ids[0])[0]["text"] == "Rang the council"
    assert t.undo() == [ids[0]]  # the note
    assert t.notes(ids[0]) == []
    assert t.undo() == ids[:2]  # the assignment
    assert [t.effective(i)["assignee"] for i in ids] == [None, None, None]
    assert [t.effective(i)["status"] for i in ids] == ["in_progress"] * 3
    assert store.db.execute("SELECT count(*) FROM events WHERE field = 'undo'").fetchone()[0] == 2


def test_undo_of_a_label_gives_the_model_back(store: Store, ids: list[int]) -> None:
    t = Triage(store, "Priya")
    t.set_urgency([ids[0]], "low")
    assert t.effective(ids[0])["urgency"] == "low"
    t.undo()
    assert t.effective(ids[0])["urgency"] == "high"  # the model's, again
    assert store.db.execute("SELECT count(*) FROM labels").fetchone()[0] == 0


def test_undo_is_per_person(store: Store, ids: list[int]) -> None:
    Triage(store, "Priya").set_status([ids[0]], "done")
    Triage(store, "Sam").set_status([ids[1]], "done")
    Triage(store, "Priya").undo()
    assert Triage(store, "x").effective(ids[0])["status"] == "new"
    assert Triage(store, "x").effective(ids[1])["status"] == "done"


def test_bad_requests_change_nothing(store: Store, ids: list[int]) -> None:
    t = Triage(store, "Priya")
    with pytest.raises(ActionError):
        t.set_urgency(ids, "whenever")
    with pytest.raises(ActionError):
        t.set_status(ids, "archived")
    with pytest.raises(ActionError):
        Triage(store, "  ")
    assert store.db.execute("SELECT count(*) FROM events").fetchone()[0] == 0
