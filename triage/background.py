"""Long CPU-bound work in a child process, for a desktop app: the child has its own
interpreter, so its Python work never competes with the app's GUI thread for the GIL (in a
thread it did: the event loop stalled up to 190 ms during a 100,000-message import).

A task is a module-level function `task(progress, cancelled, **kwargs)` named by
"module:function"; its progress and result come back over a queue, and cancel is an event the
task polls. The tasks the app runs this way (import, retrain, activate, label check) are below.
"""

from __future__ import annotations

import importlib
import multiprocessing
import queue as queue_module
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .pipeline import ImportProgress, ImportSummary


class TaskFailed(Exception):
    """The task could not run (the child's one-line reason)."""


class TaskCancelled(Exception):
    """The task stopped because it was asked to; nothing it would have written was kept."""


def _child(target: str, kwargs: dict[str, Any], messages: Any, cancel: Any) -> None:
    from .pipeline import lower_priority

    lower_priority()  # the app's process keeps the CPU when it needs it
    last = [0.0]

    def progress(*payload: Any) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.1:  # ten a second is plenty for a progress bar
            last[0] = now
            messages.put(("progress", payload[0] if len(payload) == 1 else payload))

    try:
        module, name = target.split(":")
        task = getattr(importlib.import_module(module), name)
        messages.put(("done", task(progress, cancel.is_set, **kwargs)))
    except Exception as exc:  # reported to the app as the reason, whatever it is
        from .classify.training import Cancelled

        if isinstance(exc, Cancelled):
            messages.put(("cancelled", ""))
        else:
            messages.put(("error", str(exc) or type(exc).__name__))


def run_in_child(target: str, kwargs: dict[str, Any], *, progress: Callable[[Any], None],
                 cancelled: Callable[[], bool]) -> Any:
    """Run a task in a child process; relay progress; honour cancel. Blocks (call it from a
    worker thread: waiting on the queue holds no GIL). Raises TaskFailed with the child's
    reason, TaskCancelled if the task stopped on a cancel."""
    ctx = multiprocessing.get_context("spawn")
    messages = ctx.Queue()
    cancel = ctx.Event()
    child = ctx.Process(target=_child, name=f"triage-{target.rsplit(':', 1)[-1]}",
                        args=(target, kwargs, messages, cancel))
    child.start()
    try:
        while True:
            if cancelled():
                cancel.set()
            try:
                kind, payload = messages.get(timeout=0.1)
            except queue_module.Empty:
                if not child.is_alive():
                    raise TaskFailed(f"the background process stopped unexpectedly (exit code {child.exitcode})") from None
                continue
            if kind == "progress":
                progress(payload)
            elif kind == "done":
                return payload
            elif kind == "cancelled":
                raise TaskCancelled()
            else:
                raise TaskFailed(payload)
    finally:
        child.join(timeout=30)
        if child.is_alive():
            child.terminate()


# -- the tasks ---------------------------------------------------------------------------------

def import_task(progress: Callable[..., None], cancelled: Callable[[], bool], *, db_path: str,
                paths: list[str], classify: bool, workers: int | None) -> ImportSummary:
    from .classify import ModelRef, active_model_path
    from .pipeline import import_paths
    from .store import Store

    with Store.open(db_path) as store:
        classifier = ModelRef(str(active_model_path(store=store))) if classify else None
        return import_paths(store, [Path(p) for p in paths], progress=progress, cancelled=cancelled,
                            classifier=classifier, workers=workers, background=True)


def import_in_child(db_path: str, paths: list[Path], *, classify: bool, workers: int | None,
                    progress: Callable[[ImportProgress], None],
                    cancelled: Callable[[], bool]) -> ImportSummary:
    result: ImportSummary = run_in_child(
        "triage.background:import_task",
        {"db_path": db_path, "paths": [str(p) for p in paths], "classify": classify, "workers": workers},
        progress=progress, cancelled=cancelled)
    return result


def retrain_task(progress: Callable[..., None], cancelled: Callable[[], bool], *, db_path: str,
                 actor: str, corpus_dir: str | None = None) -> str:
    """Train a candidate (see classify.retrain); returns its version."""
    from .classify.retrain import retrain
    from .store import Store

    with Store.open(db_path, create=False) as store:
        entry = retrain(store, actor=actor, corpus_dir=Path(corpus_dir) if corpus_dir else None,
                        progress=progress, cancelled=cancelled)
    return entry.version


def check_labels_task(progress: Callable[..., None], cancelled: Callable[[], bool], *, db_path: str,
                      corpus_dir: str | None = None) -> int:
    from .classify.retrain import check_labels
    from .store import Store

    with Store.open(db_path, create=False) as store:
        return check_labels(store, corpus_dir=Path(corpus_dir) if corpus_dir else None,
                            progress=progress, cancelled=cancelled)


def activate_task(progress: Callable[..., None], cancelled: Callable[[], bool], *, db_path: str,
                  version: str | None, actor: str, override_reason: str | None = None) -> int:
    """Activate `version` (None: only finish classifying with the active one), then classify
    every stored message the active model has not (human labels untouched). A cancel stops
    between batches; running it again resumes."""
    from .classify import ModelRef, classify_stored
    from .classify.registry import activate, active_path
    from .store import Store

    with Store.open(db_path, create=False) as store:
        if version is not None:
            progress("activating model " + version, 0.0)
            activate(store, version, actor, override_reason=override_reason)
        done = classify_stored(store, ModelRef(str(active_path(store))),
                               progress=progress,
                               cancelled=cancelled)
    if cancelled():
        from .classify.training import Cancelled

        raise Cancelled()
    return done
