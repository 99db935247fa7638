"""The window on an empty store, importing the demo inbox; and the PySide6 None regression."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import eml
from PySide6.QtCore import QIdentityProxyModel, QSettings, Qt

from triage.paths import demo_inbox
from triage.pipeline import import_paths
from triage.store import Store
from ui.jobs import JobRunner
from ui.main_window import MainWindow
from ui.message_model import MessageListModel
from ui.settings import Settings


@pytest.fixture
def window(qtbot, store: Store, tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    win = MainWindow(store, JobRunner(), settings)
    win.show_import_summary = lambda summary: None  # type: ignore[method-assign]
    qtbot.addWidget(win)
    yield win
    win.close()


def test_window_imports_and_classifies_the_demo_inbox_off_the_gui_thread(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    assert window.model.rowCount() == 0
    with qtbot.waitSignal(window.import_finished, timeout=120000) as blocker:
        window.start_import([demo_inbox()])
    summary = blocker.args[0]
    assert summary.imported >= 60 and summary.rejected == 0
    assert window.model.rowCount() == summary.imported
    assert window.count_label.text() == f"{summary.imported} messages"
    assert not window.progress.isVisible()
    classified = window.store.db.execute("SELECT count(*) FROM predictions").fetchone()[0]
    assert classified == summary.imported


def test_data_returning_none_tens_of_thousands_of_times_does_not_abort(tmp_path: Path, store: Store) -> None:
    """PySide6 6.12.0 on Python 3.11 dropped a reference to None on every data() that returned
    None and aborted after a few thousand calls; pyproject pins PySide6<6.12 there."""
    (tmp_path / "a.eml").write_bytes(eml())
    import_paths(store, [tmp_path])
    model = MessageListModel(store)
    # Through a C++ proxy, so each call crosses C++ -> Python -> C++ as a view's paint does.
    proxy = QIdentityProxyModel()
    proxy.setSourceModel(model)
    index = proxy.index(0, 0)
    for _ in range(50_000):
        assert proxy.data(index, Qt.ItemDataRole.DecorationRole) is None
        assert proxy.headerData(0, Qt.Orientation.Vertical, Qt.ItemDataRole.DecorationRole) is None
    assert proxy.data(index) is not None
