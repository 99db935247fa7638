"""`triage train`, `triage evaluate` and `triage classify`: the model, headless."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from collections.abc import Iterator
from contextlib import contextmanager
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

    p = sub.add_parser("models", help="the model registry: list, show, activate (roll back), export, import")
    msub = p.add_subparsers(metavar="ACTION", dest="models_action", required=True)
    q = msub.add_parser("list", help="every model version, with its figures and which one is active")
    db_option(q)
    q.set_defaults(func=cmd_models_list)
    q = msub.add_parser("show", help="a version's model card and its comparison with the model it was measured against")
    q.add_argument("version")
    db_option(q)
    q.set_defaults(func=cmd_models_show)
    q = msub.add_parser("activate", help="make a version active (also how to roll back) and reclassify")
    q.add_argument("version")
    db_option(q)
    q.add_argument("--override-safeguarding", metavar="REASON",
                   help="activate although it misses safeguarding cases the previous model caught")
    q.add_argument("--no-classify", action="store_true", help="do not reclassify stored messages now")
    q.add_argument("--by", metavar="NAME", default=None, help="who is activating (default: $USER)")
    q.set_defaults(func=cmd_models_activate)
    q = msub.add_parser("export", help="write a version's model file and card, to share with another laptop")
    q.add_argument("version")
    q.add_argument("file", metavar="FILE")
    db_option(q)
    q.set_defaults(func=cmd_models_export)
    q = msub.add_parser("import", help="add a model file (and its .card.json) shared from another laptop")
    q.add_argument("file", metavar="FILE")
    db_option(q)
    q.add_argument("--by", metavar="NAME", default=None)
    q.set_defaults(func=cmd_models_import)
    for action, flag, text in (("discard", True, "set a candidate aside (kept, listed as discarded)"),
                               ("keep", False, "bring a discarded candidate back")):
        q = msub.add_parser(action, help=text)
        q.add_argument("version")
        db_option(q)
        q.set_defaults(func=cmd_models_discard, discard=flag)

    p = sub.add_parser("check-labels", help="find likely label errors (cross-validated) for the review queue")
    db_option(p)
    p.add_argument("--corpus", metavar="DIR", help="labelled corpus (default: models/corpus)")
    p.add_argument("--show", type=int, default=20, help="how many to print")
    p.set_defaults(func=cmd_check_labels)

    p = sub.add_parser("evaluate", help="score a model on labelled messages without importing them")
    p.add_argument("path", metavar="PATH", help="messages: folder, mbox, Maildir or files")
    p.add_argument("--labels", metavar="FILE.jsonl", required=True,
                   help="one JSON object a line: message_id (or file), topics, urgency, safeguarding")
    p.add_argument("--model", metavar="FILE", help="model file (default: the active model)")
    p.add_argument("--db", metavar="FILE", help="take the active model of this database")
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
    from .classify.corpus import CorpusError, default_corpus_dir

    corpus_dir = Path(args.corpus) if args.corpus else default_corpus_dir()
    if corpus_dir is None:
        raise ModelCommandFailed("no corpus: pass --corpus DIR")
    try:
        if args.with_db_labels:
            return _train_into_registry(args, corpus_dir)
        return _train_to_file(args, corpus_dir)
    except CorpusError as exc:
        raise ModelCommandFailed(str(exc)) from exc


def _train_into_registry(args: argparse.Namespace, corpus_dir: Path) -> int:
    """Corpus + the store's human labels, compared with the active model on the same folds,
    registered as a candidate (activate it with `triage models activate`)."""
    from .classify import registry
    from .classify.model import Config
    from .classify.retrain import retrain
    from .cli import open_store

    config = Config() if args.seed is None else Config(seed=args.seed)
    with open_store(args, create=False) as store:
        entry = retrain(store, actor=_actor(None), corpus_dir=corpus_dir, config=config, progress=_progress)
        print(format_comparison(entry))
        if args.out:
            out = registry.export(store, entry.version, Path(args.out))
            print(f"wrote {out} and {out.with_suffix('.card.json').name}")
    print(f"candidate {entry.version} registered; `triage models activate {entry.version}` makes it active")
    return 0


def _train_to_file(args: argparse.Namespace, corpus_dir: Path) -> int:
    from .classify.corpus import corpus_hash, load_corpus
    from .classify.metrics import evaluate_predictions, format_report
    from .classify.model import Config
    from .classify.persist import save_model
    from .classify.training import fit_model

    examples = load_corpus(corpus_dir)
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
        "database_labels": 0,
        "seed": config.seed,
        "cross_validated": report,
        "test_split": test_report,
    })
    print(f"wrote {out} and {out.with_suffix('.card.json').name} (version {card['version']})")
    return 0


def _actor(name: str | None) -> str:
    import getpass

    if name and name.strip():
        return name.strip()
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment
        return "command line"


def format_comparison(entry: Any) -> str:
    """A version's cross-validated figures beside the model it was compared with."""
    c = entry.comparison
    if not c:
        return f"model {entry.version}: no comparison recorded ({entry.origin})"
    a, b = c["active"], c["candidate"]
    lines = [f"model {entry.version} against {c['against']} on the same {c['folds']} folds "
             f"({c['messages']} messages in {c['groups']} groups; {c['store_labels']} office labels, "
             f"{c['corpus_corrections']} corpus corrections)", f"  {c['method']}",
             f"  {'':28s}{'active':>10s}{'new':>10s}"]

    def row(name: str, x: Any, y: Any) -> None:
        lines.append(f"  {name:28s}{x:10.3f}{y:10.3f}")

    for t in TOPICS:
        for m in ("precision", "recall", "f1"):
            row(f"{t} {m}", a["topics"][t][m], b["topics"][t][m])
    row("topic macro-F1", a["topic_macro_f1"], b["topic_macro_f1"])
    row("urgency exact", a["urgency_exact"], b["urgency_exact"])
    row("urgency within one", a["urgency_within_one"], b["urgency_within_one"])
    row("safeguarding recall", a["safeguarding"]["recall"], b["safeguarding"]["recall"])
    row("safeguarding precision", a["safeguarding"]["precision"], b["safeguarding"]["precision"])
    if c["safeguarding_missed"]:
        lines.append(f"  WARNING: misses {len(c['safeguarding_missed'])} safeguarding case(s) the active "
                     "model caught; activating needs --override-safeguarding REASON:")
        lines += [f"    - {m['key']}: {m['subject']!r}" for m in c["safeguarding_missed"][:10]]
    ch = c["changes"]
    n = ch["counts"]
    lines.append(f"  would change {n['any']:,} of the {ch['scanned']:,} newest stored messages "
                 f"(topics {n['topics']:,}, urgency {n['urgency']:,}, safeguarding lost "
                 f"{n['safeguarding_lost']:,} / gained {n['safeguarding_gained']:,}; "
                 f"{n['shown_differently']:,} without a human label)")
    lines.append(f"  likely label errors found: {c['label_issues']}")
    return "\n".join(lines)


@contextmanager
def _registry(args: argparse.Namespace, refused: str = "") -> Iterator[Any]:
    """The store, with a registry refusal turned into the command's one-line reason."""
    from .classify.registry import RegistryError
    from .cli import open_store

    with open_store(args, create=False) as store:
        try:
            yield store
        except RegistryError as exc:
            raise ModelCommandFailed(f"{refused}{exc}") from exc


def cmd_models_list(args: argparse.Namespace) -> int:
    from .classify import registry
    from .cli import open_store

    with open_store(args, create=False) as store:
        rows = registry.entries(store)
    print(f"{'version':22s} {'state':10s} {'origin':8s} {'created':17s} {'msgs':>6s} {'macroF1':>8s} "
          f"{'urg.exact':>9s} {'sg.recall':>9s}  notes")
    for e in rows:
        state = "ACTIVE" if e.active else ("discarded" if e.discarded else ("previous" if e.ever_active else "candidate"))
        sg = e.metric("safeguarding", "recall")
        notes = "misses safeguarding cases" if e.safeguarding_regression else ""
        print(f"{e.version:22s} {state:10s} {e.origin:8s} {_when(e):17s} "
              f"{e.metric('training_messages') or 0:>6} {_f(e.metric('topic_macro_f1')):>8s} "
              f"{_f(e.metric('urgency_exact')):>9s} {_f(sg):>9s}  {notes}")
    return 0


def _when(entry: Any) -> str:
    """When it was trained (its card), else when it was added here."""
    return str(entry.card.get("trained_at") or entry.created_at)[:16].replace("T", " ")


def _f(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, (int, float)) else "-"


def cmd_models_show(args: argparse.Namespace) -> int:
    from .classify import registry

    with _registry(args) as store:
        entry = registry.entry(store, args.version)
    print(format_comparison(entry))
    print(json.dumps(entry.card, indent=2, sort_keys=True))
    return 0


def cmd_models_activate(args: argparse.Namespace) -> int:
    from .classify import ModelRef, classify_stored, registry

    with _registry(args) as store:
        entry = registry.activate(store, args.version, _actor(args.by),
                                  override_reason=args.override_safeguarding)
        print(f"model {entry.version} is active")
        if not args.no_classify:
            done = classify_stored(store, ModelRef(str(entry.path)), progress=_progress)
            print(f"reclassified {done} messages (human labels untouched)")
    return 0


def cmd_models_export(args: argparse.Namespace) -> int:
    from .classify import registry

    with _registry(args) as store:
        out = registry.export(store, args.version, Path(args.file))
    print(f"wrote {out} and {out.with_suffix('.card.json').name}")
    return 0


def cmd_models_import(args: argparse.Namespace) -> int:
    from .classify import registry

    with _registry(args, refused=f"refused {args.file}: ") as store:
        entry = registry.import_file(store, Path(args.file), _actor(args.by))
    print(f"imported model {entry.version} as a candidate")
    return 0


def cmd_models_discard(args: argparse.Namespace) -> int:
    from .classify import registry

    with _registry(args) as store:
        registry.set_discarded(store, args.version, args.discard)
    print(f"model {args.version} {'discarded' if args.discard else 'kept as a candidate'}")
    return 0


def cmd_check_labels(args: argparse.Namespace) -> int:
    from .classify.retrain import check_labels
    from .cli import open_store
    from .review import items

    with open_store(args, create=False) as store:
        n = check_labels(store, corpus_dir=Path(args.corpus) if args.corpus else None, progress=_progress)
        print(f"{n} likely label errors")
        for item in items(store, "label_errors", limit=args.show):
            print(f"- {item.key}  {item.subject[:60]!r}\n    {item.why}")
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
        if args.db and not args.model:
            from .cli import open_store

            with open_store(args, create=False) as store:
                path = active_model_path(store=store)
        else:
            path = active_model_path(args.model)
        model, _card = load_model(path)
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
    from .classify import ModelRef, active_model_path, classify_stored
    from .classify.persist import ModelFileError
    from .classify.registry import RegistryError
    from .cli import open_store

    with open_store(args, create=False) as store:
        try:
            ref = ModelRef(str(active_model_path(args.model, store=store)))
            version = ref.version
        except (ModelFileError, RegistryError, OSError) as exc:
            raise ModelCommandFailed(str(exc)) from exc
        total = classify_stored(store, ref, everything=args.all, progress=_progress)
    print(f"classified {total} messages with model {version}")
    return 0
