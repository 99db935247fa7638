"""`triage-desk`: the composition root. Builds the store, the job runner and the window once,
and passes them in; nothing below reaches for a global."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from triage.paths import data_dir, default_db_path, demo_inbox


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="triage-desk", description="Triage Desk desktop app")
    parser.add_argument("--db", metavar="FILE", help="database file (default: $TRIAGE_DB, else user data folder)")
    parser.add_argument("--demo", action="store_true",
                        help="start on a fresh database holding the bundled demo inbox")
    parser.add_argument("--exit-after-first-paint", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def demo_db_path() -> Path:
    return data_dir() / "demo.db"


def fresh_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        target = Path(str(path) + suffix)
        if target.exists():
            target.unlink()


def main(argv: list[str] | None = None) -> int:
    import multiprocessing

    multiprocessing.freeze_support()  # the import's parser processes, in a frozen build
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from PySide6.QtWidgets import QApplication, QMessageBox

    from triage.store import Store, StoreError

    from . import theme
    from .jobs import JobRunner
    from .main_window import MainWindow
    from .settings import Settings

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Triage Desk")
    app.setOrganizationName("Triage Desk")
    theme.follow_system(app)
    db_path = Path(args.db) if args.db else (demo_db_path() if args.demo else default_db_path())
    if args.demo:
        fresh_database(db_path)
    try:
        store = Store.open(db_path)
    except StoreError as exc:
        QMessageBox.critical(None, "Triage Desk cannot open its database", str(exc))
        return 1
    jobs = JobRunner()
    window = MainWindow(store, jobs, Settings())
    window.show()
    if args.exit_after_first_paint:
        _report_first_paint(window)
    if args.demo:
        window.start_import([demo_inbox()])
    code = app.exec()
    store.close()
    return int(code)


def _report_first_paint(window: object) -> None:
    """For bench/ui.py: print seconds from process start to the list's first paint, and quit."""
    import time

    import psutil
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    class FirstPaint(QObject):
        def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
            if event.type() == QEvent.Type.Paint:
                obj.removeEventFilter(self)
                QTimer.singleShot(0, self.done)
            return False

        def done(self) -> None:
            print(f"first-paint {time.time() - psutil.Process().create_time():.3f}", flush=True)
            QApplication.instance().quit()

    watcher = FirstPaint(window)
    window.table.viewport().installEventFilter(watcher)  # type: ignore[attr-defined]


if __name__ == "__main__":
    raise SystemExit(main())
