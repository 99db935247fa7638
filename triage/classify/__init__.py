"""The classifier behind a small API: load a model, predict messages, explain a prediction.

Heavy imports (scikit-learn, skops) happen when a model is first loaded, never at import of
this package, so the window appears before the model is ready.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .text import ModelInput, from_message, from_row

__all__ = ["ModelRef", "ModelInput", "active_model_path", "classify_stored", "from_message", "from_row", "load"]

_loaded: dict[str, Any] = {}  # per process: path -> (mtime, model)


def active_model_path(explicit: str | os.PathLike[str] | None = None, store: Any = None) -> Path:
    """--model, else $TRIAGE_MODEL, else the store's active model (its registry), else the
    model shipped with the package."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("TRIAGE_MODEL")
    if env:
        return Path(env)
    if store is not None:
        from .registry import active_path

        return active_path(store)
    from .persist import default_model_path

    return default_model_path()


def classify_stored(store: Any, ref: ModelRef, *, everything: bool = False,
                    progress: Any = None, cancelled: Any = None) -> int:
    """Predict stored messages with `ref` (all, or those it has not classified yet), one
    transaction per batch, so a cancel or a crash leaves every batch whole and a rerun
    resumes. Human labels are never touched. `progress(stage, fraction)`."""
    version = ref.version
    total = store.count_messages() if everything else int(store.db.execute(
        "SELECT count(*) FROM messages m WHERE NOT EXISTS (SELECT 1 FROM predictions p "
        "WHERE p.message_id = m.id AND p.model_version = ?)", [version]).fetchone()[0])
    done = 0
    for rows in store.rows_to_classify(everything=everything, model_version=version):
        if cancelled is not None and cancelled():
            break
        preds = ref.predict_inputs([from_row(r) for r in rows])
        done += store.put_predictions(zip([r["id"] for r in rows], preds))
        if progress is not None:
            progress(f"classifying with model {version}: {done:,} of {total:,}", done / max(1, total))
    return done


def load(path: Path) -> Any:
    """The model at `path`, loaded once per process (and again if the file changes)."""
    from .persist import load_model

    key = str(path.resolve())
    mtime = path.stat().st_mtime_ns
    cached = _loaded.get(key)
    if cached is None or cached[0] != mtime:
        cached = (mtime, load_model(path)[0])
        _loaded[key] = cached
    return cached[1]


@dataclass(frozen=True)
class ModelRef:
    """A picklable handle on a model file: import worker processes load it once each."""

    path: str

    def __call__(self, messages: Sequence[Any]) -> list[dict[str, Any]]:
        return self.predict_inputs([from_message(m) for m in messages])

    def predict_inputs(self, inputs: Sequence[ModelInput]) -> list[dict[str, Any]]:
        return list(load(Path(self.path)).predict(inputs))

    @property
    def version(self) -> str:
        return str(load(Path(self.path)).version)

    def check(self) -> str:
        """The model's version, after the checks that need no scikit-learn (see
        persist.check_model_file). Whoever predicts loads it, and refuses unknown types then."""
        from .persist import check_model_file

        return str(check_model_file(Path(self.path)).get("version"))
