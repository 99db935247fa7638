"""Long work off the GUI thread: a job is a function run in the thread pool that reports
progress and can be cancelled; results and failures come back as Qt signals.

Each job opens its own `Store` in its worker thread (SQLite connections belong to the thread
that opened them); WAL lets the GUI's read connection keep painting while a job writes.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class JobSignals(QObject):
    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(str, str)  # one-line reason, traceback


class Job(QRunnable):
    """Run `fn(progress, cancelled)` in the pool. `fn` calls progress(obj) and polls cancelled()."""

    def __init__(self, fn: Callable[[Callable[[Any], None], Callable[[], bool]], Any]) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the owner keeps the job (and its signals) alive
        self.fn = fn
        self.signals = JobSignals()
        self._cancel = threading.Event()
        self.done = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def run(self) -> None:
        try:
            result = self.fn(self.signals.progress.emit, self._cancel.is_set)
        except Exception as exc:  # reported to the user, never swallowed
            self.signals.failed.emit(str(exc) or type(exc).__name__, traceback.format_exc())
        else:
            self.signals.finished.emit(result)
        finally:
            self.done.set()


class JobRunner(QObject):
    """Owns running jobs so they outlive the call that started them; waits for them on close."""

    def __init__(self, pool: QThreadPool | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = pool or QThreadPool.globalInstance()
        self.jobs: list[Job] = []

    def start(self, job: Job) -> Job:
        self.jobs = [j for j in self.jobs if not j.done.is_set()]
        self.jobs.append(job)
        self.pool.start(job)
        return job

    def read(self, db_path: str, fn: Callable[[Any], Any], finished: Callable[[Any], None],
             failed: Callable[[str, str], None] | None = None) -> Job:
        """Run `fn(store)` in the pool on a connection of its own (SQLite connections belong to
        their thread); `finished(result)` runs on the GUI thread. The slots are connected
        before the job starts, so a quick result is never missed."""

        def work(_progress: Any, _cancelled: Any) -> Any:
            from triage.store import Store

            with Store.open(db_path, create=False) as store:
                return fn(store)

        job = Job(work)
        job.signals.finished.connect(finished)
        if failed is not None:
            job.signals.failed.connect(failed)
        return self.start(job)

    def shutdown(self, timeout_ms: int = 30000) -> None:
        for job in self.jobs:
            job.cancel()
        self.pool.waitForDone(timeout_ms)
