"""`triage train`, `triage evaluate` and `triage classify`: the model, headless."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .paths import data_dir
from .store import TOPICS


class ModelCommandFailed(Exception):
    pass


def add_commands(sub: Any, db_option: Any) -> None:
    p = sub.add_parser("train", help="train a model from the corpus (and the office's own labels)")
    p.add_argument("--corpus", metavar="DIR", help="labelled corpus (default: models/corpus)")
    p.add_argument("--with-db-labels", action="store_true",
                   help="add the human labels stored in the database (they win on conflicts)")
    db_option(p)
    p.add_argument("--out", metavar="FILE", help="model file to write (default: user data folder)")
    p.add_argument("--seed", type=int, default=None)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="score a model on labelled messages without importing them")
    p.add_argument("path", metavar="PATH", help="messages: folder, mbox, Maildir or files")
    p.add_argument("--labels", metavar="FILE.jsonl", required=True,
                   help="one JSON object a line: message_id (or file), topics, urgency, safeguarding")
    p.add_argument("--model", metavar="FILE", help="model file (default: the active model)")
    p.add_argument("--worst", type=int, default=15, help="how many of the worst mistakes to show")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("classify", help="(re)classify stored messages with the active model")
    db_option(p)
    p.add_argument("--all", action="store_true",
                   help="every message, not only those the active model has not classified")
    p.add_argument("--model", metavar="FILE", help="model file (default: the active model)")
    p.set_defaults(func=cmd_classify)


def _progress(stage: str, fraction: float) -> None:
    if sys.stderr.isatty():
        sys.stderr.write(f"\r{fraction:4.0%} {stage:60s}")
        sys.stderr.flush()
        if fraction >= 1.0:
            sys.stderr.write("\n")


def cmd_train(args: argparse.Namespace) -> int:
    from .classify.corpus import CorpusError, corpus_hash, default_corpus_dir, load_corpus
    from .classify.metrics import evaluate_predictions, format_report
    from .classify.model import Config
    from .classify.persist import save_model
    from .classify.training import fit_model

    corpus_dir = Path(args.corpus) if args.corpus else default_corpus_dir()
    if corpus_dir is None:
        raise ModelCommandFailed("no corpus: pass --corpus DIR")
    try:
        examples = load_corpus(corpus_dir)
    except CorpusError as exc:
        raise ModelCommandFailed(str(exc)) from exc
    db_count = 0
    if args.with_db_labels:
        from .cli import open_store
        from .classify.training_data import merge_store_labels

        with open_store(args, create=False) as store:
            examples, db_count = merge_store_labels(examples, store)
    config = Config() if args.seed is None else Config(seed=args.seed)
    model, report = fit_model(examples, config, progress=_progress)
    test = [e for e in examples if e.split == "test"]
    test_report = evaluate_predictions(test, model.predict([e.input for e in test], reasons=False)) if test else None
    print(format_report(report, "5-fold grouped cross-validation"))
    if test_report:
        print(format_report(test_report, "held-out test split (never trained on)"))
    out = Path(args.out) if args.out else data_dir() / "models" / f"model-{model.version}.skops"
    card = save_model(model, out, {
        "trained_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "corpus": _display_path(corpus_dir),
        "corpus_sha256": corpus_hash(corpus_dir),
        "database_labels": db_count,
        "seed": config.seed,
        "cross_validated": report,
        "test_split": test_report,
    })
    print(f"wrote {out} and {out.with_suffix('.card.json').name} (version {card['version']})")
    return 0


def _display_path(path: Path) -> str:
    """Relative to the working folder when inside it: a card must not carry a home folder."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path.name


def _load_labels(path: Path) -> dict[str, dict[str, Any]]:
    from .classify.corpus import CorpusError, validate_label

    out: dict[str, dict[str, Any]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ModelCommandFailed(f"cannot read {path}: {exc.strerror}") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            validate_label(row, f"{path}:{number}")
        except (json.JSONDecodeError, CorpusError) as exc:
            raise ModelCommandFailed(f"{path}:{number}: {exc}") from exc
        key = row.get("message_id") or row.get("file")
        if not key:
            raise ModelCommandFailed(f"{path}:{number}: needs message_id or file")
        out[str(key)] = row
    return out


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .classify import active_model_path, from_message
    from .classify.corpus import Example
    from .classify.metrics import ORDER, evaluate_predictions, format_report
    from .classify.persist import ModelFileError, load_model
    from .outlook import parse_msg
    from .parse import parse_message
    from .sources import RawItem, SourceError, check_paths, iter_sources

    labels = _load_labels(Path(args.labels))
    try:
        check_paths([Path(args.path)])
        model, _card = load_model(active_model_path(args.model))
    except (SourceError, ModelFileError) as exc:
        raise ModelCommandFailed(str(exc)) from exc
    examples: list[Example] = []
    unlabelled = unreadable = 0
    for event in iter_sources([Path(args.path)]):
        if not isinstance(event, RawItem):
            unreadable += 1
            continue
        try:
            parse = parse_msg if event.kind == "msg" else parse_message
            msg = parse(event.raw, fallback_date=event.file_time)
        except Exception:
            unreadable += 1
            continue
        name = Path(event.locator.split("@")[0] if event.kind == "mbox" else event.locator).name
        row = labels.get(msg.message_id or "") or labels.get(name)
        if row is None:
            unlabelled += 1
            continue
        examples.append(Example(key=msg.message_id or name, input=from_message(msg),
                                topics=frozenset(row["topics"]), urgency=row["urgency"],
                                safeguarding=row["safeguarding"], group=name, split="test"))
    if not examples:
        raise ModelCommandFailed("no message at PATH matched a line of the labels file")
    preds = model.predict([e.input for e in examples])
    report = evaluate_predictions(examples, preds)
    report["unlabelled_messages"] = unlabelled
    report["unreadable_inputs"] = unreadable
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(format_report(report, f"model {model.version} on {args.path}"))
    if unlabelled or unreadable:
        print(f"  ({unlabelled} messages had no label line, {unreadable} inputs could not be read)")

    def cost(e: Example, p: dict[str, Any]) -> float:
        wrong_topics = len(set(e.topics) ^ set(p["topics"]))
        gap = abs(ORDER.index(e.urgency) - ORDER.index(p["urgency"]))
        return 10 * (e.safeguarding and not p["safeguarding"]) + 2 * wrong_topics + gap + \
            (e.safeguarding != p["safeguarding"])

    ranked = sorted(zip(examples, preds), key=lambda ep: -cost(*ep))
    mistakes = [(e, p) for e, p in ranked if cost(e, p) > 0][: args.worst]
    if mistakes:
        print(f"\nworst {len(mistakes)} mistakes:")
    for e, p in mistakes:
        print(f"- {e.key}  {e.input.subject[:70]!r}")
        print(f"    expected topics {sorted(e.topics)} urgency {e.urgency} safeguarding {e.safeguarding}")
        print(f"    predicted topics {p['topics']} urgency {p['urgency']} safeguarding {p['safeguarding']}"
              f"  (confidence {p['confidence']:.2f})")
        for topic in TOPICS:
            phrases = p["reasons"].get("topics", {}).get(topic, [])
            if phrases:
                print(f"    {topic} {p['scores'][topic]:.2f}: " + ", ".join(f"{w!r}" for w, _ in phrases[:4]))
        for rule in p["reasons"].get("rules", []):
            print(f"    rule: {rule}")
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    from .classify import ModelRef, active_model_path, from_row
    from .classify.persist import ModelFileError
    from .cli import open_store

    ref = ModelRef(str(active_model_path(args.model)))
    try:
        version = ref.version
    except (ModelFileError, OSError) as exc:
        raise ModelCommandFailed(str(exc)) from exc
    total = 0
    with open_store(args, create=False) as store:
        for rows in store.rows_to_classify(everything=args.all, model_version=version):
            preds = ref.predict_inputs([from_row(r) for r in rows])
            total += store.put_predictions(zip([r["id"] for r in rows], preds))
            if sys.stderr.isatty():
                sys.stderr.write(f"\rclassified {total}")
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    print(f"classified {total} messages with model {version}")
    return 0
