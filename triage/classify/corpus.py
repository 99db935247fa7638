"""The labelled corpus: raw emails plus `labels.jsonl` files, read with the importer's parser."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from ..parse import parse_message
from ..store import TOPICS, URGENCIES
from .text import ModelInput, from_message


@dataclass(frozen=True, slots=True)
class Example:
    key: str  # "b3/b3-047.eml", or "db:<message_id>" for labels from a store
    input: ModelInput
    topics: frozenset[str]
    urgency: str
    safeguarding: bool
    group: str  # near-duplicates share one; cross-validation keeps a group in one fold
    split: str  # "train" or "test"
    why: str = ""
    message_id: str | None = None


class CorpusError(Exception):
    pass


def default_corpus_dir() -> Path | None:
    """The corpus installed with the package (triage/data/corpus; in a source checkout a link
    to models/corpus), so retraining works from `pip install .` alone."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "data" / "corpus", here.parent / "models" / "corpus"):
        if candidate.is_dir():
            return candidate.resolve()
    return None


def load_labels_file(path: Path) -> list[dict[str, object]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusError(f"{path}:{number}: not JSON ({exc.msg})") from exc
        validate_label(row, f"{path}:{number}")
        rows.append(row)
    return rows


def validate_label(row: dict[str, object], where: str) -> None:
    topics = row.get("topics")
    if not isinstance(topics, list) or not set(topics) <= set(TOPICS):
        raise CorpusError(f"{where}: topics must be a list drawn from {', '.join(TOPICS)}")
    if row.get("urgency") not in URGENCIES:
        raise CorpusError(f"{where}: urgency must be one of {', '.join(URGENCIES)}")
    if not isinstance(row.get("safeguarding"), bool):
        raise CorpusError(f"{where}: safeguarding must be true or false")
    if row["safeguarding"] and row["urgency"] != "urgent":
        raise CorpusError(f"{where}: safeguarding implies urgency 'urgent'")


def load_corpus(root: Path) -> list[Example]:
    """Every labelled message under `root` (each folder with a labels.jsonl), in a stable order."""
    if not root.is_dir():
        raise CorpusError(f"no corpus folder at {root}")
    examples: list[Example] = []
    label_files = sorted(root.rglob("labels.jsonl"))
    if not label_files:
        raise CorpusError(f"no labels.jsonl under {root}")
    for labels_path in label_files:
        folder = labels_path.parent
        for row in load_labels_file(labels_path):
            path = folder / str(row["file"])
            try:
                msg = parse_message(path.read_bytes())
            except OSError as exc:
                raise CorpusError(f"{labels_path}: cannot read {path.name}: {exc.strerror}") from exc
            key = f"{folder.relative_to(root)}/{path.name}"
            examples.append(Example(
                key=key,
                input=from_message(msg),
                topics=frozenset(row["topics"]),  # type: ignore[arg-type]
                urgency=str(row["urgency"]),
                safeguarding=bool(row["safeguarding"]),
                group=str(row.get("group") or key),
                split=str(row.get("split") or "train"),
                why=str(row.get("why") or ""),
                message_id=msg.message_id,
            ))
    return examples


def corpus_hash(root: Path) -> str:
    """A hash of every file the corpus is made of, so a model card names its exact data."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.name != "README.md"):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
