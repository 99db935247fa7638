"""The main window: views with live counts, the message list, the reading pane, keyboard
triage, search and filters, and import with progress and cancel."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QActionGroup, QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QFileDialog, QHeaderView, QInputDialog, QLabel,
    QLineEdit, QListWidget, QListWidgetItem, QMainWindow, QProgressBar, QPushButton,
    QSplitter, QStackedWidget, QTableView, QToolBar, QVBoxLayout, QWidget,
)

from triage import views
from triage.actions import ActionError, Triage
from triage.background import import_in_child
from triage.pipeline import ImportProgress, ImportSummary
from triage.render import attachment_bytes
from triage.store import Store

from .dashboard_page import DashboardPage
from .delegates import BadgeDelegate
from .dialogs import Asks, ImportSummaryDialog, SettingsDialog, ShortcutsDialog
from .jobs import Job, JobRunner
from .message_model import COLUMN_INDEX, COLUMNS, MessageListModel, RowIdRole
from .reader import ReadingPane
from .settings import Settings
from .training_page import TrainingPage

SHORTCUTS = (
    ("j / ↓", "next message"), ("k / ↑", "previous message"),
    ("1", "toggle SEND"), ("2", "toggle Tribunal"), ("3", "toggle School place"),
    ("u", "urgency: urgent"), ("h", "urgency: high"), ("n", "urgency: normal"), ("l", "urgency: low"),
    ("s", "mark or clear safeguarding"), ("e", "done"), ("i", "in progress"), ("w", "awaiting reply"),
    ("r", "reopen as new"),
    ("a", "assign to…"), ("c", "add a note"), ("/", "search"), ("Esc", "clear search, back to list"),
    ("Ctrl+Z", "undo the last action"), ("Ctrl+I", "import mail"), ("Ctrl+1", "inbox"),
    ("Ctrl+2", "dashboard"), ("Ctrl+3", "training: review queues and models"),
    ("y / Enter", "training queues: take the model's suggestion, next"),
    ("x", "training queues: the label is right, next"), ("?", "this list"),
)
DATE_RANGES = (("Any time", None), ("Today", 0), ("Last 7 days", 7), ("Last 30 days", 30),
               ("Last 12 weeks", 84))


class MainWindow(Asks, QMainWindow):
    import_finished = Signal(object)  # ImportSummary
    counts_updated = Signal(dict)
    action_done = Signal(str)

    def __init__(self, store: Store, jobs: JobRunner, settings: Settings, corpus_dir: Path | None = None) -> None:
        super().__init__()
        # Background jobs are Python threads (counts, search counts): a shorter GIL switch
        # interval (default 5 ms) lets the GUI thread back in sooner while they run.
        sys.setswitchinterval(0.001)
        self.store = store
        self.jobs = jobs
        self.settings = settings
        self.import_job: Job | None = None
        self.counts_job: Job | None = None
        self.setWindowTitle(f"Triage Desk — {Path(store.path).stem}")
        self.setAcceptDrops(True)
        self.resize(1440, 880)

        # -- sidebar ----------------------------------------------------------------------
        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for name, (label, _where) in views.VIEWS.items():
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.sidebar.addItem(item)
        self.sidebar.setCurrentRow(0)
        self.sidebar.currentItemChanged.connect(lambda *_: self.apply_query())
        self.sidebar.setMinimumWidth(170)
        self.sidebar.setMaximumWidth(240)
        self.sidebar.setStyleSheet(
            "QListWidget#sidebar { border: none; background: palette(window); padding-top: 6px; }"
            "QListWidget#sidebar::item { padding: 7px 12px; border-radius: 6px; margin: 1px 6px; }"
            "QListWidget#sidebar::item:selected { background: palette(highlight); color: palette(highlighted-text); }")

        # -- toolbar: search, filters, sort -----------------------------------------------
        self.search = QLineEdit()
        self.search.setPlaceholderText('Search sender, subject, body   ("exact phrase", prefix*)   /')
        self.search.setClearButtonEnabled(True)
        self.search_timer = QTimer(self, singleShot=True, interval=250)
        self.search.textChanged.connect(lambda _t: self.search_timer.start())
        self.search_timer.timeout.connect(self.apply_query)
        self.status_filter = QComboBox()
        self.status_filter.addItem("Any status", None)
        for value, label in (("new", "New"), ("in_progress", "In progress"),
                             ("awaiting_reply", "Awaiting reply"), ("done", "Done")):
            self.status_filter.addItem(label, value)
        self.assignee_filter = QComboBox()
        self.date_filter = QComboBox()
        for label, days in DATE_RANGES:
            self.date_filter.addItem(label, days)
        self.sort_box = QComboBox()
        for name, (label, _order) in views.SORTS.items():
            self.sort_box.addItem(label, name)
        for box in (self.status_filter, self.assignee_filter, self.date_filter, self.sort_box):
            box.currentIndexChanged.connect(lambda _i: self.apply_query())
        self._fill_assignees()

        toolbar = QToolBar("Main")
        toolbar.setMovable(False)
        toolbar.setObjectName("mainToolbar")
        self.addToolBar(toolbar)
        self.inbox_action = QAction("Inbox", self, checkable=True, checked=True)
        self.inbox_action.setShortcut(QKeySequence("Ctrl+1"))
        self.inbox_action.triggered.connect(lambda: self.show_page(0))
        self.dashboard_action = QAction("Dashboard", self, checkable=True)
        self.dashboard_action.setShortcut(QKeySequence("Ctrl+2"))
        self.dashboard_action.triggered.connect(lambda: self.show_page(1))
        self.training_action = QAction("Training", self, checkable=True)
        self.training_action.setShortcut(QKeySequence("Ctrl+3"))
        self.training_action.triggered.connect(lambda: self.show_page(2))
        pages = QActionGroup(self)
        for action in (self.inbox_action, self.dashboard_action, self.training_action):
            pages.addAction(action)
            toolbar.addAction(action)
        toolbar.addSeparator()
        self.import_action = QAction("Import…", self)
        self.import_action.setShortcut(QKeySequence("Ctrl+I"))
        self.import_action.triggered.connect(self.choose_import)
        toolbar.addAction(self.import_action)
        toolbar.addSeparator()
        # The search and filters belong to the inbox: hidden on the other pages.
        self.inbox_tools = [toolbar.addWidget(self.search)]
        for label, box in (("Status", self.status_filter), ("Assigned", self.assignee_filter),
                           ("Received", self.date_filter), ("Sort", self.sort_box)):
            self.inbox_tools.append(toolbar.addWidget(QLabel(f"  {label} ")))
            self.inbox_tools.append(toolbar.addWidget(box))

        # -- list and reading pane ----------------------------------------------------------
        self.model = MessageListModel(store, self.current_query(), self, count_later=self._count_later)
        self.model.count_changed.connect(lambda _n: self._update_status())
        self.table = QTableView()
        self.table.setObjectName("messageList")
        self.table.setModel(self.model)
        self.table.setItemDelegate(BadgeDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(30)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionsMovable(True)
        for i, (_key, _label, width) in enumerate(COLUMNS):
            header.resizeSection(i, width)
        header.setSectionResizeMode(COLUMN_INDEX["subject"], QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COLUMN_INDEX["safeguarding"], QHeaderView.ResizeMode.Fixed)
        header.setSortIndicatorShown(False)
        header.sectionClicked.connect(self._header_clicked)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)

        self.reader = ReadingPane(settings.safeguarding_text)
        self.reader.link_requested.connect(self.open_link)
        self.reader.attachment_requested.connect(self.handle_attachment)

        self.list_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.list_splitter.addWidget(self.table)
        self.list_splitter.addWidget(self.reader)
        self.list_splitter.setStretchFactor(0, 3)
        self.list_splitter.setStretchFactor(1, 2)
        self.main_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.main_splitter.addWidget(self.sidebar)
        self.main_splitter.addWidget(self.list_splitter)
        self.main_splitter.setStretchFactor(1, 1)
        self.main_splitter.setSizes([200, 1240])
        self.list_splitter.setSizes([800, 440])
        holder = QWidget()
        layout = QVBoxLayout(holder)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.main_splitter)
        self.dashboard = DashboardPage(store, jobs)
        self.dashboard.open_message.connect(self.open_in_inbox)
        if corpus_dir is None:
            from triage.classify.corpus import default_corpus_dir

            corpus_dir = default_corpus_dir()
        self.training = TrainingPage(store, jobs, self.ensure_staff_name, corpus_dir)
        self.training.open_message.connect(self.open_in_inbox)
        self.training.labels_changed.connect(self._labels_changed_elsewhere)
        self.training.models_changed.connect(self._predictions_changed)
        self.training.reclassify_progress.connect(
            lambda: None if self.reload_timer.isActive() else self.reload_timer.start())
        self.pages = QStackedWidget()
        self.pages.addWidget(holder)
        self.pages.addWidget(self.dashboard)
        self.pages.addWidget(self.training)
        self.setCentralWidget(self.pages)
        self.import_finished.connect(lambda _s: self.dashboard.mark_stale())
        self.action_done.connect(lambda _d: self.dashboard.mark_stale())

        # -- status bar ---------------------------------------------------------------------
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(260)
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel import")
        self.cancel_button.hide()
        self.cancel_button.clicked.connect(self.cancel_import)
        self.count_label = QLabel()
        self.staff_label = QLabel()
        for w in (self.staff_label, self.count_label, self.progress, self.cancel_button):
            self.statusBar().addPermanentWidget(w)

        self._build_menus()
        self._build_shortcuts()
        self._restore_layout()
        self.counts_timer = QTimer(self, singleShot=True, interval=150)
        self.counts_timer.timeout.connect(self.refresh_counts)
        self.reload_timer = QTimer(self, singleShot=True, interval=1500)
        # Imports and re-classification start this timer: rows are added or move between
        # views, and the new count is taken in the pool.
        self.reload_timer.timeout.connect(lambda: self._reload_keeping_selection(count_in_background=True))
        self._update_status()
        self.refresh_counts()

    # -- menus and keys -----------------------------------------------------------------------

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.import_action)
        folder = QAction("Import &folder or Maildir…", self)
        folder.triggered.connect(self.choose_import_folder)
        file_menu.addAction(folder)
        file_menu.addSeparator()
        prefs = QAction("&Settings…", self)
        prefs.triggered.connect(self.edit_settings)
        file_menu.addAction(prefs)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        edit = self.menuBar().addMenu("&Edit")
        self.undo_action = QAction("&Undo last action", self)
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.undo_action.triggered.connect(self.undo)
        edit.addAction(self.undo_action)
        help_menu = self.menuBar().addMenu("&Help")
        keys = QAction("&Keyboard shortcuts", self)
        keys.triggered.connect(self.show_shortcuts)
        help_menu.addAction(keys)

    def _build_shortcuts(self) -> None:
        def key(seq: str, fn: Any) -> None:
            shortcut = QShortcut(QKeySequence(seq), self.table)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(fn)

        key("j", lambda: self.move(1))
        key("k", lambda: self.move(-1))
        key("1", lambda: self.act(lambda t, ids: t.toggle_topic(ids, "send"), "SEND toggled"))
        key("2", lambda: self.act(lambda t, ids: t.toggle_topic(ids, "tribunal"), "Tribunal toggled"))
        key("3", lambda: self.act(lambda t, ids: t.toggle_topic(ids, "school_place"), "School place toggled"))
        for letter, urgency in (("u", "urgent"), ("h", "high"), ("n", "normal"), ("l", "low")):
            key(letter, lambda u=urgency: self.act(lambda t, ids: t.set_urgency(ids, u), f"Urgency: {u}"))
        key("s", lambda: self.act(lambda t, ids: t.toggle_safeguarding(ids), "Safeguarding changed"))
        key("e", lambda: self.act(lambda t, ids: t.set_status(ids, "done"), "Marked done"))
        key("i", lambda: self.act(lambda t, ids: t.set_status(ids, "in_progress"), "In progress"))
        key("w", lambda: self.act(lambda t, ids: t.set_status(ids, "awaiting_reply"), "Awaiting reply"))
        key("r", lambda: self.act(lambda t, ids: t.set_status(ids, "new"), "Reopened as new"))
        key("a", self.assign_selected)
        key("c", self.note_selected)
        for seq in ("/", "Ctrl+F"):
            QShortcut(QKeySequence(seq), self, activated=self.focus_search)
        QShortcut(QKeySequence("?"), self, activated=self.show_shortcuts)
        QShortcut(QKeySequence("Escape"), self.search, activated=self.leave_search)

    # -- pages ---------------------------------------------------------------------------------

    def show_page(self, index: int) -> None:
        self.pages.setCurrentIndex(index)
        (self.inbox_action, self.dashboard_action, self.training_action)[index].setChecked(True)
        for tool in self.inbox_tools:
            tool.setVisible(index == 0)
        if index == 0:
            self.table.setFocus()
        elif index == 2:
            self.training.refresh()

    def _labels_changed_elsewhere(self) -> None:
        """The Training page changed labels: the list, counts and dashboard follow."""
        self.model.refresh_rows()
        self.counts_timer.start()
        self.dashboard.mark_stale()

    def _predictions_changed(self) -> None:
        """A model was activated and messages re-classified: reload what the inbox shows."""
        self._reload_keeping_selection()
        self.dashboard.mark_stale()

    def open_in_inbox(self, row_id: int) -> None:
        """Click-through from the dashboard: the message, selected, in All by priority."""
        self.show_page(0)
        for box in (self.status_filter, self.assignee_filter, self.date_filter, self.sort_box):
            box.blockSignals(True)
            box.setCurrentIndex(0)
            box.blockSignals(False)
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.sidebar.blockSignals(True)
        self.sidebar.setCurrentRow(list(views.VIEWS).index("all"))
        self.sidebar.blockSignals(False)
        self.apply_query()
        row = self.store.db.execute(
            "SELECT count(*) FROM messages WHERE (rank_key, id) < "
            "(SELECT rank_key, id FROM messages WHERE id = ?)", [row_id]).fetchone()[0]
        self.select_row(int(row))

    # -- queries ---------------------------------------------------------------------------------

    def current_query(self) -> views.Query:
        item = self.sidebar.currentItem()
        view = item.data(Qt.ItemDataRole.UserRole) if item else "inbox"
        days = self.date_filter.currentData()
        date_from = None
        if days is not None:
            from datetime import datetime, timedelta, timezone

            date_from = (datetime.now(timezone.utc) - timedelta(days=days)).strftime("%Y-%m-%d")
        return views.Query(view=view, sort=self.sort_box.currentData() or "priority",
                           search=self.search.text(), status=self.status_filter.currentData(),
                           assignee=self.assignee_filter.currentData(), date_from=date_from)

    def apply_query(self) -> None:
        if not hasattr(self, "model"):
            return
        self.model.set_query(self.current_query())
        self.search.setStyleSheet("QLineEdit { border: 1px solid #c62828; }" if self.model.error else "")
        self.search.setToolTip(self.model.error or "")
        self._update_status()
        if self.model.rowCount():
            self.select_row(0)
        else:
            self.reader.clear()

    def _header_clicked(self, section: int) -> None:
        key = COLUMNS[section][0]
        sort = {"date": "date_desc", "urgency": "urgency", "deadline": "deadline"}.get(key)
        if sort:
            self.sort_box.setCurrentIndex(self.sort_box.findData(sort))

    def _fill_assignees(self) -> None:
        current = self.assignee_filter.currentData()
        self.assignee_filter.blockSignals(True)
        self.assignee_filter.clear()
        self.assignee_filter.addItem("Anyone", None)
        self.assignee_filter.addItem("Unassigned", "")
        for name in views.assignees(self.store):
            self.assignee_filter.addItem(name, name)
        index = self.assignee_filter.findData(current)
        self.assignee_filter.setCurrentIndex(max(0, index))
        self.assignee_filter.blockSignals(False)

    def _update_status(self) -> None:
        n = self.model.rowCount()
        self.count_label.setText(f"{n:,} message{'s' if n != 1 else ''}")
        name = self.settings.staff_name
        self.staff_label.setText(f"Signed in as {name}   " if name else "")

    def _count_later(self, query: views.Query, done: Any) -> None:
        """Count a search's matches in the pool; `done(n)` runs on the GUI thread."""
        self.jobs.read(self.store.path, lambda store: views.count(store, query), done)

    # -- counts (off the GUI thread) -------------------------------------------------------------

    def refresh_counts(self) -> None:
        if self.counts_job is not None and not self.counts_job.done.is_set():
            self.counts_timer.start()  # one is running: ask again when it is done
            return
        self.counts_job = self.jobs.read(self.store.path, views.view_counts, self._show_counts)

    def _show_counts(self, counts: dict[str, int]) -> None:
        for i in range(self.sidebar.count()):
            item = self.sidebar.item(i)
            name = item.data(Qt.ItemDataRole.UserRole)
            label = views.VIEWS[name][0]
            item.setText(f"{label}   {counts.get(name, 0):,}")
        self.counts_updated.emit(counts)

    # -- selection and reading ----------------------------------------------------------------

    def selected_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        if not rows and self.table.currentIndex().isValid():
            rows = [self.table.currentIndex().row()]
        return [rid for rid in (self.model.row_id(r) for r in rows) if rid is not None]

    def select_row(self, row: int) -> None:
        row = max(0, min(row, self.model.rowCount() - 1))
        if row < 0 or self.model.rowCount() == 0:
            return
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(index)

    def move(self, step: int) -> None:
        current = self.table.currentIndex().row()
        self.select_row(0 if current < 0 else current + step)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row_id = self.model.data(current, RowIdRole) if current.isValid() else None
        if row_id is None:
            self.reader.clear()
            return
        self.show_message(int(row_id))

    def show_message(self, row_id: int) -> None:
        v = views.reading(self.store, row_id, self.settings.staff_name or "viewer")
        self.reader.show_message(v["record"], v["state"], v["prediction"], v["notes"], v["html"])

    # -- triage actions -------------------------------------------------------------------------

    def ensure_staff_name(self) -> str | None:
        name = self.settings.staff_name
        if not name:
            name = self.ask_text("Who are you?", "Your name stamps every change you make:")
            if not name:
                return None
            self.settings.staff_name = name
            self._update_status()
        return name

    def act(self, fn: Any, description: str) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        name = self.ensure_staff_name()
        if not name:
            return
        row = self.table.currentIndex().row()
        try:
            fn(Triage(self.store, name), ids)
        except ActionError as exc:
            self.show_message_box("Cannot do that", str(exc))
            return
        self._after_change(row, ids)
        suffix = f" ({len(ids)} messages)" if len(ids) > 1 else ""
        self.statusBar().showMessage(f"{description}{suffix} — Ctrl+Z to undo", 6000)
        self.action_done.emit(description)

    def _after_change(self, row: int, ids: list[int]) -> None:
        before = self.model.rowCount()
        self.model.refresh_rows()
        if self.model.rowCount() != before or len(ids) > 1:
            self.select_row(min(row, self.model.rowCount() - 1))
        elif ids:
            self.show_message(ids[0] if len(ids) == 1 else ids[-1])
        self._update_status()
        self.counts_timer.start()

    def assign_selected(self) -> None:
        names = sorted(set(views.assignees(self.store)) | {self.settings.staff_name} - {""})
        person = self.ask_item("Assign to", "Staff member (type a new name, or empty to unassign):", names)
        if person is None:
            return
        self.act(lambda t, ids: t.assign(ids, person), f"Assigned to {person}" if person else "Unassigned")
        self._fill_assignees()

    def note_selected(self) -> None:
        text = self.ask_text("Add a note", "Note:")
        if text:
            ids = self.selected_ids()[:1]
            if ids:
                self.act(lambda t, _ids: t.add_note(ids[0], text), "Note added")

    def undo(self) -> None:
        if self.pages.currentIndex() == 2 and self.training.undo():
            self.statusBar().showMessage("Undone.", 4000)
            return
        name = self.settings.staff_name
        if not name:
            return
        touched = Triage(self.store, name).undo()
        if not touched:
            self.statusBar().showMessage("Nothing to undo.", 4000)
            return
        row = self.table.currentIndex().row()
        self.model.refresh_rows()
        self.select_row(max(0, row))
        self._update_status()
        self.counts_timer.start()
        self.statusBar().showMessage(f"Undone ({len(touched)} message{'s' if len(touched) != 1 else ''}).", 4000)
        self.action_done.emit("undo")

    # -- search focus ------------------------------------------------------------------------------

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def leave_search(self) -> None:
        if self.search.text():
            self.search.clear()
        self.table.setFocus()

    # -- links and attachments ---------------------------------------------------------------

    def open_link(self, url: QUrl) -> None:
        if url.scheme() not in ("http", "https", "mailto"):
            self.show_message_box("Link not opened", f"Triage Desk does not open {url.scheme() or 'this kind of'} links.")
            return
        if self.confirm("Open link?", f"This opens your web browser at:\n\n{url.toString()}\n\n"
                        "Only continue if you trust the sender."):
            QDesktopServices.openUrl(url)

    def handle_attachment(self, index: int, how: str) -> None:
        record = self.reader.record
        if record is None:
            return
        name, data = attachment_bytes(self.store.raw_source(record["id"]), record["source_kind"], index)
        if how == "save":
            target = self.ask_save_path(name)
            if target:
                Path(target).write_bytes(data)
                self.statusBar().showMessage(f"Saved {target}", 5000)
        elif self.confirm("Open attachment?", f"Open {name} with the program your computer uses for it?"):
            import tempfile

            folder = Path(tempfile.mkdtemp(prefix="triage-attachment-"))
            path = folder / name
            path.write_bytes(data)
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    # -- import -------------------------------------------------------------------------------------

    def choose_import(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Import mail", str(Path.home()),
                                                "Mail (*.eml *.msg *.mbox *.mbx);;All files (*)")
        if files:
            self.start_import([Path(f) for f in files])

    def choose_import_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import a folder or Maildir", str(Path.home()))
        if folder:
            self.start_import([Path(folder)])

    def dragEnterEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        if event.mimeData().hasUrls() and all(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.start_import(paths)

    def start_import(self, paths: list[Path], *, classify: bool = True, workers: int | None = None) -> Job | None:
        if self.import_job is not None and not self.import_job.done.is_set():
            self.statusBar().showMessage("An import is already running.", 5000)
            return None
        db_path = self.store.path

        def work(progress: Any, cancelled: Any) -> ImportSummary:
            return import_in_child(db_path, paths, classify=classify, workers=workers,
                                   progress=progress, cancelled=cancelled)

        job = Job(work)
        job.signals.progress.connect(self._on_progress)
        job.signals.finished.connect(self._on_import_done)
        job.signals.failed.connect(self._on_import_failed)
        self.import_job = job
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        self.statusBar().showMessage(f"Importing {', '.join(p.name for p in paths)}…")
        return self.jobs.start(job)

    def cancel_import(self) -> None:
        if self.import_job is not None:
            self.import_job.cancel()
            self.cancel_button.setEnabled(False)
            self.statusBar().showMessage("Cancelling import after the current batch…")

    def _on_progress(self, state: ImportProgress) -> None:
        self.progress.setValue(int(state.fraction * 1000))
        self.progress.setFormat(f"%p%  {state.imported:,} new")
        if state.imported and not self.reload_timer.isActive():
            self.reload_timer.start()  # the list follows the import, at most every 1.5 s

    def _reload_keeping_selection(self, *, count_in_background: bool = False) -> None:
        current = self.table.currentIndex()
        row_id = self.model.data(current, RowIdRole) if current.isValid() else None
        scroll = self.table.verticalScrollBar().value()
        self.model.reload(count_in_background=count_in_background)
        self._update_status()
        self.counts_timer.start()
        if row_id is not None:
            row = self.model.row_of(int(row_id), near=current.row())
            if row is not None:
                self.table.selectionModel().setCurrentIndex(
                    self.model.index(row, 0),
                    QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.table.verticalScrollBar().setValue(scroll)

    def _end_import(self) -> None:
        self.progress.hide()
        self.cancel_button.hide()
        self.reload_timer.stop()
        self._reload_keeping_selection()
        self._fill_assignees()
        if not self.table.currentIndex().isValid() and self.model.rowCount():
            self.select_row(0)

    def _on_import_done(self, summary: ImportSummary) -> None:
        self._end_import()
        self.statusBar().showMessage(f"Import {'cancelled' if summary.cancelled else 'finished'}: {summary.line()}", 15000)
        self.import_finished.emit(summary)
        if summary.errors or summary.cancelled:
            self.show_import_summary(summary)

    def _on_import_failed(self, reason: str, _trace: str) -> None:
        self._end_import()
        self.show_message_box("Import failed", reason)

    # -- settings and layout ------------------------------------------------------------------

    def edit_settings(self) -> None:
        dialog = SettingsDialog(self.settings.staff_name, self.settings.safeguarding_text, self)
        if dialog.exec():
            name, text = dialog.values()
            if name:
                self.settings.staff_name = name
            self.settings.safeguarding_text = text
            self.reader.safeguarding_text = self.settings.safeguarding_text
            self._update_status()

    def _restore_layout(self) -> None:
        for key, restore in (("geometry", self.restoreGeometry), ("state", self.restoreState),
                             ("header", self.table.horizontalHeader().restoreState),
                             ("main_splitter", self.main_splitter.restoreState),
                             ("list_splitter", self.list_splitter.restoreState)):
            value = self.settings.layout(key)
            if value is not None:
                restore(value)

    def save_layout(self) -> None:
        self.settings.set_layout("geometry", self.saveGeometry())
        self.settings.set_layout("state", self.saveState())
        self.settings.set_layout("header", self.table.horizontalHeader().saveState())
        self.settings.set_layout("main_splitter", self.main_splitter.saveState())
        self.settings.set_layout("list_splitter", self.list_splitter.saveState())
        self.settings.sync()

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        self.save_layout()
        for timer in (self.counts_timer, self.reload_timer, self.search_timer):
            timer.stop()
        self.jobs.shutdown()
        super().closeEvent(event)

    # -- dialogs: one method each, so tests can replace them ------------------------------------

    def show_shortcuts(self) -> None:
        ShortcutsDialog(SHORTCUTS, self).exec()

    def show_import_summary(self, summary: ImportSummary) -> None:
        ImportSummaryDialog(summary, self).exec()

    def ask_item(self, title: str, label: str, items: list[str]) -> str | None:
        item, ok = QInputDialog.getItem(self, title, label, items, 0, True)
        return item.strip() if ok else None

    def ask_save_path(self, name: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self, "Save attachment", str(Path.home() / name))
        return path or None
