"""Retraining in the office: a candidate model from the corpus and the office's labels, judged
side by side with the active model on the same cross-validation folds, then kept in the
registry as a candidate for a trainer to activate, keep or discard.

"The same folds" means both recipes are trained without the fold they are scored on: the
candidate on today's labels, the active model on the labels it was trained on (the shipped
model: the corpus; a model trained here: its recorded training set). An imported model's
training messages are not on this laptop, so it is scored as it is (said in the report).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from ..store import TOPICS, Store, utcnow
from . import registry
from .corpus import CorpusError, Example, default_corpus_dir
from .metrics import ORDER, evaluate_predictions
from .model import Config, TriageModel, analyse
from .persist import load_model, save_model
from .training import (
    Cancelled, _fit_parts, choose_decisions, cross_validate, fold_workers, make_folds, oof_predictions,
)
from .training_set import TrainingItem, build, with_labels

Progress = Callable[[str, float], None]
PREVIEW_LIMIT = 20000  # newest stored messages checked for "what would change"
CHANGES_KEPT = 500  # changed messages listed in the report (all are counted)

__all__ = ["Cancelled", "retrain", "find_label_issues", "PREVIEW_LIMIT"]


def _noop(_stage: str, _fraction: float) -> None:
    pass


def retrain(store: Store, *, actor: str, corpus_dir: Path | None = None, folds: int = 5,
            config: Config | None = None, progress: Progress | None = None,
            cancelled: Callable[[], bool] | None = None,
            preview_limit: int = PREVIEW_LIMIT) -> registry.ModelEntry:
    """Train a candidate, compare it with the active model, refresh the likely-label-error
    queue, and register the candidate (never activated here). Raises Cancelled if asked to
    stop; nothing is written then."""
    with fold_workers():
        return _retrain(store, actor, corpus_dir, folds, config, progress, cancelled, preview_limit)


def _retrain(store: Store, actor: str, corpus_dir: Path | None, folds: int, config: Config | None,
             progress: Progress | None, cancelled: Callable[[], bool] | None,
             preview_limit: int) -> registry.ModelEntry:
    progress = progress or _noop
    stop = cancelled or (lambda: False)
    progress("reading the corpus and the office's labels", 0.0)
    tset = build(store, _corpus(corpus_dir), progress)
    train_items = [it for it in tset.items if it.example.split != "test"]
    test_items = [it for it in tset.items if it.example.split == "test"]
    examples = [it.example for it in train_items]
    if len(examples) < 50:
        raise ValueError(f"need at least 50 labelled messages to train, have {len(examples)}")
    config = config or Config()
    progress("reading dates and safeguarding phrases", 0.04)
    aux = analyse([e.input for e in examples])
    fold_list = make_folds(examples, folds, config.seed)

    cand_oof = cross_validate(examples, config, fold_list, progress, aux=aux, reasons=True,
                              cancelled=stop, span=(0.05, 0.40))
    candidate = TriageModel(config)
    choose_decisions(examples, cand_oof, candidate)
    cand_preds = oof_predictions(examples, cand_oof, candidate)

    registry.ensure_shipped(store)
    active = registry.entry(store, registry.active_version(store))
    active_model, _card = load_model(active.path)
    recipe = active_recipe(train_items, active, registry.training_set(store, active.version))
    if recipe is not None:
        act_oof = cross_validate(examples, active_model.config, fold_list, progress, aux=aux,
                                 trainable=recipe, cancelled=stop, span=(0.40, 0.70))
        # Its thresholds chosen the way the candidate's are (on its own out-of-fold scores,
        # against the labels it had), so neither side gets the advantage of tuning.
        known = [i for i, e in enumerate(recipe) if e is not None]
        decider = TriageModel(active_model.config)
        decider.version = active_model.version
        choose_decisions([recipe[i] for i in known], _subset(act_oof, known), decider)  # type: ignore[misc]
        act_preds = oof_predictions(examples, act_oof, decider)
        method = "Both were retrained fold by fold; the active model with the labels it was trained on."
    else:
        progress("scoring the active model", 0.55)
        act_preds = active_model.predict([e.input for e in examples], reasons=False)
        method = ("The active model was imported, so its training messages are not here: it is "
                  "scored as it is and may have seen some of these messages.")

    issues = find_label_issues(train_items, cand_oof, cand_preds)
    if stop():
        raise Cancelled()
    progress("fitting the new model on all messages", 0.72)
    _fit_parts(candidate, examples, aux)
    candidate.version = _new_version(store)
    test_split = None
    progress("scoring the held-out test messages", 0.78)
    if test_items:
        test = [it.example for it in test_items]
        inputs = [e.input for e in test]
        test_split = {"candidate": evaluate_predictions(test, candidate.predict(inputs, reasons=False)),
                      "active": evaluate_predictions(test, active_model.predict(inputs, reasons=False))}
    changes = preview_changes(store, candidate, active_model, limit=preview_limit, progress=progress,
                              cancelled=stop, span=(0.80, 0.97))
    # A safeguarding case: labelled so today, or in the labels the active model learned from.
    # The candidate's threshold keeps its out-of-fold recall on today's labels at 1.0, so a
    # label taken off since is how it comes to miss a case the active model caught.
    was_case = [bool(recipe is not None and recipe[i] is not None and recipe[i].safeguarding)
                for i in range(len(examples))]
    missed = [_describe(train_items[i]) for i, e in enumerate(examples)
              if (e.safeguarding or was_case[i]) and act_preds[i]["safeguarding"]
              and not cand_preds[i]["safeguarding"]]
    cand_report = evaluate_predictions(examples, cand_preds)
    comparison = {
        "against": active.version, "method": method, "folds": len(fold_list),
        "messages": len(examples), "store_labels": tset.store_labels,
        "corpus_corrections": len(tset.corrections),
        "groups": len({e.group for e in examples}),
        "candidate": cand_report, "active": evaluate_predictions(examples, act_preds),
        "test_split": test_split, "safeguarding_missed": missed, "changes": changes,
        "label_issues": len(issues),
    }
    if stop():
        raise Cancelled()
    progress("saving the candidate", 0.98)
    path = registry.models_dir(store) / f"model-{candidate.version}.skops"
    save_model(candidate, path, {
        "trained_at": utcnow(), "trained_by": actor, "corpus_sha256": tset.corpus_sha256,
        "database_labels": tset.store_labels, "corpus_corrections": len(tset.corrections),
        "seed": config.seed, "cross_validated": {**cand_report, "training_messages": len(examples)},
        "test_split": test_split["candidate"] if test_split else None,
    })
    entry = registry.register(store, path, origin="trained", actor=actor, comparison=comparison,
                              training_set=tset.manifest())
    store_label_issues(store, issues, candidate.version)
    progress("done", 1.0)
    return entry


def check_labels(store: Store, *, corpus_dir: Path | None = None, folds: int = 5,
                 progress: Progress | None = None, cancelled: Callable[[], bool] | None = None) -> int:
    """Only the cross-validation: refresh the likely-label-error queue without training a
    candidate. Returns how many issues are open."""
    progress = progress or _noop
    progress("reading the corpus and the office's labels", 0.0)
    tset = build(store, _corpus(corpus_dir), progress)
    train_items = [it for it in tset.items if it.example.split != "test"]
    examples = [it.example for it in train_items]
    config = Config()
    with fold_workers():
        oof = cross_validate(examples, config, folds, progress, reasons=True, cancelled=cancelled,
                             span=(0.05, 0.95))
    model = TriageModel(config)
    choose_decisions(examples, oof, model)
    issues = find_label_issues(train_items, oof, oof_predictions(examples, oof, model))
    store_label_issues(store, issues, registry.active_version(store))
    progress("done", 1.0)
    return len(issues)


def _corpus(corpus_dir: Path | None) -> Path:
    found = corpus_dir or default_corpus_dir()
    if found is None:
        raise CorpusError("the labelled corpus is not installed with this copy of Triage Desk")
    return found


def active_recipe(items: Sequence[TrainingItem], active: registry.ModelEntry,
                  manifest: dict[str, Any] | None) -> list[Example | None] | None:
    """What the active model's recipe may train on, item by item (None: it did not have it);
    None overall when its training data is not known here (an imported model)."""
    if active.origin == "shipped":
        return [with_labels(it.example, it.corpus_labels) if it.corpus_labels is not None else None
                for it in items]
    if manifest is None:
        return None
    fixes = manifest.get("corrections", {})
    labels = manifest.get("labels", {})
    out: list[Example | None] = []
    for it in items:
        if it.row_id is not None and str(it.row_id) in labels:
            out.append(with_labels(it.example, labels[str(it.row_id)]))
        elif it.corpus_key is not None and it.corpus_labels is not None:
            out.append(with_labels(it.example, fixes.get(it.corpus_key, it.corpus_labels)))
        else:
            out.append(None)
    return out


def _subset(oof: dict[str, Any], index: list[int]) -> dict[str, Any]:
    idx = np.asarray(index, dtype=int)
    return {"aux": [oof["aux"][i] for i in index],
            "raw_topic": {t: v[idx] for t, v in oof["raw_topic"].items()},
            "urgency_p": oof["urgency_p"][idx], "sg_p": oof["sg_p"][idx], "fold": oof["fold"][idx]}


def _new_version(store: Store) -> str:
    base = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    version, n = base, 1
    while store.db.execute("SELECT 1 FROM models WHERE version = ?", [version]).fetchone():
        n += 1
        version = f"{base}-{n}"
    return version


def _describe(item: TrainingItem) -> dict[str, Any]:
    return {"key": item.example.key, "row_id": item.row_id, "corpus_key": item.corpus_key,
            "subject": item.example.input.subject[:120]}


# -- likely label errors ---------------------------------------------------------------------

def find_label_issues(items: Sequence[TrainingItem], oof: dict[str, Any],
                      preds: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Confident learning, per label: with out-of-fold probabilities (each from a model that
    never saw the message), a class's confidence threshold is the mean probability the model
    gives that class on messages labelled with it. A label is a likely error when the model
    is at least that confident of another class and its decision disagrees. Urgency must be
    two levels out (one level is ordinary disagreement). Least probable given label first."""
    out: list[dict[str, Any]] = []
    n = len(items)
    for topic in TOPICS:
        p = np.array([pr["scores"][topic] for pr in preds])
        y = np.array([topic in it.example.topics for it in items])
        t_yes = float(p[y].mean()) if y.any() else 1.0
        t_no = float((1 - p[~y]).mean()) if (~y).any() else 1.0
        for i in range(n):
            decided = topic in preds[i]["topics"]
            if y[i] and not decided and 1 - p[i] >= t_no:
                out.append(_issue(items[i], preds[i], oof, i, "topics", {"topic": topic, "applies": True},
                                  {"topic": topic, "applies": False}, float(p[i])))
            elif not y[i] and decided and p[i] >= t_yes:
                out.append(_issue(items[i], preds[i], oof, i, "topics", {"topic": topic, "applies": False},
                                  {"topic": topic, "applies": True}, float(1 - p[i])))
    up = oof["urgency_p"]
    labels = np.array([ORDER.index(it.example.urgency) for it in items])
    thresholds = [float(up[labels == c, c].mean()) if (labels == c).any() else 1.0 for c in range(4)]
    for i in range(n):
        decided = ORDER.index(preds[i]["urgency"])
        given = labels[i]
        if abs(decided - given) >= 2 and up[i, decided] >= thresholds[decided]:
            out.append(_issue(items[i], preds[i], oof, i, "urgency", ORDER[given], ORDER[decided],
                              float(up[i, given])))
    sg = oof["sg_p"]
    y_sg = np.array([it.example.safeguarding for it in items])
    t_yes = float(sg[y_sg].mean()) if y_sg.any() else 1.0
    t_no = float((1 - sg[~y_sg]).mean()) if (~y_sg).any() else 1.0
    for i in range(n):
        decided = bool(preds[i]["safeguarding"])
        lexicon = bool(oof["aux"][i].counted)
        if y_sg[i] and not decided and 1 - sg[i] >= t_no:
            out.append(_issue(items[i], preds[i], oof, i, "safeguarding", True, False, float(sg[i])))
        elif not y_sg[i] and decided and (sg[i] >= t_yes or lexicon):
            out.append(_issue(items[i], preds[i], oof, i, "safeguarding", False, True, float(1 - sg[i])))
    out.sort(key=lambda d: d["given_probability"])
    return out


def _issue(item: TrainingItem, pred: dict[str, Any], oof: dict[str, Any], i: int, field: str,
           given: Any, suggested: Any, given_p: float) -> dict[str, Any]:
    view = {k: pred[k] for k in ("topics", "scores", "urgency", "urgency_scores", "safeguarding",
                                 "safeguarding_score", "confidence", "deadline")}
    view["reasons"] = {**pred.get("reasons", {}), "topics": oof["reasons"][i]}
    # A corpus message that a stored human label replaced is the stored message's issue.
    return {"row_id": item.row_id,
            "corpus_key": item.corpus_key if item.row_id is None else None,
            "subject": item.example.input.subject[:200], "sent": item.example.input.sent.isoformat(),
            "field": field, "given": given, "suggested": suggested,
            "given_probability": round(given_p, 4), "model_view": view}


def store_label_issues(store: Store, issues: Sequence[dict[str, Any]], model_version: str) -> None:
    """Replace the open queue with these issues. One a trainer already kept (same message,
    field and label) stays kept and is not asked again."""
    kept = {(r, c, f, g) for r, c, f, g in store.db.execute(
        "SELECT message_id, corpus_key, field, given FROM label_issues WHERE state = 'kept'")}
    now = utcnow()
    with store.write_transaction():
        store.db.execute("DELETE FROM label_issues WHERE state = 'open'")
        for d in issues:
            given = json.dumps(d["given"])
            if (d["row_id"], d["corpus_key"], d["field"], given) in kept:
                continue
            store.db.execute(
                "INSERT INTO label_issues (found_at, found_by_model, message_id, corpus_key, subject, sent, "
                "field, given, suggested, given_probability, model_view) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [now, model_version, d["row_id"], d["corpus_key"], d["subject"], d["sent"], d["field"], given,
                 json.dumps(d["suggested"]), d["given_probability"], json.dumps(d["model_view"])])


# -- what activation would change -------------------------------------------------------------

def preview_changes(store: Store, candidate: TriageModel, active_model: TriageModel, *,
                    limit: int, progress: Progress, cancelled: Callable[[], bool],
                    span: tuple[float, float]) -> dict[str, Any]:
    """Predict the newest `limit` stored messages with the candidate and compare with the
    active model's view (its stored prediction, or a fresh one if the stored one is older)."""
    from .text import from_row

    total = min(limit, store.count_messages())
    counts = {"topics": 0, "urgency": 0, "safeguarding_lost": 0, "safeguarding_gained": 0,
              "any": 0, "shown_differently": 0}
    items: list[dict[str, Any]] = []
    done = 0
    cur = store.db.execute(
        "SELECT m.id, m.subject, m.date, m.new_text, m.quoted_text, m.body_text, p.model_version, "
        "p.topics, p.urgency, p.safeguarding, l.message_id IS NOT NULL AS human "
        "FROM messages m LEFT JOIN predictions p ON p.message_id = m.id "
        "LEFT JOIN labels l ON l.message_id = m.id ORDER BY m.date DESC, m.id DESC LIMIT ?", [limit])
    names = [d[0] for d in cur.description]
    while True:
        batch = [dict(zip(names, r)) for r in cur.fetchmany(500)]
        if not batch:
            break
        if cancelled():
            raise Cancelled()
        inputs = [from_row(r) for r in batch]
        after = candidate.predict(inputs, reasons=False)
        stale = [j for j, r in enumerate(batch) if r["model_version"] != active_model.version]
        fresh = dict(zip(stale, active_model.predict([inputs[j] for j in stale], reasons=False))) if stale else {}
        for j, r in enumerate(batch):
            if j in fresh:
                b = fresh[j]
                before = (list(b["topics"]), b["urgency"], bool(b["safeguarding"]))
            else:
                before = (json.loads(r["topics"]), r["urgency"], bool(r["safeguarding"]))
            new = (list(after[j]["topics"]), after[j]["urgency"], bool(after[j]["safeguarding"]))
            if before == new:
                continue
            counts["any"] += 1
            counts["topics"] += before[0] != new[0]
            counts["urgency"] += before[1] != new[1]
            counts["safeguarding_lost"] += before[2] and not new[2]
            counts["safeguarding_gained"] += new[2] and not before[2]
            human = bool(r["human"])
            counts["shown_differently"] += not human
            if len(items) < CHANGES_KEPT:
                items.append({"row_id": r["id"], "subject": (r["subject"] or "")[:120], "date": r["date"],
                              "human_label": human,
                              "before": {"topics": before[0], "urgency": before[1], "safeguarding": before[2]},
                              "after": {"topics": new[0], "urgency": new[1], "safeguarding": new[2]}})
        done += len(batch)
        progress(f"checking what would change: {done:,} of {total:,} messages",
                 span[0] + (span[1] - span[0]) * done / max(1, total))
    # Losing a safeguarding flag matters most, then urgency moves; newest first within that.
    items.sort(key=lambda d: (not (d["before"]["safeguarding"] and not d["after"]["safeguarding"]),
                              d["before"]["urgency"] == d["after"]["urgency"]))
    return {"scanned": done, "counts": counts, "items": items}
