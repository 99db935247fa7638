"""What a retrain learns from: the shipped corpus (with the office's corrections to it) plus
every human label in the store, human labels winning, with near-duplicate campaign copies
grouped so cross-validation never tests a copy of what it trained on."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..store import TOPICS, Store
from .corpus import Example, corpus_hash, load_corpus
from .text import from_row

Labels = tuple[tuple[str, ...], str, bool]  # topics, urgency, safeguarding
# Two messages whose word TF-IDF vectors are this close are copies of one campaign letter
# (names, addresses and a sentence or two differ).
NEAR_DUPLICATE_COSINE = 0.8


def labels_of(e: Example) -> Labels:
    return tuple(sorted(e.topics, key=TOPICS.index)), e.urgency, bool(e.safeguarding)


def with_labels(e: Example, labels: Labels | list[Any]) -> Example:
    topics, urgency, safeguarding = labels
    return replace(e, topics=frozenset(topics), urgency=str(urgency), safeguarding=bool(safeguarding))


@dataclass
class TrainingItem:
    example: Example  # with the labels it carries now
    corpus_key: str | None  # where it came from in the corpus, if it did
    row_id: int | None  # the stored message whose human label it carries, if any
    corpus_labels: Labels | None  # the corpus file's own labels (before any correction)


@dataclass
class TrainingSet:
    items: list[TrainingItem]
    corpus_sha256: str
    corrections: dict[str, Labels]
    store_labels: int

    @property
    def examples(self) -> list[Example]:
        return [i.example for i in self.items]

    def manifest(self) -> dict[str, Any]:
        """Enough to retrain this recipe later on other folds: the corpus, the corrections and
        the stored labels as they were (by message row)."""
        return {
            "corpus_sha256": self.corpus_sha256,
            "corrections": {k: list(v) for k, v in self.corrections.items()},
            "labels": {str(i.row_id): list(labels_of(i.example)) for i in self.items if i.row_id is not None},
        }


def corrections(store: Store) -> dict[str, Labels]:
    rows = store.db.execute("SELECT corpus_key, topics, urgency, safeguarding FROM corpus_corrections")
    return {k: (tuple(json.loads(t)), u, bool(s)) for k, t, u, s in rows}


def build(store: Store | None, corpus_dir: Path,
          progress: Callable[[str, float], None] | None = None) -> TrainingSet:
    """The corpus with corrections applied, then every human-labelled stored message (one that
    is also in the corpus, by Message-ID, replaces it: the human wins). Fields a human left
    unset carry what the message effectively had (the model's, which they let stand)."""
    fixes = corrections(store) if store is not None else {}
    items: list[TrainingItem] = []
    for e in load_corpus(corpus_dir):
        original = labels_of(e)
        if e.key in fixes:
            e = with_labels(e, fixes[e.key])
        items.append(TrainingItem(e, e.key, None, original))
    used = 0
    if store is not None:
        by_message_id = {it.example.message_id: n for n, it in enumerate(items) if it.example.message_id}
        for row in store.human_labelled():
            example = Example(
                key=f"db:{row['id']}", input=from_row(row), topics=frozenset(row["topics"]),
                urgency=row["urgency"], safeguarding=bool(row["safeguarding"]),
                group=f"db:{row['id']}", split="train", message_id=row["message_id"])
            n = by_message_id.get(row["message_id"]) if row["message_id"] else None
            if n is not None:
                old = items[n]
                items[n] = TrainingItem(example, old.corpus_key, int(row["id"]), old.corpus_labels)
            else:
                items.append(TrainingItem(example, None, int(row["id"]), None))
            used += 1
    if progress is not None:
        progress(f"grouping campaign copies among {len(items):,} labelled messages", 0.03)
    groups = near_duplicate_groups([it.example for it in items])
    for it, group in zip(items, groups):
        it.example = replace(it.example, group=group)
    return TrainingSet(items, corpus_hash(corpus_dir), fixes, used)


def near_duplicate_groups(examples: list[Example]) -> list[str]:
    """Each example's group: the corpus's own groups, joined wherever two messages' own words
    are near-identical (campaign copies), so a campaign sits in one cross-validation fold."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    n = len(examples)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    first_of_group: dict[str, int] = {}
    for i, e in enumerate(examples):
        union(i, first_of_group.setdefault(e.group, i))
    texts = [e.input.main for e in examples]
    # max_df 0.9, not lower: a campaign an office labelled in bulk can be a large share of the
    # labels, and its own words must still count for its copies to be grouped.
    if n > 1:
        vectors = TfidfVectorizer(stop_words="english", max_df=0.9, min_df=1, dtype=np.float32).fit_transform(texts)
        for start in range(0, n, 1000):
            sims = (vectors[start:start + 1000] @ vectors.T).tocoo()
            # Filter in numpy: a Python loop over every similarity took seconds at 6,000 labels.
            keep = (sims.data >= NEAR_DUPLICATE_COSINE) & (sims.row + start < sims.col)
            for a, b in zip(sims.row[keep].tolist(), sims.col[keep].tolist()):
                union(start + a, b)
    return [examples[find(i)].group for i in range(n)]
