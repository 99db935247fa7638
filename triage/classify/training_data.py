"""The office's own labels as training data, merged with the corpus (human labels win)."""

from __future__ import annotations

from typing import Any

from .corpus import Example
from .text import from_row


def merge_store_labels(examples: list[Example], store: Any) -> tuple[list[Example], int]:
    """Corpus examples plus every human-labelled message in `store`. A stored message that is
    also in the corpus (same Message-ID) replaces the corpus label: the human wins. Fields a
    human left unset carry what the message effectively had (the model's, which they let
    stand). Returns the merged list and how many stored labels it took."""
    corpus_index = {e.message_id: i for i, e in enumerate(examples) if e.message_id}
    replaced: dict[int, Example] = {}
    added: list[Example] = []
    for row in store.human_labelled():
        example = Example(
            key=f"db:{row['message_id'] or row['id']}",
            input=from_row(row),
            topics=frozenset(row["topics"]),
            urgency=row["urgency"],
            safeguarding=bool(row["safeguarding"]),
            group=f"db:{row['id']}",
            split="train",
            message_id=row["message_id"],
        )
        index = corpus_index.get(row["message_id"]) if row["message_id"] else None
        if index is not None:
            replaced[index] = example
        else:
            added.append(example)
    merged = [replaced.get(i, e) for i, e in enumerate(examples)] + added
    return merged, len(added) + len(replaced)
