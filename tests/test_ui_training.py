"""The Training page, driven through its real widgets with qtbot (offscreen): review queues with
one-key corrections and undo, retrain with cancel, compare, activate and roll back, the
safeguarding override, and a refused model import."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import StallMeter
from PySide6.QtCore import Qt

from triage.classify import registry
from triage.classify.retrain import store_label_issues
from triage.store import Store
from ui.jobs import JobRunner
from ui.main_window import MainWindow
from ui.settings import Settings

PREDICTIONS = ("SELECT message_id, json_array(model_version, topics, scores, urgency, safeguarding, confidence, "
               "deadline, reasons) FROM predictions")


@pytest.fixture
def store(demo_store: Store) -> Store:
    return demo_store


@pytest.fixture
def window(qtbot, store: Store, ui_settings: Settings, small_corpus: Path):  # type: ignore[no-untyped-def]
    win = MainWindow(store, JobRunner(), ui_settings, corpus_dir=small_corpus)
    page = win.training
    page.messages: list[tuple[str, str]] = []  # type: ignore[misc]
    page.show_message_box = lambda title, text: page.messages.append((title, text))  # type: ignore[method-assign]
    page.confirm = lambda title, text: True  # type: ignore[method-assign]
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


def open_queue(qtbot, win: MainWindow, row: int) -> None:  # type: ignore[no-untyped-def]
    page = win.training
    win.show_page(2)
    page.nav.setCurrentRow(row)
    queue = page.current_queue()
    qtbot.waitUntil(lambda: page.queue_title.text().startswith(f"<b>{page.nav.currentItem().text().split('  ')[0]}"),
                    timeout=10000)
    assert page.current_queue() == queue


def key(qtbot, widget, text: str) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClick(widget, text)


def labels_row(store: Store, row_id: int) -> tuple | None:  # type: ignore[type-arg]
    return store.db.execute("SELECT topics, urgency, safeguarding FROM labels WHERE message_id = ?",
                            [row_id]).fetchone()


def test_uncertain_queue_one_key_correction_and_undo(qtbot, window: MainWindow, store: Store) -> None:  # type: ignore[no-untyped-def]
    page = window.training
    open_queue(qtbot, window, 0)
    items = page.queue_model.rows
    assert items, "the demo inbox has messages the model is unsure of"
    confidences = [i.confidence for i in items]
    assert confidences == sorted(confidences)
    first = items[0]
    assert page.queue_table.currentIndex().row() == 0
    had_send = "send" in first.labels[0]
    page.queue_table.setFocus()
    key(qtbot, page.queue_table, "1")
    stored = labels_row(store, first.row_id)
    assert stored is not None and ("send" in json.loads(stored[0])) != had_send
    assert page.queue_model.data(page.queue_model.index(0, 0)).startswith("✓")
    assert page.queue_table.currentIndex().row() == 0  # stays for more corrections
    key(qtbot, page.queue_table, "h")
    assert labels_row(store, first.row_id)[1] == "high"
    # The inbox shows the human label at once.
    window.undo()
    assert labels_row(store, first.row_id)[1] == first.labels[1]
    window.undo()
    assert labels_row(store, first.row_id) is None
    # Enter takes the model's view as the label and moves on.
    key(qtbot, page.queue_table, Qt.Key.Key_Return)
    assert page.queue_table.currentIndex().row() == 1
    topics, urgency, sg = labels_row(store, first.row_id)
    assert (tuple(json.loads(topics)), urgency, bool(sg)) == first.model


def test_label_error_queue_takes_the_suggestion_or_keeps_the_label(qtbot, window: MainWindow, store: Store,
                                                                   small_corpus: Path) -> None:  # type: ignore[no-untyped-def]
    pothole = store.db.execute("SELECT id FROM messages WHERE subject LIKE '%othole%'").fetchone()[0]
    corpus_key = "b1/" + json.loads((small_corpus / "b1" / "labels.jsonl").read_text().splitlines()[0])["file"]
    view = {"topics": [], "scores": {"send": 0.01, "tribunal": 0.02, "school_place": 0.01}, "urgency": "normal",
            "urgency_scores": {"low": 0.2, "normal": 0.6, "high": 0.15, "urgent": 0.05}, "safeguarding": False,
            "safeguarding_score": 0.01, "confidence": 0.8, "deadline": None,
            "reasons": {"rules": [], "topics": {"send": [], "tribunal": [], "school_place": []}}}
    store_label_issues(store, [
        {"row_id": pothole, "corpus_key": None, "subject": "Pothole", "sent": "2026-11-02", "field": "topics",
         "given": {"topic": "tribunal", "applies": True}, "suggested": {"topic": "tribunal", "applies": False},
         "given_probability": 0.01, "model_view": view},
        {"row_id": None, "corpus_key": corpus_key, "subject": "corpus one", "sent": "2025-01-01", "field": "urgency",
         "given": "low", "suggested": "urgent", "given_probability": 0.02, "model_view": view},
    ], "test-model")
    from triage.actions import Triage

    Triage(store, "Sam").set_topics([pothole], ["tribunal"])
    page = window.training
    open_queue(qtbot, window, 2)
    assert [i.key for i in page.queue_model.rows] == [f"db:{pothole}", f"corpus:{corpus_key}"]
    assert "Why here" in page.why.text() and "suggests not tribunal" in page.why.text()
    page.queue_table.setFocus()
    key(qtbot, page.queue_table, "y")
    assert json.loads(labels_row(store, pothole)[0]) == []
    assert store.db.execute("SELECT state FROM label_issues WHERE message_id = ?", [pothole]).fetchone()[0] == "fixed"
    assert page.queue_table.currentIndex().row() == 1
    # The corpus message's correction is kept in the office's database, not in the shipped file.
    key(qtbot, page.queue_table, "y")
    fixed = store.db.execute("SELECT urgency, corrected_by FROM corpus_corrections WHERE corpus_key = ?",
                             [corpus_key]).fetchone()
    assert fixed == ("urgent", "Priya")
    window.undo()
    assert store.db.execute("SELECT count(*) FROM corpus_corrections").fetchone()[0] == 0
    assert store.db.execute("SELECT state FROM label_issues WHERE corpus_key = ?", [corpus_key]).fetchone()[0] == "open"
    key(qtbot, page.queue_table, "x")
    assert store.db.execute("SELECT state FROM label_issues WHERE corpus_key = ?", [corpus_key]).fetchone()[0] == "kept"


def test_retrain_compare_activate_and_roll_back(qtbot, window: MainWindow, store: Store) -> None:  # type: ignore[no-untyped-def]
    page = window.training
    shipped = registry.active_version(store)
    before = dict(store.db.execute(PREDICTIONS))
    window.show_page(2)
    page.nav.setCurrentRow(3)
    qtbot.waitUntil(lambda: page.models.model.rowCount() == 1, timeout=10000)
    with StallMeter() as meter, qtbot.waitSignal(page.task_finished, timeout=240000) as done:
        qtbot.mouseClick(page.models.retrain_button, Qt.MouseButton.LeftButton)
        assert page.task_box.isVisible() and not page.models.retrain_button.isEnabled()
    assert done.args[0] == "retrain" and done.args[1], page.messages
    print(f"longest event-loop stall during the retrain: {meter.longest * 1000:.0f} ms")
    assert meter.longest < 0.1, f"the event loop stalled {meter.longest:.3f} s during a retrain"
    version = done.args[1]
    qtbot.waitUntil(lambda: page.models.current_version() == version, timeout=10000)
    report = page.models.report.toPlainText()
    assert f"Side by side with model {shipped}" in report and "Safeguarding recall" in report
    assert "Confusion matrices" in report and "What activating it would change" in report
    assert page.models.activate_button.isEnabled() and page.models.activate_button.text() == "Activate"

    with qtbot.waitSignal(page.task_finished, timeout=120000) as done:
        qtbot.mouseClick(page.models.activate_button, Qt.MouseButton.LeftButton)
    assert done.args == ["activate", store.count_messages()]
    assert registry.active_version(store) == version
    assert {v for (v,) in store.db.execute("SELECT DISTINCT model_version FROM predictions")} == {version}
    qtbot.waitUntil(lambda: any(e.active and e.version == version for e in page.models.model.rows), timeout=10000)

    # Roll back: the shipped version, one click, and predictions exactly as they were.
    rows = [e.version for e in page.models.model.rows]
    page.models.table.selectRow(rows.index(shipped))
    assert page.models.activate_button.text() == "Roll back to this version"
    with qtbot.waitSignal(page.task_finished, timeout=120000):
        qtbot.mouseClick(page.models.activate_button, Qt.MouseButton.LeftButton)
    assert registry.active_version(store) == shipped
    after = dict(store.db.execute(PREDICTIONS))
    assert after == before


def test_cancelled_retrain_saves_nothing(qtbot, window: MainWindow, store: Store) -> None:  # type: ignore[no-untyped-def]
    page = window.training
    window.show_page(2)
    page.nav.setCurrentRow(3)
    qtbot.waitUntil(lambda: page.models.model.rowCount() == 1, timeout=10000)
    with qtbot.waitSignal(page.task_finished, timeout=120000) as done:
        page.retrain()
        qtbot.waitUntil(lambda: "fold" in page.task_label.text(), timeout=60000)
        qtbot.mouseClick(page.task_cancel, Qt.MouseButton.LeftButton)
    assert done.args == ["retrain", None]
    assert [e.origin for e in registry.entries(store)] == ["shipped"]
    assert not page.task_box.isVisible() and page.models.retrain_button.isEnabled()


def test_safeguarding_regression_needs_a_written_override(qtbot, window: MainWindow, store: Store,
                                                          tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # A candidate whose comparison records a safeguarding case it misses.
    shipped = registry.ensure_shipped(store)
    src = registry.entry(store, shipped).path
    card = json.loads(src.with_suffix(".card.json").read_text())
    card["version"] = "candidate-1"
    other = tmp_path / "c.skops"
    shutil.copy(src, other)
    other.with_suffix(".card.json").write_text(json.dumps(card))
    # Same bytes, different version in the card: the file says otherwise, so it is refused...
    with pytest.raises(registry.RegistryError, match="version"):
        registry.import_file(store, other, "Sam")
    # ...so register a real second model: the shipped one's registry row under a new name.
    report = card["cross_validated"]
    comparison = {"against": shipped, "method": "both retrained on the same folds", "folds": 5, "messages": 100,
                  "store_labels": 3, "corpus_corrections": 0, "groups": 90, "candidate": report, "active": report,
                  "test_split": None, "label_issues": 0,
                  "safeguarding_missed": [{"key": "b1/x.eml", "row_id": None, "corpus_key": "b1/x.eml",
                                           "subject": "Risk"}],
                  "changes": {"scanned": 0, "items": [], "counts": {
                      "any": 0, "topics": 0, "urgency": 0, "safeguarding_lost": 0, "safeguarding_gained": 0,
                      "shown_differently": 0}}}
    store.db.execute("INSERT INTO models (version, origin, created_at, created_by, file_name, file_sha256, card, "
                     "comparison) SELECT 'candidate-1', 'trained', created_at, 'Sam', file_name, file_sha256, card, ? "
                     "FROM models WHERE version = ?", [json.dumps(comparison), shipped])
    store.db.conn.commit()
    page = window.training
    window.show_page(2)
    page.nav.setCurrentRow(3)
    qtbot.waitUntil(lambda: page.models.model.rowCount() == 2, timeout=10000)
    page.models.table.selectRow([e.version for e in page.models.model.rows].index("candidate-1"))
    assert "misses 1 case(s)" in page.models.report.toPlainText()
    page.ask_text = lambda title, label: None  # type: ignore[method-assign]
    page.activate_selected()
    assert not page.busy() and registry.active_version(store) == shipped
    page.ask_text = lambda title, label: "Checked by the safeguarding lead"  # type: ignore[method-assign]
    with qtbot.waitSignal(page.task_finished, timeout=120000):
        page.activate_selected()
    assert registry.activations(store)[0]["override_reason"] == "Checked by the safeguarding lead"


def test_importing_a_tampered_model_is_refused_with_the_reason(qtbot, window: MainWindow, store: Store,
                                                                tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    shipped = registry.ensure_shipped(store)
    bad = registry.export(store, shipped, tmp_path / "shared.skops")
    data = bytearray(bad.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    page = window.training
    page.ask_open_path = lambda: str(bad)  # type: ignore[method-assign]
    page.import_model()
    qtbot.waitUntil(lambda: bool(page.messages), timeout=20000)
    title, text = page.messages[-1]
    assert title == "Model refused" and "does not match its model card" in text
    assert [e.version for e in registry.entries(store)] == [shipped]


def test_queue_and_registry_list_models_pass_qtmodeltester(qtmodeltester, store: Store) -> None:  # type: ignore[no-untyped-def]
    from triage import review
    from ui.models_panel import ModelListModel
    from ui.training_page import QueueModel

    queue = QueueModel()
    items = review.items(store, "uncertain")
    assert items  # the demo store has uncertain messages: the check covers real rows
    queue.set_rows(items)
    queue.replace(0, items[0], "label kept")
    qtmodeltester.check(queue)
    queue.set_rows(items[:1])
    assert queue.handled == {} and queue.rowCount() == 1
    models = ModelListModel()
    registry.ensure_shipped(store)
    models.set_rows(registry.entries(store))
    assert models.rowCount() >= 1
    qtmodeltester.check(models)
    assert models.row_at(models.index(models.rowCount(), 0)) is None
