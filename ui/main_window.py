"""The main window: message list and reading pane over the store, import with progress."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView, QFileDialog, QHeaderView, QLabel, QMainWindow, QMessageBox,
    QPlainTextEdit, QProgressBar, QPushButton, QSplitter, QTableView,
)

from triage.pipeline import ImportProgress, ImportSummary, import_paths
from triage.store import Store

from .jobs import Job, JobRunner
from .message_model import MessageTableModel, RowIdRole


class MainWindow(QMainWindow):
    import_finished = Signal(object)  # ImportSummary

    def __init__(self, store: Store, jobs: JobRunner) -> None:
        super().__init__()
        self.store = store
        self.jobs = jobs
        self.import_job: Job | None = None
        self.setWindowTitle(f"Triage Desk — {Path(store.path).name}")
        self.resize(1200, 760)

        self.model = MessageTableModel(store, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.resizeSection(0, 130)
        header.resizeSection(1, 200)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(3, 110)
        self.table.selectionModel().currentRowChanged.connect(self._show_current)

        self.reader = QPlainTextEdit()
        self.reader.setReadOnly(True)
        self.reader.setPlaceholderText("Select a message to read it.")

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(self.reader)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.setCentralWidget(splitter)

        self.progress = QProgressBar()
        self.progress.setMaximumWidth(240)
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel import")
        self.cancel_button.hide()
        self.cancel_button.clicked.connect(self.cancel_import)
        self.count_label = QLabel()
        self.statusBar().addPermanentWidget(self.count_label)
        self.statusBar().addPermanentWidget(self.progress)
        self.statusBar().addPermanentWidget(self.cancel_button)
        self._update_count()

        file_menu = self.menuBar().addMenu("&File")
        act = QAction("&Import mail…", self)
        act.setShortcut(QKeySequence("Ctrl+I"))
        act.triggered.connect(self.choose_import)
        file_menu.addAction(act)
        act = QAction("Import &folder…", self)
        act.triggered.connect(self.choose_import_folder)
        file_menu.addAction(act)
        file_menu.addSeparator()
        act = QAction("&Quit", self)
        act.setShortcut(QKeySequence.StandardKey.Quit)
        act.triggered.connect(self.close)
        file_menu.addAction(act)

    # -- reading ----------------------------------------------------------------------------

    def _update_count(self) -> None:
        n = self.model.rowCount()
        self.count_label.setText(f"{n:,} message{'s' if n != 1 else ''}")

    def _show_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row_id = self.model.data(current, RowIdRole) if current.isValid() else None
        if row_id is None:
            self.reader.clear()
            return
        rec = self.store.message(row_id)
        lines = [
            f"From: {rec['sender_name']} <{rec['sender_address']}>",
            f"Date: {rec['date'].replace('T', ' ').rstrip('Z')} UTC",
            f"Subject: {rec['subject']}",
            "",
            rec["body_text"],
        ]
        self.reader.setPlainText("\n".join(lines))

    # -- import -----------------------------------------------------------------------------

    def choose_import(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self, "Import mail", str(Path.home()),
            "Mail (*.eml *.msg *.mbox *.mbx);;All files (*)")
        if files:
            self.start_import([Path(f) for f in files])

    def choose_import_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import a folder or Maildir", str(Path.home()))
        if folder:
            self.start_import([Path(folder)])

    def start_import(self, paths: list[Path]) -> Job | None:
        if self.import_job is not None and not self.import_job.done.is_set():
            self.statusBar().showMessage("An import is already running.", 5000)
            return None
        db_path = self.store.path

        def work(progress: Any, cancelled: Any) -> ImportSummary:
            with Store.open(db_path) as store:
                return import_paths(store, paths, progress=progress, cancelled=cancelled)

        job = Job(work)
        job.signals.progress.connect(self._on_progress)
        job.signals.finished.connect(self._on_import_done)
        job.signals.failed.connect(self._on_import_failed)
        self.import_job = job
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()
        self.statusBar().showMessage(f"Importing {', '.join(p.name for p in paths)}…")
        return self.jobs.start(job)

    def cancel_import(self) -> None:
        if self.import_job is not None:
            self.import_job.cancel()
            self.statusBar().showMessage("Cancelling import…")

    def _on_progress(self, state: ImportProgress) -> None:
        self.progress.setValue(int(state.fraction * 1000))
        if state.imported and state.imported != self.model.rowCount():
            self.model.reload()
            self._update_count()

    def _end_import(self) -> None:
        self.progress.hide()
        self.cancel_button.hide()
        self.model.reload()
        self._update_count()

    def _on_import_done(self, summary: ImportSummary) -> None:
        self._end_import()
        self.statusBar().showMessage(f"Import finished: {summary.line()}", 15000)
        self.import_finished.emit(summary)
        if summary.errors:
            detail = "\n".join(f"{e['locator']}: {e['reason']}" for e in summary.errors[:200])
            self.show_message("Import finished", summary.line() + "\n\nRejected:\n" + detail)

    def _on_import_failed(self, reason: str, _trace: str) -> None:
        self._end_import()
        self.show_message("Import failed", reason)

    def show_message(self, title: str, text: str) -> None:
        """Dialogs sit behind one method so tests can replace it."""
        QMessageBox.information(self, title, text)

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        self.jobs.shutdown()
        super().closeEvent(event)

