"""The model registry: every model version this office has had, which one is active, and the
moves between them (activate, roll back, discard, export, import).

A version's file and card live in the models folder beside the database; the `models` table
records the file's sha256, so a file swapped or damaged on disk is refused at load, on top of
the card's own checks (persist.load_model: safe format, trusted types, library versions).
The active model is the newest activation; with none, the model shipped in the package.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..store import Store, utcnow
from .persist import ModelFileError, card_path, default_model_path, file_sha256, load_model, read_card


class RegistryError(Exception):
    """A registry request that cannot be done; the message says why, for the user."""


@dataclass(frozen=True)
class ModelEntry:
    version: str
    origin: str  # shipped, trained, imported
    created_at: str
    created_by: str
    path: Path
    sha256: str
    card: dict[str, Any]
    discarded: bool
    active: bool
    ever_active: bool
    comparison: dict[str, Any] | None

    @property
    def safeguarding_regression(self) -> bool:
        """The comparison found safeguarding cases the active model caught and this one misses."""
        return bool(self.comparison and self.comparison.get("safeguarding_missed"))

    def metric(self, *keys: str) -> Any:
        value: Any = self.card.get("cross_validated") or {}
        for key in keys:
            if not isinstance(value, dict):
                return None
            value = value.get(key)
        return value


def models_dir(store: Store) -> Path:
    return Path(store.path).resolve().parent / "models"


def _file_name(version: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in version)
    return f"model-{safe}.skops"


def ensure_shipped(store: Store) -> str:
    """Register the model shipped in the package (copied into the models folder, so it can
    still be rolled back to after an upgrade replaces the package's file). Returns its version."""
    src = default_model_path()
    card = read_card(src)
    version = str(card["version"])
    if store.db.execute("SELECT 1 FROM models WHERE version = ?", [version]).fetchone() is None:
        _add(store, src, card, origin="shipped", actor="Triage Desk", comparison=None, training_set=None)
    return version


def _add(store: Store, src: Path, card: dict[str, Any], *, origin: str, actor: str,
         comparison: dict[str, Any] | None, training_set: dict[str, Any] | None) -> ModelEntry:
    version = str(card["version"])
    folder = models_dir(store)
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / _file_name(version)
    if src.resolve() != dest.resolve():
        if dest.exists() and file_sha256(dest) != card.get("model_file_sha256"):
            raise RegistryError(f"a different model file already sits at {dest}; not overwritten")
        tmp = dest.with_suffix(".copying")
        shutil.copyfile(src, tmp)
        card_path(dest).write_text(json.dumps(card, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        tmp.replace(dest)
    sha = file_sha256(dest)
    if sha != card.get("model_file_sha256"):
        raise RegistryError(f"{dest.name} does not match its model card")
    with store.write_transaction():
        store.db.execute(
            "INSERT INTO models (version, origin, created_at, created_by, file_name, file_sha256, card, "
            "comparison, training_set) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [version, origin, utcnow(), actor, dest.name, sha, json.dumps(card),
             json.dumps(comparison) if comparison is not None else None,
             json.dumps(training_set) if training_set is not None else None])
    return entry(store, version)


def register(store: Store, model_file: Path, *, origin: str, actor: str,
             comparison: dict[str, Any] | None = None,
             training_set: dict[str, Any] | None = None) -> ModelEntry:
    """Add a model file (and its card beside it) to the registry as a candidate, after loading
    it with every check. Refuses a version already registered."""
    ensure_shipped(store)
    try:
        model, card = load_model(model_file)
    except ModelFileError as exc:
        raise RegistryError(str(exc)) from exc
    if store.db.execute("SELECT 1 FROM models WHERE version = ?", [model.version]).fetchone():
        raise RegistryError(f"version {model.version} is already in the registry")
    return _add(store, model_file, card, origin=origin, actor=actor, comparison=comparison,
                training_set=training_set)


def import_file(store: Store, model_file: Path, actor: str) -> ModelEntry:
    """Import a model shared from another laptop: refused with the reason unless its card,
    its types and the library versions all check out. It arrives as a candidate."""
    return register(store, model_file, origin="imported", actor=actor)


def export(store: Store, version: str, dest: Path) -> Path:
    """Write a version's file and card (`dest` and `dest`.card.json) for another laptop."""
    e = entry(store, version)
    verify(e)
    if dest.suffix != ".skops":
        dest = dest.with_name(dest.name + ".skops")
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(e.path, dest)
    card_path(dest).write_text(json.dumps(e.card, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return dest


def verify(e: ModelEntry) -> None:
    """The version's file is there and is the one registered. The shipped model's copy is put
    back from the package when it went missing (a database moved without its models folder)."""
    if not e.path.exists() and e.origin == "shipped":
        src = default_model_path()
        if src.exists() and file_sha256(src) == e.sha256:
            e.path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, e.path)
            card_path(e.path).write_text(json.dumps(e.card, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if not e.path.exists():
        raise RegistryError(
            f"the file of model {e.version} is missing ({e.path}): put the models folder back beside "
            "the database, or roll back to another version (Training page, or triage models activate)")
    if file_sha256(e.path) != e.sha256:
        raise RegistryError(f"the file of model {e.version} has changed since it was registered")


_ENTRY_SQL = """
SELECT version, origin, created_at, created_by, file_name, file_sha256, card, discarded, comparison,
       EXISTS (SELECT 1 FROM model_activations a WHERE models.version IN (a.version, a.previous)) AS ever_active
FROM models
"""


def _entry(store: Store, row: tuple[Any, ...], active: str) -> ModelEntry:
    version, origin, created, by, file_name, sha, card, discarded, comparison, ever = row
    return ModelEntry(version=version, origin=origin, created_at=created, created_by=by,
                      path=models_dir(store) / file_name, sha256=sha, card=json.loads(card),
                      discarded=bool(discarded), active=version == active,
                      ever_active=bool(ever) or version == active,
                      comparison=json.loads(comparison) if comparison else None)


def entry(store: Store, version: str) -> ModelEntry:
    row = store.db.execute(_ENTRY_SQL + " WHERE version = ?", [version]).fetchone()
    if row is None:
        raise RegistryError(f"no model version {version!r} in the registry")
    return _entry(store, row, active_version(store))


def entries(store: Store) -> list[ModelEntry]:
    """Every version, newest first (the shipped one registered on first use)."""
    ensure_shipped(store)
    active = active_version(store)
    rows = store.db.execute(_ENTRY_SQL + " ORDER BY created_at DESC, rowid DESC").fetchall()
    return [_entry(store, row, active) for row in rows]


def active_version(store: Store) -> str:
    row = store.db.execute("SELECT version FROM model_activations ORDER BY id DESC LIMIT 1").fetchone()
    if row is not None:
        return str(row[0])
    return str(read_card(default_model_path())["version"])


def active_path(store: Store) -> Path:
    """The file of the active model (the package's own until something is activated)."""
    row = store.db.execute("SELECT version FROM model_activations ORDER BY id DESC LIMIT 1").fetchone()
    if row is None:
        return default_model_path()
    e = entry(store, str(row[0]))
    verify(e)
    return e.path


def activate(store: Store, version: str, actor: str, *, override_reason: str | None = None) -> ModelEntry:
    """Make `version` the active model (also how a rollback is done). A candidate flagged for
    missing safeguarding cases the active model caught needs a written reason to override.
    Stored predictions are not touched here: re-classify afterwards (human labels never are)."""
    ensure_shipped(store)
    e = entry(store, version)
    if e.active:
        raise RegistryError(f"model {version} is already active")
    if e.safeguarding_regression and not (override_reason or "").strip():
        missed = len(e.comparison["safeguarding_missed"]) if e.comparison else 0
        raise RegistryError(
            f"model {version} misses {missed} safeguarding case(s) the model active when it was "
            "trained caught; activating it needs an explicit override with a reason")
    verify(e)
    try:
        load_model(e.path)
    except ModelFileError as exc:
        raise RegistryError(str(exc)) from exc
    previous = active_version(store)
    with store.write_transaction():
        store.db.execute(
            "INSERT INTO model_activations (version, at, actor, previous, override_reason) VALUES (?, ?, ?, ?, ?)",
            [version, utcnow(), actor, previous, (override_reason or "").strip() or None])
        store.db.execute("UPDATE models SET discarded = 0 WHERE version = ?", [version])
    return entry(store, version)


def set_discarded(store: Store, version: str, discarded: bool) -> ModelEntry:
    """Discard a candidate (kept on disk and listed, greyed) or keep it again."""
    e = entry(store, version)
    if discarded and e.active:
        raise RegistryError("the active model cannot be discarded; activate another one first")
    with store.write_transaction():
        store.db.execute("UPDATE models SET discarded = ? WHERE version = ?", [int(discarded), version])
    return entry(store, version)


def activations(store: Store) -> list[dict[str, Any]]:
    cur = store.db.execute("SELECT version, at, actor, previous, override_reason FROM model_activations ORDER BY id DESC")
    return [dict(zip(("version", "at", "actor", "previous", "override_reason"), r)) for r in cur]


def training_set(store: Store, version: str) -> dict[str, Any] | None:
    row = store.db.execute("SELECT training_set FROM models WHERE version = ?", [version]).fetchone()
    return json.loads(row[0]) if row and row[0] else None
