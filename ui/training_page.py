"""The Training page: review queues (uncertain, disagreements, likely label errors) with
one-key corrections, and the model registry (retrain, compare, activate or roll back, keep,
discard, export, import). Training, label checks and activation run in a child process with
progress and cancel; the page stays usable and so does the inbox."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView, QFileDialog, QHBoxLayout, QLabel, QListWidget,
    QListWidgetItem, QProgressBar, QPushButton, QSplitter, QStackedWidget, QTableView,
    QVBoxLayout, QWidget,
)

from triage import review, views
from triage.actions import ActionError, Triage
from triage.background import TaskCancelled, run_in_child
from triage.store import TOPICS, Store

from .dialogs import Asks
from .jobs import Job, JobRunner
from .list_model import ListTableModel
from .message_model import TOPIC_LABELS
from .models_panel import ModelsPanel
from .reader import ReadingPane

if TYPE_CHECKING:
    from triage.classify.registry import ModelEntry

QUEUE_COLUMNS = ("Subject", "From", "Date", "Labels now", "Model says", "Why it is here")
KEYS_HINT = ("j / k move · 1 2 3 toggle tags · u h n l urgency · s safeguarding · "
             "y / Enter take the model's suggestion · x label is right · Ctrl+Z undo")


class QueueModel(ListTableModel):
    HEADERS = QUEUE_COLUMNS

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.handled: dict[str, str] = {}  # item key -> what was done

    def set_rows(self, rows: list[review.QueueItem]) -> None:
        self.handled = {}
        super().set_rows(rows)

    def replace(self, row: int, item: review.QueueItem, done: str | None) -> None:
        self.rows[row] = item
        if done is None:
            self.handled.pop(item.key, None)
        else:
            self.handled[item.key] = done
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(QUEUE_COLUMNS) - 1))

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        item = self.row_at(index)
        if item is None:
            return None
        done = self.handled.get(item.key)
        if role == Qt.ItemDataRole.DisplayRole:
            col = index.column()
            if col == 0:
                return ("✓ " if done else "") + (item.subject or "(no subject)")
            if col == 1:
                return item.sender
            if col == 2:
                return (item.date or "")[:10]
            if col == 3:
                return review.describe(item.labels)
            if col == 4:
                return review.describe(item.model)
            return done or item.why
        if role == Qt.ItemDataRole.ForegroundRole and done:
            return QColor("gray")
        if role == Qt.ItemDataRole.ToolTipRole:
            return item.why
        return None


class TrainingPage(Asks, QWidget):
    labels_changed = Signal()  # human labels changed here: the inbox refreshes
    models_changed = Signal()  # the active model or its predictions changed
    reclassify_progress = Signal()
    open_message = Signal(int)
    task_finished = Signal(str, object)  # task name, result (None if cancelled)

    def __init__(self, store: Store, jobs: JobRunner, who: Callable[[], str | None],
                 corpus_dir: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.jobs = jobs
        self.who = who
        self.corpus_dir = corpus_dir
        self.task: Job | None = None
        self.task_name = ""
        self.undo_stack: list[tuple[Any, ...]] = []

        self.nav = QListWidget()
        self.nav.setObjectName("trainingNav")
        self.nav.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for name, label in [*review.QUEUES.items(), ("models", "Models")]:
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.nav.addItem(item)
        self.nav.setMaximumWidth(230)
        self.nav.setMinimumWidth(170)
        self.nav.setStyleSheet(
            "QListWidget#trainingNav { border: none; background: palette(window); padding-top: 6px; }"
            "QListWidget#trainingNav::item { padding: 7px 12px; border-radius: 6px; margin: 1px 6px; }"
            "QListWidget#trainingNav::item:selected { background: palette(highlight); "
            "color: palette(highlighted-text); }")
        self.nav.currentRowChanged.connect(self._nav_changed)

        # -- a queue -------------------------------------------------------------------------
        self.queue_title = QLabel()
        self.queue_title.setWordWrap(True)
        self.check_button = QPushButton("Find likely label errors")
        self.check_button.setToolTip("Cross-validate the corpus and the office's labels, in the background")
        self.check_button.clicked.connect(self.check_labels)
        self.queue_model = QueueModel(self)
        self.queue_table = QTableView()
        self.queue_table.setObjectName("queueList")
        self.queue_table.setModel(self.queue_model)
        self.queue_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.queue_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.queue_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.queue_table.verticalHeader().hide()
        self.queue_table.setAlternatingRowColors(True)
        self.queue_table.setShowGrid(False)
        self.queue_table.setWordWrap(False)
        header = self.queue_table.horizontalHeader()
        for col, width in enumerate((200, 100, 80, 150, 150, 260)):
            header.resizeSection(col, width)
        header.setStretchLastSection(True)
        self.queue_table.selectionModel().currentRowChanged.connect(lambda *_: self._show_current())
        self.reader = ReadingPane()
        self.reader.placeholder.setText("Select a message to review it.\n\n" + KEYS_HINT)
        self.why = QLabel()
        self.why.setWordWrap(True)
        self.why.setObjectName("whyHere")
        self.why.setStyleSheet("QLabel#whyHere { background: palette(alternate-base); padding: 6px 10px; "
                               "border-radius: 6px; }")
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.why)
        right_layout.addWidget(self.reader, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.queue_table)
        split.addWidget(right)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setSizes([660, 540])
        queue_page = QWidget()
        ql = QVBoxLayout(queue_page)
        ql.setContentsMargins(8, 8, 8, 8)
        top = QHBoxLayout()
        top.addWidget(self.queue_title, 1)
        top.addWidget(self.check_button)
        ql.addLayout(top)
        hint = QLabel(KEYS_HINT)
        hint.setStyleSheet("color: gray;")
        ql.addWidget(hint)
        ql.addWidget(split, 1)

        # -- models --------------------------------------------------------------------------
        self.models = ModelsPanel()
        self.models.retrain_button.clicked.connect(self.retrain)
        self.models.activate_button.clicked.connect(self.activate_selected)
        self.models.discard_button.clicked.connect(lambda: self.set_discarded(True))
        self.models.keep_button.clicked.connect(lambda: self.set_discarded(False))
        self.models.export_button.clicked.connect(self.export_selected)
        self.models.import_button.clicked.connect(self.import_model)
        self.models.open_message.connect(self.open_message.emit)
        self.models.status.linkActivated.connect(lambda _link: self.classify_remaining())

        self.stack = QStackedWidget()
        self.stack.addWidget(queue_page)
        self.stack.addWidget(self.models)

        # -- the running task -----------------------------------------------------------------
        self.task_label = QLabel()
        self.task_bar = QProgressBar()
        self.task_bar.setRange(0, 1000)
        self.task_cancel = QPushButton("Cancel")
        self.task_cancel.clicked.connect(self.cancel_task)
        task_row = QHBoxLayout()
        task_row.addWidget(self.task_label, 1)
        task_row.addWidget(self.task_bar)
        task_row.addWidget(self.task_cancel)
        self.task_box = QWidget()
        self.task_box.setLayout(task_row)
        self.task_box.hide()

        body = QSplitter(Qt.Orientation.Horizontal)
        body.addWidget(self.nav)
        body.addWidget(self.stack)
        body.setStretchFactor(1, 1)
        body.setSizes([200, 1200])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(body, 1)
        layout.addWidget(self.task_box)
        self._build_keys()
        self.nav.blockSignals(True)  # nothing is read until the page is first shown
        self.nav.setCurrentRow(0)
        self.nav.blockSignals(False)

    # -- keys ------------------------------------------------------------------------------------

    def _build_keys(self) -> None:
        def key(seq: str, fn: Callable[[], None]) -> None:
            shortcut = QShortcut(QKeySequence(seq), self.queue_table)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(fn)

        key("j", lambda: self.move(1))
        key("k", lambda: self.move(-1))
        for n, topic in enumerate(TOPICS, start=1):
            key(str(n), lambda t=topic: self.relabel(lambda labels: _toggle(labels, t), f"{TOPIC_LABELS[t]} toggled"))
        for letter, urgency in (("u", "urgent"), ("h", "high"), ("n", "normal"), ("l", "low")):
            key(letter, lambda u=urgency: self.relabel(
                lambda labels: review.apply_suggestion(labels, "urgency", u), f"urgency {u}"))
        key("s", lambda: self.relabel(
            lambda labels: review.apply_suggestion(labels, "safeguarding", not labels[2]), "safeguarding changed"))
        for seq in ("y", "Return", "Enter"):
            key(seq, self.take_suggestion)
        key("x", self.label_is_right)

    # -- navigation and loading ----------------------------------------------------------------

    def current_queue(self) -> str:
        item = self.nav.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item else "uncertain"

    def _nav_changed(self, _row: int) -> None:
        if self.current_queue() == "models":
            self.stack.setCurrentIndex(1)
            self.refresh_models()
        else:
            self.stack.setCurrentIndex(0)
            self.check_button.setVisible(self.current_queue() == "label_errors")
            self.load_queue()
            self.queue_table.setFocus()

    def refresh(self) -> None:
        """Counts for the navigation, and the current queue or registry (off the GUI thread;
        a queue's read brings the counts with it)."""
        if self.current_queue() == "models":
            self.jobs.read(self.store.path, review.counts, self._show_counts)
        self._nav_changed(self.nav.currentRow())

    def _show_counts(self, counts: dict[str, int]) -> None:
        for i in range(self.nav.count()):
            item = self.nav.item(i)
            name = item.data(Qt.ItemDataRole.UserRole)
            label = review.QUEUES.get(name, "Models")
            item.setText(f"{label}   {counts[name]:,}" if name in counts else label)

    def load_queue(self) -> None:
        queue = self.current_queue()
        corpus = self.corpus_dir

        def fetch(store: Store) -> tuple[str, list[review.QueueItem], dict[str, int]]:
            return queue, review.items(store, queue, corpus_dir=corpus), review.counts(store)

        self.jobs.read(self.store.path, fetch, self._show_queue,
                       lambda reason, _t: self.show_message_box("Cannot load the queue", reason))

    def _show_queue(self, result: tuple[str, list[review.QueueItem], dict[str, int]]) -> None:
        queue, items, counts = result
        self._show_counts(counts)
        if queue != self.current_queue():
            return  # the trainer moved on while it loaded
        total = counts[queue]
        blurb = {
            "uncertain": "Messages no one has labelled that the model was least sure of, least sure first. "
                         "A label here teaches the model most.",
            "disagreements": "Messages where a person's label differs from the model's current prediction.",
            "label_errors": "Labels that a model trained without them strongly disagrees with (cross-validated). "
                            "Fix the label, or press x if it is right.",
        }[queue]
        shown = f" (showing the first {len(items):,})" if total > len(items) else ""
        self.queue_title.setText(f"<b>{review.QUEUES[queue]}: {total:,}</b>{shown}<br>{blurb}")
        self.queue_model.set_rows(items)
        if items:
            self.select(0)
        else:
            self.reader.clear()
            self.why.setText("Nothing to review here." if queue != "label_errors" else
                             "No open label issues. Use “Find likely label errors” to check again.")

    def select(self, row: int) -> None:
        n = self.queue_model.rowCount()
        if n == 0:
            return
        row = max(0, min(row, n - 1))
        self.queue_table.selectRow(row)
        self.queue_table.scrollTo(self.queue_model.index(row, 0))

    def move(self, step: int) -> None:
        current = self.queue_table.currentIndex().row()
        self.select(0 if current < 0 else current + step)

    def current_item(self) -> tuple[int, review.QueueItem] | None:
        index = self.queue_table.currentIndex()
        if not index.isValid():
            return None
        return index.row(), self.queue_model.rows[index.row()]

    def _show_current(self) -> None:
        current = self.current_item()
        if current is None:
            self.reader.clear()
            return
        _row, item = current
        self.why.setText(f"<b>Why here:</b> {html.escape(item.why)}")
        view = None
        if item.issue_id is not None:
            issue = review.issue(self.store, item.issue_id)
            view = dict(issue["model_view"], model_version=f"{issue['found_by_model']}, trained without it")
        if item.row_id is not None:
            v = views.reading(self.store, item.row_id)
            self.reader.show_message(v["record"], v["state"], view or v["prediction"], v["notes"], v["html"])
        elif item.corpus_key is not None and self.corpus_dir is not None:
            record = review.corpus_message(self.corpus_dir, item.corpus_key)
            labels = review.corpus_labels(self.store, self.corpus_dir, item.corpus_key)
            state = {"topics": list(labels[0]), "urgency": labels[1], "safeguarding": labels[2],
                     "human": {"topics": True, "urgency": True, "safeguarding": True},
                     "status": f"corpus message {item.corpus_key}", "assignee": None}
            self.reader.show_message(record, state, view, [], None)

    # -- corrections ------------------------------------------------------------------------------

    def _labels_now(self, item: review.QueueItem) -> review.Labels:
        if item.row_id is not None:
            state = Triage(self.store, "viewer").effective(item.row_id)
            return tuple(state["topics"]), state["urgency"], bool(state["safeguarding"])
        assert self.corpus_dir is not None and item.corpus_key is not None
        return review.corpus_labels(self.store, self.corpus_dir, item.corpus_key)

    def relabel(self, change: Callable[[review.Labels], review.Labels], done: str,
                issue_state: str = "fixed") -> bool:
        """Write the current item's labels (a human label for a stored message, a correction
        for a corpus message), resolve its issue, keep it selected."""
        current = self.current_item()
        if current is None:
            return False
        name = self.who()
        if not name:
            return False
        row, item = current
        before = self._labels_now(item)
        after = change(before)
        try:
            if item.row_id is not None:
                action = Triage(self.store, name).set_labels([item.row_id], after[0], after[1], after[2])
                self.undo_stack.append(("store", row, item, action, name))
            else:
                assert self.corpus_dir is not None and item.corpus_key is not None
                previous = review.corpus_correction(self.store, item.corpus_key)
                review.set_corpus_labels(self.store, self.corpus_dir, item.corpus_key, after, name)
                self.undo_stack.append(("corpus", row, item, previous, name))
            if item.issue_id is not None:
                review.resolve_issue(self.store, item.issue_id, issue_state)
        except (ActionError, review.ReviewError) as exc:
            self.show_message_box("Cannot do that", str(exc))
            return False
        updated = replace(item, labels=after, human=True)
        self.queue_model.replace(row, updated, f"{done} by {name}")
        self._show_current()
        self.labels_changed.emit()
        self.jobs.read(self.store.path, review.counts, self._show_counts)
        return True

    def take_suggestion(self) -> None:
        """Uncertain and disagreements: the model's view becomes the label. Label errors: the
        suggested fix. Then on to the next message."""
        current = self.current_item()
        if current is None:
            return
        row, item = current
        if item.issue_id is not None:
            issue = review.issue(self.store, item.issue_id)
            ok = self.relabel(lambda labels: review.apply_suggestion(labels, issue["field"], issue["suggested"]),
                              "suggestion taken")
        elif item.model is not None:
            model = item.model
            ok = self.relabel(lambda _labels: model, "model's labels taken")
        else:
            return
        if ok:
            self.select(row + 1)

    def label_is_right(self) -> None:
        """The label stands: a label issue is closed as kept (not asked again while the label
        stays); an uncertain message's current labels are confirmed as a person's."""
        current = self.current_item()
        if current is None:
            return
        row, item = current
        if item.issue_id is not None:
            if not self.who():
                return
            review.resolve_issue(self.store, item.issue_id, "kept")
            self.undo_stack.append(("kept", row, item))
            self.queue_model.replace(row, item, "label kept")
            self.jobs.read(self.store.path, review.counts, self._show_counts)
        elif item.queue == "uncertain":
            if not self.relabel(lambda labels: labels, "labels confirmed"):
                return
        self.select(row + 1)

    def undo(self) -> bool:
        """Undo this page's last correction. Returns False when there is none."""
        if not self.undo_stack:
            return False
        entry = self.undo_stack.pop()
        kind, row, item = entry[0], entry[1], entry[2]
        if kind == "store":
            Triage(self.store, entry[4]).undo(entry[3])
        elif kind == "corpus":
            assert self.corpus_dir is not None
            review.set_corpus_labels(self.store, self.corpus_dir, item.corpus_key, entry[3], entry[4])
        if item.issue_id is not None:
            review.resolve_issue(self.store, item.issue_id, "open")
        if row < self.queue_model.rowCount() and self.queue_model.rows[row].key == item.key:
            self.queue_model.replace(row, item, None)
            self.select(row)
            self._show_current()
        self.labels_changed.emit()
        self.jobs.read(self.store.path, review.counts, self._show_counts)
        return True

    # -- background tasks -------------------------------------------------------------------------

    def busy(self) -> bool:
        return self.task is not None and not self.task.done.is_set()

    def run_task(self, name: str, target: str, kwargs: dict[str, Any], title: str) -> Job | None:
        if self.busy():
            self.show_message_box("Please wait", f"{self.task_name} is still running.")
            return None

        def work(progress: Any, cancelled: Any) -> Any:
            try:
                return ("done", run_in_child(target, kwargs, progress=progress, cancelled=cancelled))
            except TaskCancelled:
                return ("cancelled", None)

        job = Job(work)
        job.signals.progress.connect(self._task_progress)
        job.signals.finished.connect(lambda result: self._task_done(name, result))
        job.signals.failed.connect(lambda reason, _trace: self._task_failed(name, reason))
        self.task = job
        self.task_name = title
        self.task_label.setText(f"{title}…")
        self.task_bar.setValue(0)
        self.task_cancel.setEnabled(True)
        self.task_box.show()
        self.models.set_busy(True)
        self.check_button.setEnabled(False)
        return self.jobs.start(job)

    def cancel_task(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.task_cancel.setEnabled(False)
            self.task_label.setText(f"{self.task_name}: cancelling…")

    def _task_progress(self, payload: Any) -> None:
        if isinstance(payload, tuple) and len(payload) == 2:
            stage, fraction = payload
            self.task_label.setText(f"{self.task_name}: {stage}")
            self.task_bar.setValue(int(float(fraction) * 1000))
            if self.task_name.startswith(("Activating", "Classifying")):
                self.reclassify_progress.emit()

    def _end_task(self) -> None:
        self.task_box.hide()
        self.models.set_busy(False)
        self.check_button.setEnabled(True)

    def _task_done(self, name: str, result: tuple[str, Any]) -> None:
        self._end_task()
        state, value = result
        if state == "cancelled":
            self.notify(f"{self.task_name} cancelled." + (" Nothing was saved." if name == "retrain" else ""))
        elif name == "retrain":
            self.notify(f"New candidate model {value}: compare it below, then activate, keep or discard it.")
            self._select_models(str(value))
        elif name == "check":
            self.notify(f"{value:,} likely label errors found.")
        if name in ("activate", "classify"):
            if state == "done":
                self.notify(f"Active model in use: {value:,} stored messages classified (human labels untouched).")
            self.models_changed.emit()
        self.refresh()
        self.task_finished.emit(name, value if state == "done" else None)

    def _task_failed(self, name: str, reason: str) -> None:
        self._end_task()
        self.show_message_box(f"{self.task_name} failed", reason)
        if name in ("activate", "classify"):
            self.models_changed.emit()
        self.refresh()
        self.task_finished.emit(name, None)

    def _select_models(self, version: str | None = None) -> None:
        self.nav.setCurrentRow(self.nav.count() - 1)
        self.refresh_models(select=version)

    # -- the registry -----------------------------------------------------------------------------

    def refresh_models(self, select: str | None = None) -> None:
        from triage.classify import registry

        def fetch(store: Store) -> tuple[list[ModelEntry], int, list[dict[str, Any]]]:
            entries = registry.entries(store)
            active = next(e.version for e in entries if e.active)
            behind = int(store.db.execute(
                "SELECT count(*) FROM messages m WHERE NOT EXISTS (SELECT 1 FROM predictions p "
                "WHERE p.message_id = m.id AND p.model_version = ?)", [active]).fetchone()[0])
            return entries, behind, registry.activations(store)[:1]

        self.jobs.read(self.store.path, fetch, lambda r: self._show_models(r, select),
                       lambda reason, _t: self.show_message_box("Cannot read the models", reason))

    def _show_models(self, result: tuple[list[ModelEntry], int, list[dict[str, Any]]],
                     select: str | None) -> None:
        entries, behind, last = result
        active = next(e for e in entries if e.active)
        text = f"<b>Active model: {active.version}</b>"
        if last:
            a = last[0]
            text += f" — activated {a['at'][:16].replace('T', ' ')} by {a['actor']}"
            if a["override_reason"]:
                text += f" <span style='color:#c62828'>(safeguarding override: {a['override_reason']})</span>"
        else:
            text += " — the model shipped with Triage Desk"
        if behind:
            text += (f"<br><span style='color:#c62828'>{behind:,} stored messages do not yet carry its "
                     "predictions.</span> <a href='classify'>Classify them now</a>")
        self.models.status.setText(text)
        self.models.set_entries(entries, select)
        self.models.set_busy(self.busy())

    def retrain(self) -> None:
        name = self.who()
        if not name:
            return
        if self.corpus_dir is None:
            self.show_message_box("Cannot retrain", "The labelled corpus is not installed with this copy of Triage Desk.")
            return
        self.run_task("retrain", "triage.background:retrain_task",
                      {"db_path": self.store.path, "actor": name, "corpus_dir": str(self.corpus_dir)},
                      "Retraining")

    def check_labels(self) -> None:
        if self.corpus_dir is None:
            self.show_message_box("Cannot check", "The labelled corpus is not installed with this copy of Triage Desk.")
            return
        self.run_task("check", "triage.background:check_labels_task",
                      {"db_path": self.store.path, "corpus_dir": str(self.corpus_dir)}, "Finding likely label errors")

    def activate_selected(self) -> None:
        e = self.models.current()
        if e is None or e.active:
            return
        name = self.who()
        if not name:
            return
        override = None
        if e.safeguarding_regression:
            override = self.ask_text(
                "Safeguarding override",
                f"Model {e.version} misses safeguarding cases the active model caught.\n"
                "Activate it anyway only with a reason (it is recorded):")
            if not override:
                return
        verb = "Roll back to" if e.ever_active else "Activate"
        if not self.confirm(f"{verb} model {e.version}?",
                            f"{verb} model {e.version}? Stored messages are re-classified in the background; "
                            "labels people gave stay as they are."):
            return
        self.run_task("activate", "triage.background:activate_task",
                      {"db_path": self.store.path, "version": e.version, "actor": name, "override_reason": override},
                      f"Activating model {e.version}")

    def classify_remaining(self) -> None:
        name = self.who() or "Triage Desk"
        self.run_task("classify", "triage.background:activate_task",
                      {"db_path": self.store.path, "version": None, "actor": name},
                      "Classifying with the active model")

    def set_discarded(self, discarded: bool) -> None:
        from triage.classify import registry

        e = self.models.current()
        if e is None:
            return
        try:
            registry.set_discarded(self.store, e.version, discarded)
        except registry.RegistryError as exc:
            self.show_message_box("Cannot do that", str(exc))
            return
        self.notify(f"Model {e.version} {'discarded (kept on disk, listed in grey)' if discarded else 'kept as a candidate'}.")
        self.refresh_models(select=e.version)

    def export_selected(self) -> None:
        from triage.classify import registry

        e = self.models.current()
        if e is None:
            return
        target = self.ask_save_path(f"triage-model-{e.version}.skops")
        if not target:
            return
        version, store_path = e.version, self.store.path
        self.jobs.read(store_path, lambda store: registry.export(store, version, Path(target)),
                       lambda out: self.notify(f"Exported model {version} to {out} (with its .card.json)."),
                       lambda reason, _t: self.show_message_box("Export failed", reason))

    def import_model(self) -> None:
        from triage.classify import registry

        source = self.ask_open_path()
        if not source:
            return
        name = self.who()
        if not name:
            return

        def done(entry: ModelEntry) -> None:
            self.notify(f"Imported model {entry.version} as a candidate.")
            self._select_models(entry.version)

        self.jobs.read(self.store.path, lambda store: registry.import_file(store, Path(source), name), done,
                       lambda reason, _t: self.show_message_box("Model refused", reason))

    # -- dialogs: one method each, so tests can replace them --------------------------------------

    def notify(self, text: str) -> None:
        self.models.status.setToolTip(text)
        window = self.window()
        bar = getattr(window, "statusBar", None)
        if bar is not None:
            bar().showMessage(text, 10000)

    def ask_save_path(self, name: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self, "Export model", str(Path.home() / name), "Models (*.skops)")
        return path or None

    def ask_open_path(self) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self, "Import model", str(Path.home()), "Models (*.skops)")
        return path or None


def _toggle(labels: review.Labels, topic: str) -> review.Labels:
    topics, urgency, sg = labels
    wanted = set(topics) ^ {topic}
    return tuple(t for t in TOPICS if t in wanted), urgency, sg

