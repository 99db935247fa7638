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
    if args.demo:
        window.start_import([demo_inbox()])
    code = app.exec()
    store.close()
    return int(code)


if __name__ == "__main__":
    raise SystemExit(main())
