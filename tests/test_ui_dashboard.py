"""The dashboard page, driven through its widgets: figures, click-through, export, refresh on
change, and an event loop that keeps running while the figures are computed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import StallMeter
from PySide6.QtCore import QDate, QSettings, Qt
from test_dashboard import office  # noqa: F401  (fixture: a store with hand-worked figures)

from triage.store import Store
from ui.jobs import JobRunner
from ui.main_window import MainWindow
from ui.message_model import RowIdRole
from ui.settings import Settings


@pytest.fixture
def window(qtbot, store: Store, tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    settings.staff_name = "Priya"
    win = MainWindow(store, JobRunner(), settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


def show_march(qtbot, win: MainWindow):  # type: ignore[no-untyped-def]
    page = win.dashboard
    page.date_from.blockSignals(True)
    page.date_from.setDate(QDate(2026, 3, 1))
    page.date_from.blockSignals(False)
    with qtbot.waitSignal(page.refreshed, timeout=30000) as blocker:
        page.date_to.setDate(QDate(2026, 3, 31))
        if not page.isVisible():
            win.show_page(1)
    return blocker.args[0]


def cell(win: MainWindow, key: str, row: int, col: int) -> str:
    return win.dashboard.tables[key].item(row, col).text()


def test_dashboard_shows_the_figures_in_tables_beside_charts(qtbot, window: MainWindow, office) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.pages.currentIndex() == 1
    dash = show_march(qtbot, window)
    assert dash.date_from.isoformat() == "2026-03-01"
    assert [cell(window, "weekly", 0, c) for c in range(6)] == ["2026-03-02", "2", "1", "0", "0", "2"]
    assert cell(window, "staff", 0, 0) == "Priya" and cell(window, "staff", 1, 1) == "1"
    from PySide6.QtCharts import QChartView

    charts = window.dashboard.body.findChildren(QChartView)
    assert len(charts) >= 4
    assert not window.dashboard.busy.isVisible()


def test_click_through_opens_the_message_in_the_inbox(qtbot, window: MainWindow, office) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    window.show_page(1)
    show_march(qtbot, window)
    table = window.dashboard.tables["oldest_urgent"]
    wanted = int(table.item(1, 0).text())
    table.cellDoubleClicked.emit(1, 0)
    assert window.pages.currentIndex() == 0
    assert window.model.data(window.table.currentIndex(), RowIdRole) == wanted
    assert window.reader.subject.text() == "m5"


def test_exports_and_refresh_after_a_change(qtbot, window: MainWindow, office, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    window.show_page(1)
    show_march(qtbot, window)
    pdf = tmp_path / "dash.pdf"
    window.dashboard.ask_save_path = lambda title, name: str(pdf)  # type: ignore[method-assign]
    window.dashboard.export_pdf()
    assert pdf.stat().st_size > 10_000
    window.dashboard.ask_folder = lambda title: str(tmp_path / "csv")  # type: ignore[method-assign]
    window.dashboard.export_csv()
    assert (tmp_path / "csv" / "weekly.csv").read_text().startswith("Week beginning,SEND")
    # A triage change while the dashboard shows: it recomputes.
    window.apply_query()  # the window was built before the office's messages were stored
    with qtbot.waitSignal(window.dashboard.refreshed, timeout=30000) as blocker:
        window.select_row(0)
        window.act(lambda t, ids: t.assign([office["m1"]], "Jo"), "Assigned")
    assert "Jo" in [r[0] for r in blocker.args[0].tables["staff"].rows]


@pytest.mark.slow
def test_page_stays_responsive_while_aggregating(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from make_store import COLUMNS, rows

    path = tmp_path / "big.db"
    with Store.open(path) as store, store.write_transaction():
        sql = f"INSERT INTO messages ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
        store.db.conn.executemany(sql, rows(150_000))
    store = Store.open(path)
    win = MainWindow(store, JobRunner(), Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)))
    qtbot.addWidget(win)
    win.show()
    with StallMeter() as meter, qtbot.waitSignal(win.dashboard.refreshed, timeout=120000):
        win.dashboard.date_from.setDate(QDate(2024, 1, 1))
        win.show_page(1)
    win.close()
    store.close()
    assert len(meter.gaps) > 5
    assert meter.longest < 0.100, f"longest stall {meter.longest * 1000:.0f} ms"
