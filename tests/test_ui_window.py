"""The desktop window over the store: import with progress, list model, the PySide6 None leak."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import eml
from PySide6.QtCore import QIdentityProxyModel, Qt

from triage.paths import demo_inbox
from triage.pipeline import import_paths
from triage.store import Store
from ui.jobs import JobRunner
from ui.main_window import MainWindow
from ui.message_model import MessageTableModel, RowIdRole


@pytest.fixture
def window(qtbot, store: Store):  # type: ignore[no-untyped-def]
    jobs = JobRunner()
    win = MainWindow(store, jobs)
    win.show_message = lambda title, text: None  # type: ignore[method-assign]
    qtbot.addWidget(win)
    yield win
    jobs.shutdown()


def test_window_imports_the_demo_inbox_off_the_gui_thread(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    assert window.model.rowCount() == 0
    with qtbot.waitSignal(window.import_finished, timeout=60000) as blocker:
        window.start_import([demo_inbox()])
    summary = blocker.args[0]
    assert summary.imported >= 60 and summary.rejected == 0
    assert window.model.rowCount() == summary.imported
    assert window.count_label.text() == f"{summary.imported} messages"
    assert not window.progress.isVisible()


def test_selecting_a_row_shows_the_message(qtbot, tmp_path: Path, store: Store, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "a.eml").write_bytes(eml(subject="Tribunal hearing next week", body="Please help, the hearing is on 3/2."))
    import_paths(store, [tmp_path])
    window.model.reload()
    window.table.selectRow(0)
    text = window.reader.toPlainText()
    assert "Subject: Tribunal hearing next week" in text
    assert "the hearing is on 3/2" in text


def test_message_model_passes_qtmodeltester(qtmodeltester, tmp_path: Path, store: Store) -> None:  # type: ignore[no-untyped-def]
    for i in range(30):
        (tmp_path / f"{i}.eml").write_bytes(eml(message_id=f"<{i}@x>", subject=f"Subject {i}",
                                                date=f"Mon, {i % 28 + 1:02d} Mar 2026 10:00:00 +0000"))
    import_paths(store, [tmp_path])
    model = MessageTableModel(store)
    assert model.rowCount() == 30
    qtmodeltester.check(model)
    # Newest first (1..28 March, then wrapping), and the row id role gives the stored row.
    assert model.data(model.index(0, 2)) == "Subject 27"
    dates = [model.data(model.index(r, 0)) for r in range(30)]
    assert dates == sorted(dates, reverse=True)
    assert isinstance(model.data(model.index(0, 0), RowIdRole), int)


def test_data_returning_none_tens_of_thousands_of_times_does_not_abort(tmp_path: Path, store: Store) -> None:
    """PySide6 6.12.0 on Python 3.11 dropped a reference to None on every data() that returned
    None and aborted after a few thousand calls; pyproject pins PySide6<6.12 there."""
    (tmp_path / "a.eml").write_bytes(eml())
    import_paths(store, [tmp_path])
    model = MessageTableModel(store)
    # Through a C++ proxy, so each call crosses C++ -> Python -> C++ as a view's paint does.
    proxy = QIdentityProxyModel()
    proxy.setSourceModel(model)
    index = proxy.index(0, 0)
    for _ in range(50_000):
        assert proxy.data(index, Qt.ItemDataRole.DecorationRole) is None
        assert proxy.headerData(0, Qt.Orientation.Vertical, Qt.ItemDataRole.DecorationRole) is None
    assert proxy.data(index) is not None
