"""`triage`: the headless face of the core. Its commands and output are a contract other tools
use: keep them stable.

Exit status: 0 when the command ran (an import that rejected some messages still ran), 1 with a
one-line reason on stderr when it could not run, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from .cli_model import ModelCommandFailed
from .paths import default_db_path
from .store import TOPICS, Store, StoreError

EXPORT_FIELDS = ("message_id", "date", "from", "subject", "topics", "urgency", "safeguarding",
                 "status", "scores", "model_version", "label_source", "deadline", "assignee")


class CommandFailed(Exception):
    """The command could not run; the message is printed as the one-line reason."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except (CommandFailed, StoreError, ModelCommandFailed) as exc:
        print(f"triage: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("triage: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `triage export | head`: the reader left, nothing is wrong
        sys.stdout = None  # type: ignore[assignment]  # stop the interpreter's flush at exit
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="triage", description="Triage Desk, headless.")
    sub = parser.add_subparsers(metavar="COMMAND")

    def db_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--db", metavar="FILE",
                       help="database file (default: $TRIAGE_DB, else the user data folder)")

    p = sub.add_parser("import", help="import .eml folders, mbox files, Maildirs and .msg files")
    p.add_argument("paths", nargs="+", metavar="PATH")
    db_option(p)
    p.add_argument("--workers", type=int, default=None, help="parser processes (default: cores)")
    p.add_argument("--no-classify", action="store_true",
                   help="store messages without classifying them")
    p.add_argument("--model", metavar="FILE", help="model file (default: the active model)")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="one record per message, as JSON lines or CSV")
    db_option(p)
    p.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    p.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("stats", help="counts by topic, urgency and status")
    db_option(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("errors", help="list messages an import rejected, with the reason")
    db_option(p)
    p.add_argument("--raw", metavar="ID", type=int,
                   help="write the rejected input's bytes, exactly as read (ID is the first column)")
    p.add_argument("--out", metavar="FILE", help="with --raw: the file to write (default: stdout)")
    p.set_defaults(func=cmd_errors)

    from .cli_model import add_commands

    add_commands(sub, db_option)

    p = sub.add_parser("report", help="the manager's dashboard as a PDF (and its tables as CSV)")
    db_option(p)
    p.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="default: 12 weeks ago")
    p.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="default: today")
    p.add_argument("--staff", metavar="NAME", help="only messages assigned to this person")
    p.add_argument("--out", metavar="FILE", required=True, help="the PDF to write")
    p.add_argument("--csv", metavar="DIR", help="also write every table as CSV into DIR")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("raw", help="write a stored message's original bytes, exactly as imported")
    db_option(p)
    p.add_argument("message_id", help="Message-ID with angle brackets, or the row number")
    p.add_argument("--out", metavar="FILE")
    p.set_defaults(func=cmd_raw)
    return parser


def open_store(args: argparse.Namespace, *, create: bool = True) -> Store:
    return Store.open(default_db_path(args.db), create=create)


def _progress_printer(stream: IO[str]) -> Callable[[Any], None]:
    last = [0.0]

    def show(state: Any) -> None:
        now = time.monotonic()
        if now - last[0] < 0.1 and state.fraction < 1.0:
            return
        last[0] = now
        width = 30
        filled = int(state.fraction * width)
        stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {state.fraction:4.0%} "
                     f"{state.imported} imported, {state.duplicates} duplicates, "
                     f"{state.rejected} rejected")
        stream.flush()

    return show


def cmd_import(args: argparse.Namespace) -> int:
    from .pipeline import import_paths
    from .sources import SourceError

    paths = [Path(p) for p in args.paths]
    try:
        from .sources import check_paths

        check_paths(paths)
    except SourceError as exc:
        raise CommandFailed(str(exc)) from exc
    with open_store(args) as store:
        classifier = None
        model_errors: tuple[type[Exception], ...] = ()
        if not args.no_classify:
            from .classify import ModelRef, active_model_path
            from .classify.persist import ModelFileError
            from .classify.registry import RegistryError

            model_errors = (ModelFileError,)

            try:
                classifier = ModelRef(str(active_model_path(args.model, store=store)))
                # A damaged, altered or mismatched model fails here, before any work; the import
                # workers load it (this process need not hold scikit-learn and the model too).
                classifier.check()
            except (ModelFileError, RegistryError, OSError) as exc:
                raise CommandFailed(f"{exc} (use --no-classify to import without a model)") from exc
        progress = _progress_printer(sys.stderr) if sys.stderr.isatty() else None
        try:
            summary = import_paths(store, paths, progress=progress, workers=args.workers,
                                   classifier=classifier)
        except model_errors as exc:  # refused on loading (unknown types): nothing was stored
            raise CommandFailed(f"{exc} (use --no-classify to import without a model)") from exc
        if progress:
            sys.stderr.write("\n")
    print(summary.line())
    for err in summary.errors[:20]:
        print(f"  rejected {err['locator']}: {err['reason']}", file=sys.stderr)
    if len(summary.errors) > 20:
        print(f"  ... and {len(summary.errors) - 20} more (see `triage errors`)", file=sys.stderr)
    return 0


def export_record(rec: dict[str, Any]) -> dict[str, Any]:
    sender = rec["sender_address"]
    if rec["sender_name"]:
        sender = f"{rec['sender_name']} <{rec['sender_address']}>"
    return {
        "message_id": rec["message_id"],
        "date": rec["date"],
        "from": sender,
        "subject": rec["subject"],
        "topics": [t for t in TOPICS if t in rec["topics"]],
        "urgency": rec["urgency"],
        "safeguarding": rec["safeguarding"],
        "status": rec["status"],
        "scores": {t: rec["scores"].get(t) for t in TOPICS},
        "model_version": rec["model_version"],
        "label_source": rec["label_source"],
        "deadline": rec["deadline"],
        "assignee": rec["assignee"],
    }


def cmd_export(args: argparse.Namespace) -> int:
    with open_store(args, create=False) as store:
        out: IO[str]
        if args.out:
            try:
                out = open(args.out, "w", encoding="utf-8", newline="")
            except OSError as exc:
                raise CommandFailed(f"cannot write {args.out}: {exc.strerror}") from exc
        else:
            out = sys.stdout
        try:
            if args.format == "jsonl":
                for rec in store.iter_effective():
                    out.write(json.dumps(export_record(rec), ensure_ascii=False) + "\n")
            else:
                columns = [f for f in EXPORT_FIELDS if f != "scores"] + [f"score_{t}" for t in TOPICS]
                writer = csv.DictWriter(out, fieldnames=columns)
                writer.writeheader()
                for rec in store.iter_effective():
                    row = export_record(rec)
                    scores = row.pop("scores")
                    row["topics"] = ";".join(row["topics"])
                    row["safeguarding"] = "true" if row["safeguarding"] else "false"
                    for t in TOPICS:
                        row[f"score_{t}"] = "" if scores[t] is None else f"{scores[t]:.4f}"
                    writer.writerow(row)
        finally:
            if out is not sys.stdout:
                out.close()
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    with open_store(args, create=False) as store:
        stats = store.stats()
    if args.json:
        print(json.dumps(stats, indent=2))
        return 0
    print(f"messages: {stats['total']['messages']}")
    for section in ("topics", "urgency", "status", "safeguarding"):
        values = ", ".join(f"{k} {v}" for k, v in stats[section].items())
        print(f"{section}: {values}")
    return 0


def cmd_errors(args: argparse.Namespace) -> int:
    with open_store(args, create=False) as store:
        if args.raw is not None:
            try:
                data = store.import_error_raw(args.raw)
            except KeyError:
                raise CommandFailed(f"no rejected input {args.raw} (see `triage errors`)") from None
        else:
            for err in store.import_errors():
                print(f"{err['id']}\t{err['at']}\t{err['locator']}\t{err['reason']}")
            return 0
    if args.out:
        Path(args.out).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from datetime import date, datetime, timedelta, timezone

    from .dashboard import compute
    from .report import write_pdf

    try:
        today = datetime.now(timezone.utc).date()
        date_to = date.fromisoformat(args.date_to) if args.date_to else today
        date_from = date.fromisoformat(args.date_from) if args.date_from else date_to - timedelta(weeks=12)
    except ValueError as exc:
        raise CommandFailed(f"dates are YYYY-MM-DD: {exc}") from exc
    if date_from > date_to:
        raise CommandFailed("--from is after --to")
    with open_store(args, create=False) as store:
        dash = compute(store, date_from, date_to, args.staff)
    try:
        pages = write_pdf(dash, Path(args.out))
        if args.csv:
            dash.write_csv(Path(args.csv))
    except OSError as exc:
        raise CommandFailed(f"cannot write the report: {exc.strerror or exc}") from exc
    print(f"wrote {args.out} ({pages} pages) for {date_from} to {date_to}")
    return 0


def cmd_raw(args: argparse.Namespace) -> int:
    with open_store(args, create=False) as store:
        key = args.message_id
        if key.isdigit():
            row_id = int(key)
        else:
            found = store.db.execute("SELECT id FROM messages WHERE message_id = ?", [key]).fetchone()
            if found is None:
                raise CommandFailed(f"no message with Message-ID {key}")
            row_id = found[0]
        try:
            data = store.raw_source(row_id)
        except KeyError:
            raise CommandFailed(f"no message {key}") from None
    if args.out:
        Path(args.out).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
