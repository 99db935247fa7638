"""Running an import in a child process, for a desktop app: the child has its own interpreter,
so its Python work never competes with the app's GUI thread for the GIL (in a thread it did:
the event loop stalled up to 190 ms during a 100,000-message import)."""

from __future__ import annotations

import multiprocessing
import queue as queue_module
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .pipeline import ImportProgress, ImportSummary


class ImportFailed(Exception):
    """The import could not run (the child's one-line reason)."""


def _child(db_path: str, paths: list[str], classify: bool, workers: int | None,
           messages: Any, cancel: Any) -> None:
    from .pipeline import import_paths, lower_priority
    from .store import Store

    lower_priority()  # the app's process keeps the CPU when it needs it
    last = [0.0]

    def progress(state: ImportProgress) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.1:  # ten a second is plenty for a progress bar
            last[0] = now
            messages.put(("progress", state))

    try:
        classifier = None
        if classify:
            from .classify import ModelRef, active_model_path

            classifier = ModelRef(str(active_model_path()))
        with Store.open(db_path) as store:
            summary = import_paths(store, [Path(p) for p in paths], progress=progress,
                                   cancelled=cancel.is_set, classifier=classifier,
                                   workers=workers, background=True)
        messages.put(("done", summary))
    except Exception as exc:  # reported to the app as the reason, whatever it is
        messages.put(("error", str(exc) or type(exc).__name__))


def import_in_child(db_path: str, paths: list[Path], *, classify: bool, workers: int | None,
                    progress: Callable[[ImportProgress], None],
                    cancelled: Callable[[], bool]) -> ImportSummary:
    """Run `import_paths` in a child process; relay progress; honour cancel. Blocks (call it
    from a worker thread: waiting on the queue holds no GIL)."""
    ctx = multiprocessing.get_context("spawn")
    messages = ctx.Queue()
    cancel = ctx.Event()
    child = ctx.Process(target=_child, name="triage-import",
                        args=(db_path, [str(p) for p in paths], classify, workers, messages, cancel))
    child.start()
    try:
        while True:
            if cancelled():
                cancel.set()
            try:
                kind, payload = messages.get(timeout=0.1)
            except queue_module.Empty:
                if not child.is_alive():
                    raise ImportFailed(f"the import process stopped unexpectedly (exit code {child.exitcode})") from None
                continue
            if kind == "progress":
                progress(payload)
            elif kind == "done":
                return payload  # type: ignore[no-any-return]
            else:
                raise ImportFailed(payload)
    finally:
        child.join(timeout=30)
        if child.is_alive():
            child.terminate()
