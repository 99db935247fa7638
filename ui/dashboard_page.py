"""The manager's dashboard page: the core's figures (triage.dashboard) as charts, each with its
numbers in a table beside it; computed in the pool with a busy indicator; exportable."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCharts import (
    QBarCategoryAxis, QBarSeries, QBarSet, QChart, QChartView, QStackedBarSeries, QValueAxis,
)
from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDateEdit, QFileDialog, QGridLayout, QHBoxLayout, QHeaderView,
    QLabel, QProgressBar, QPushButton, QScrollArea, QTableWidget, QTableWidgetItem, QVBoxLayout,
    QWidget,
)

from triage import views
from triage.dashboard import Dashboard, Table, compute
from triage.store import Store

from .jobs import Job, JobRunner

COLOURS = {"SEND": "#6a1b9a", "Tribunal": "#1565c0", "School place": "#2e7d32", "Other": "#9e9e9e",
           "Urgent": "#c62828", "High": "#ef6c00", "Normal": "#546e7a", "Low": "#9e9e9e",
           "Median": "#1565c0", "90th percentile": "#90caf9"}
# (table, chart kind): every table is shown; these also get a chart.
CHARTS = {"weekly": "stacked", "urgency_open": "bars", "backlog": "stacked", "time_to_done": "pair",
          "time_to_done_weekly": "pair"}
ORDER = ("weekly", "urgency_open", "safeguarding", "backlog", "oldest_urgent", "deadlines",
         "time_to_done", "time_to_done_weekly", "staff", "model_health")
CLICKABLE = {"oldest_urgent", "deadlines"}  # rows whose first column is a message id


def _chart(table: Table, kind: str) -> QChartView:
    chart = QChart()
    chart.setTitle("")
    chart.legend().setVisible(kind != "bars")
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    categories = [str(r[0]) for r in table.rows]
    if kind == "pair":
        series = QBarSeries()
        names = [("Median", 2), ("90th percentile", 3)]
    elif kind == "stacked":
        series = QStackedBarSeries()
        names = [(name, i) for i, name in enumerate(table.columns[1:-1], start=1)]
    else:
        series = QBarSeries()
        names = [(table.columns[1], 1)]
    top = 0.0
    for name, column in names:
        bar = QBarSet(name)
        values = [float(r[column] or 0) for r in table.rows]
        bar.append(values)
        if kind == "bars":
            bar.setColor(QColor("#546e7a"))
        else:
            bar.setColor(QColor(COLOURS.get(name, "#546e7a")))
        series.append(bar)
        top = max(top, max(values, default=0.0))
    if kind == "stacked":
        top = max((sum(float(v or 0) for v in r[1:-1]) for r in table.rows), default=0.0)
    chart.addSeries(series)
    axis_x = QBarCategoryAxis()
    axis_x.append(categories)
    axis_y = QValueAxis()
    axis_y.setRange(0, max(1.0, top * 1.1))
    axis_y.setLabelFormat("%d")
    chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(axis_x)
    series.attachAxis(axis_y)
    view = QChartView(chart)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setMinimumHeight(230)
    return view


class DashboardPage(QWidget):
    refreshed = Signal(object)  # Dashboard
    open_message = Signal(int)

    def __init__(self, store: Store, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.jobs = jobs
        self.dashboard: Dashboard | None = None
        self.job: Job | None = None
        self._generation = 0
        self.stale = True

        today = QDate.currentDate()
        self.date_from = QDateEdit(today.addDays(-7 * 12))
        self.date_to = QDateEdit(today)
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("d MMM yyyy")
            edit.dateChanged.connect(lambda _d: self.refresh())
        self.staff = QComboBox()
        self.staff.addItem("Everyone", None)
        self.staff.currentIndexChanged.connect(lambda _i: self.refresh())
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.pdf_button = QPushButton("Export PDF…")
        self.pdf_button.clicked.connect(self.export_pdf)
        self.csv_button = QPushButton("Export CSV…")
        self.csv_button.clicked.connect(self.export_csv)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # indeterminate
        self.busy.setMaximumWidth(160)
        self.busy.hide()
        bar = QHBoxLayout()
        for w in (QLabel("From"), self.date_from, QLabel("to"), self.date_to, QLabel("  Staff"), self.staff):
            bar.addWidget(w)
        bar.addStretch(1)
        for w in (self.busy, self.refresh_button, self.pdf_button, self.csv_button):
            bar.addWidget(w)

        self.body = QWidget()
        self.grid = QGridLayout(self.body)
        self.grid.setHorizontalSpacing(18)
        self.grid.setVerticalSpacing(14)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.body)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(scroll)
        self.tables: dict[str, QTableWidget] = {}

    def period(self) -> tuple[date, date]:
        return self.date_from.date().toPython(), self.date_to.date().toPython()  # type: ignore[return-value]

    def mark_stale(self) -> None:
        """Data changed: refresh now if the page is showing, else when it is next shown."""
        self.stale = True
        if self.isVisible():
            self.refresh()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        if self.stale:
            self.refresh()

    def refresh(self) -> Job | None:
        if self.job is not None and not self.job.done.is_set():
            self.job.cancel()  # its result will be ignored; the latest request wins
        date_from, date_to = self.period()
        if date_from > date_to:
            return None
        staff = self.staff.currentData()
        self._generation += 1  # results of older refreshes are ignored when they arrive
        self.job = self.jobs.read(
            self.store.path, lambda store: (compute(store, date_from, date_to, staff), views.assignees(store)),
            lambda result, g=self._generation: self._show(*result, g),
            lambda reason, _trace: self._failed(reason))
        self.busy.show()
        self.stale = False
        return self.job

    def _failed(self, reason: str) -> None:
        self.busy.hide()
        self.grid.addWidget(QLabel(f"The dashboard could not be computed: {reason}"), 0, 0)

    def _show(self, dash: Dashboard, staff_names: list[str], generation: int) -> None:
        if generation != self._generation:
            return  # a newer refresh is on its way
        self.busy.hide()
        self.dashboard = dash
        self._update_staff(staff_names)
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.tables.clear()
        for row, key in enumerate(ORDER):
            table = dash.tables[key]
            title = QLabel(f"<b>{table.title}</b>" + (f"<br><small>{table.note}</small>" if table.note else ""))
            self.grid.addWidget(title, row * 2, 0, 1, 2)
            widget = self._table_widget(key, table)
            self.tables[key] = widget
            if key in CHARTS and table.rows:
                self.grid.addWidget(_chart(table, CHARTS[key]), row * 2 + 1, 0)
                self.grid.addWidget(widget, row * 2 + 1, 1)
            else:
                self.grid.addWidget(widget, row * 2 + 1, 0, 1, 2)
        self.grid.setColumnStretch(0, 3)
        self.grid.setColumnStretch(1, 2)
        self.refreshed.emit(dash)

    def _update_staff(self, names: list[str]) -> None:
        current = self.staff.currentData()
        self.staff.blockSignals(True)
        self.staff.clear()
        self.staff.addItem("Everyone", None)
        for name in names:
            self.staff.addItem(name, name)
        self.staff.setCurrentIndex(max(0, self.staff.findData(current)))
        self.staff.blockSignals(False)

    def _table_widget(self, key: str, table: Table) -> QTableWidget:
        widget = QTableWidget(len(table.rows), len(table.columns))
        widget.setHorizontalHeaderLabels(table.columns)
        widget.verticalHeader().hide()
        widget.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        widget.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        for r, values in enumerate(table.rows):
            for c, value in enumerate(values):
                item = QTableWidgetItem("–" if value is None else str(value))
                if isinstance(value, (int, float)):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                widget.setItem(r, c, item)
        widget.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        widget.horizontalHeader().setStretchLastSection(True)
        widget.setMinimumHeight(min(320, 34 + 28 * max(1, len(table.rows))))
        if key in CLICKABLE:
            widget.setToolTip("Double-click to open the message in the inbox")
            widget.cellDoubleClicked.connect(lambda r, _c, t=table: self.open_message.emit(int(t.rows[r][0])))
        return widget

    # -- export ------------------------------------------------------------------------------

    def export_pdf(self) -> None:
        if self.dashboard is None:
            return
        path = self.ask_save_path("Export the dashboard as PDF", "triage-report.pdf")
        if path:
            from triage.report import write_pdf

            write_pdf(self.dashboard, Path(path))

    def export_csv(self) -> None:
        if self.dashboard is None:
            return
        folder = self.ask_folder("Export every table as CSV into")
        if folder:
            self.dashboard.write_csv(Path(folder))

    def ask_save_path(self, title: str, name: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self, title, str(Path.home() / name), "PDF (*.pdf)")
        return path or None

    def ask_folder(self, title: str) -> str | None:
        return QFileDialog.getExistingDirectory(self, title, str(Path.home())) or None
