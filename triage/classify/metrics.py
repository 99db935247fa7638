"""The figures the product is judged on, from labelled examples and predictions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from ..store import TOPICS

ORDER = ("low", "normal", "high", "urgent")


class Labelled(Protocol):
    topics: frozenset[str]
    urgency: str
    safeguarding: bool


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "support": tp + fn}


def evaluate_predictions(truth: Sequence[Labelled], preds: Sequence[dict[str, Any]]) -> dict[str, Any]:
    n = len(truth)
    topics = {}
    for t in TOPICS:
        tp = sum(1 for e, p in zip(truth, preds) if t in e.topics and t in p["topics"])
        fp = sum(1 for e, p in zip(truth, preds) if t not in e.topics and t in p["topics"])
        fn = sum(1 for e, p in zip(truth, preds) if t in e.topics and t not in p["topics"])
        topics[t] = _prf(tp, fp, fn)
    exact = sum(1 for e, p in zip(truth, preds) if set(e.topics) == set(p["topics"])) / n
    u_exact = sum(1 for e, p in zip(truth, preds) if e.urgency == p["urgency"]) / n
    u_within = sum(1 for e, p in zip(truth, preds)
                   if abs(ORDER.index(e.urgency) - ORDER.index(p["urgency"])) <= 1) / n
    urgent_total = sum(1 for e in truth if e.urgency == "urgent")
    urgent_hit = sum(1 for e, p in zip(truth, preds) if e.urgency == "urgent" and p["urgency"] == "urgent")
    sg_tp = sum(1 for e, p in zip(truth, preds) if e.safeguarding and p["safeguarding"])
    sg_fp = sum(1 for e, p in zip(truth, preds) if not e.safeguarding and p["safeguarding"])
    sg_fn = sum(1 for e, p in zip(truth, preds) if e.safeguarding and not p["safeguarding"])
    confusion = {u: {v: 0 for v in ORDER} for u in ORDER}
    for e, p in zip(truth, preds):
        confusion[e.urgency][p["urgency"]] += 1
    # Yes/no labels as 2x2 tables: truth -> prediction.
    binary = {t: _yes_no([(t in e.topics, t in p["topics"]) for e, p in zip(truth, preds)]) for t in TOPICS}
    binary["safeguarding"] = _yes_no([(bool(e.safeguarding), bool(p["safeguarding"])) for e, p in zip(truth, preds)])
    return {
        "messages": n,
        "topics": topics,
        "topic_macro_f1": round(sum(v["f1"] for v in topics.values()) / len(TOPICS), 4),
        "exact_set_accuracy": round(exact, 4),
        "urgency_exact": round(u_exact, 4),
        "urgency_within_one": round(u_within, 4),
        "urgent_recall": round(urgent_hit / urgent_total, 4) if urgent_total else None,
        "safeguarding": _prf(sg_tp, sg_fp, sg_fn),
        "urgency_confusion": confusion,
        "yes_no_confusion": binary,
    }


def _yes_no(pairs: list[tuple[bool, bool]]) -> dict[str, dict[str, int]]:
    table = {"yes": {"yes": 0, "no": 0}, "no": {"yes": 0, "no": 0}}
    for truth, predicted in pairs:
        table["yes" if truth else "no"]["yes" if predicted else "no"] += 1
    return table


def format_report(report: dict[str, Any], title: str) -> str:
    lines = [f"{title} ({report['messages']} messages)"]
    for t, v in report["topics"].items():
        lines.append(f"  {t:13s} precision {v['precision']:.3f}  recall {v['recall']:.3f}  "
                     f"F1 {v['f1']:.3f}  (n={v['support']})")
    lines.append(f"  topic macro-F1 {report['topic_macro_f1']:.3f}   exact-set accuracy "
                 f"{report['exact_set_accuracy']:.3f}")
    lines.append(f"  urgency exact {report['urgency_exact']:.3f}   within one "
                 f"{report['urgency_within_one']:.3f}   urgent recall {report['urgent_recall']}")
    sg = report["safeguarding"]
    lines.append(f"  safeguarding recall {sg['recall']:.3f}  precision {sg['precision']:.3f}  "
                 f"(n={sg['support']})")
    return "\n".join(lines)
