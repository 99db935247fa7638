"""Inbox speed on a large store, against a plain paged table measured in the same run.

    python bench/make_store.py 1000000 /tmp/triage-1m.db   # once
    python bench/ui.py /tmp/triage-1m.db

Baseline: a QTableView over a bare model that reports the row count and reads LIMIT/OFFSET
windows of (id, date, subject) ordered by id -- the cheapest correct large list. Then the real
window: first screen from launch (a fresh process), jump to the end, change sort, switch view,
search, each timed to the end of a synchronous repaint; and the app's memory.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from _common import ROOT

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def timed(fn, repaint) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    repaint()
    return time.perf_counter() - start


def baseline(path: Path) -> dict[str, float]:
    from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
    from PySide6.QtWidgets import QApplication, QTableView

    from triage.store import Store

    store = Store.open(path, create=False)
    calls = [0]

    class Plain(QAbstractTableModel):
        def __init__(self, order: str) -> None:
            super().__init__()
            self.order = order
            self.n = store.db.execute("SELECT count(*) FROM messages").fetchone()[0]
            self.cache: dict[int, list[tuple]] = {}

        def rowCount(self, parent=QModelIndex()):  # type: ignore[no-untyped-def]  # noqa: B008
            return 0 if parent.isValid() else self.n

        def columnCount(self, parent=QModelIndex()):  # type: ignore[no-untyped-def]  # noqa: B008
            return 3

        def data(self, index, role=Qt.ItemDataRole.DisplayRole):  # type: ignore[no-untyped-def]
            if role != Qt.ItemDataRole.DisplayRole:
                return None
            page = index.row() // 200
            if page not in self.cache:
                self.cache[page] = list(store.db.execute(
                    f"SELECT id, date, subject FROM messages ORDER BY {self.order} LIMIT 200 OFFSET ?",
                    [page * 200]))
            rows = self.cache[page]
            calls[0] += 1
            offset = index.row() % 200
            return str(rows[offset][index.column()]) if offset < len(rows) else None

    view = QTableView()
    view.resize(1200, 800)
    view.show()
    QApplication.processEvents()
    out = {}
    out["first screen"] = timed(lambda: view.setModel(Plain("id")), view.viewport().repaint)
    out["jump to end"] = timed(view.scrollToBottom, view.viewport().repaint)
    out["re-sort"] = timed(lambda: (view.setModel(Plain("date DESC")), view.scrollToTop()), view.viewport().repaint)
    if calls[0] == 0:
        raise SystemExit("baseline view painted nothing: its figures would be meaningless")
    store.close()
    return out


def app(path: Path) -> dict[str, float]:
    import psutil
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from triage import views
    from triage.store import Store
    from ui.jobs import JobRunner
    from ui.main_window import MainWindow
    from ui.settings import Settings

    settings = Settings(QSettings(str(Path(os.environ.get("TMPDIR", "/tmp")) / "triage-bench.ini"),
                                  QSettings.Format.IniFormat))
    store = Store.open(path, create=False)
    window = MainWindow(store, JobRunner(), settings)
    window.resize(1440, 900)
    window.show()
    QApplication.processEvents()
    # Measure with the start-up sidebar count finished (it scans the table in the pool).
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    window.counts_updated.connect(loop.quit)
    QTimer.singleShot(20000, loop.quit)
    if window.counts_job is not None and not window.counts_job.done.is_set():
        loop.exec()
    paint = window.table.viewport().repaint
    out = {}
    out["jump to end"] = timed(window.table.scrollToBottom, paint)
    out["sort by date"] = timed(lambda: window.sort_box.setCurrentIndex(window.sort_box.findData("date_desc")), paint)
    out["sort by deadline"] = timed(lambda: window.sort_box.setCurrentIndex(window.sort_box.findData("deadline")), paint)
    for view in ("urgent", "send", "safeguarding", "done", "all"):
        out[f"switch to {view}"] = timed(lambda v=view: window.sidebar.setCurrentRow(list(views.VIEWS).index(v)), paint)
    out["jump to end of All"] = timed(window.table.scrollToBottom, paint)
    window.sidebar.setCurrentRow(0)
    for term in ("tribunal", '"school place"', "psycholog*"):
        out[f"search {term}"] = timed(lambda t=term: (window.search.setText(t), window.apply_query()), paint)
    out["memory MB"] = psutil.Process().memory_info().rss / 2**20
    window.close()
    store.close()
    return out


def main() -> int:
    path = Path(sys.argv[1])
    from PySide6.QtWidgets import QApplication

    qapp = QApplication.instance() or QApplication([])  # noqa: F841
    from triage.store import Store

    with Store.open(path, create=False) as s:
        n = s.count_messages()
    print(f"store: {n:,} messages, {path.stat().st_size / 2**20:.0f} MB")
    launch = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-m", "ui.app", "--db", str(path), "--exit-after-first-paint"],
                             capture_output=True, text=True, cwd=ROOT, env={**os.environ}, timeout=120)
        line = [x for x in out.stdout.splitlines() if x.startswith("first-paint")]
        if not line:
            raise SystemExit(out.stderr)
        launch.append(float(line[0].split()[1]))
    base = baseline(path)
    ours = app(path)
    print(f"first screen from launch (fresh process, best of 3): {min(launch) * 1000:.0f} ms")
    print("baseline (plain paged table):  " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in base.items()))
    for key, value in ours.items():
        if key == "memory MB":
            print(f"app memory: {value:.0f} MB")
        else:
            print(f"{key:24s} {value * 1000:7.0f} ms")
    print(f"ratios to the baseline: jump to end {ours['jump to end'] / base['jump to end']:.1f}x, "
          f"sort by date {ours['sort by date'] / base['re-sort']:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
