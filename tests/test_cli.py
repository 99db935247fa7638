"""The `triage` command-line contract: other tools depend on these outputs and exit codes."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import eml

from triage.cli import main
from triage.paths import demo_inbox


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "triage.cli", *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=300)


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "1.eml").write_bytes(eml(message_id="<one@x>", subject="EHCP",
                                       date="Mon, 02 Mar 2026 10:00:00 +0000"))
    (folder / "2.eml").write_bytes(eml(message_id="<two@x>", subject="Pothole",
                                       sender="Sam <sam@x.org>", date="Tue, 03 Mar 2026 11:00:00 +0000"))
    (folder / "3.eml").write_bytes(b"")
    return folder


def test_import_prints_a_summary_and_exits_zero_even_with_rejections(inbox: Path, db_path: Path) -> None:
    result = run("import", str(inbox), "--db", str(db_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "imported 2, duplicates 0, rejected 1"
    assert "3.eml: empty message" in result.stderr
    again = run("import", str(inbox), "--db", str(db_path))
    assert again.stdout.strip() == "imported 0, duplicates 2, rejected 1"
    assert "3.eml: empty message" in again.stderr  # listed again, stored once


def test_a_rejected_input_can_be_listed_and_written_back_byte_for_byte(tmp_path: Path, db_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    junk = b"\x00\x01 not an email at all \xff" * 40
    (folder / "junk.eml").write_bytes(junk)
    (folder / "ok.eml").write_bytes(eml(message_id="<fine@x>"))
    assert run("import", str(folder), "--db", str(db_path)).returncode == 0
    listed = run("errors", "--db", str(db_path))
    assert listed.returncode == 0
    (line,) = listed.stdout.strip().splitlines()
    error_id, _at, locator, reason = line.split("\t")
    assert locator.endswith("junk.eml") and "not an email" in reason
    out = tmp_path / "back.eml"
    assert run("errors", "--db", str(db_path), "--raw", error_id, "--out", str(out)).returncode == 0
    assert out.read_bytes() == junk
    missing = run("errors", "--db", str(db_path), "--raw", "999")
    assert missing.returncode == 1 and "no rejected input 999" in missing.stderr


def test_import_missing_path_fails_with_one_line_reason(db_path: Path, tmp_path: Path) -> None:
    result = run("import", str(tmp_path / "nowhere"), "--db", str(db_path))
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "no such file or folder" in result.stderr


def test_import_unreadable_database_fails_with_one_line_reason(inbox: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"garbage" * 1000)
    result = run("import", str(inbox), "--db", str(bad))
    assert result.returncode == 1
    assert result.stderr.startswith("triage: cannot open database")
    assert result.stderr.strip().count("\n") == 0


def test_triage_db_environment_variable_is_the_default(inbox: Path, tmp_path: Path) -> None:
    target = tmp_path / "from-env.db"
    result = run("import", str(inbox), env={"TRIAGE_DB": str(target)})
    assert result.returncode == 0 and target.exists()


def test_export_jsonl_has_the_contract_fields(inbox: Path, db_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", str(inbox), "--db", str(db_path)]) == 0
    capsys.readouterr()
    assert main(["export", "--db", str(db_path)]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["message_id"] for r in records] == ["<one@x>", "<two@x>"]
    first = records[0]
    assert first["date"] == "2026-03-02T10:00:00Z"
    assert first["from"] == "Jo Bloggs <jo@example.org>"
    assert first["subject"] == "EHCP"
    assert first["status"] == "new"
    assert set(first["topics"]) <= {"send", "tribunal", "school_place"}
    assert first["urgency"] in {"urgent", "high", "normal", "low"}
    assert isinstance(first["safeguarding"], bool)
    assert set(first["scores"]) == {"send", "tribunal", "school_place"}
    assert first["label_source"] in {"model", "human"}
    assert "model_version" in first


def test_export_csv_to_file(inbox: Path, db_path: Path, tmp_path: Path) -> None:
    assert main(["import", str(inbox), "--db", str(db_path)]) == 0
    out = tmp_path / "out.csv"
    assert main(["export", "--db", str(db_path), "--format", "csv", "--out", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["message_id"] for r in rows] == ["<one@x>", "<two@x>"]
    assert rows[1]["from"] == "Sam <sam@x.org>"
    assert rows[0]["safeguarding"] in {"true", "false"}
    assert {"score_send", "score_tribunal", "score_school_place", "label_source"} <= set(rows[0])


def test_stats_counts(inbox: Path, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", str(inbox), "--db", str(db_path)]) == 0
    capsys.readouterr()
    assert main(["stats", "--db", str(db_path), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["total"]["messages"] == 2
    assert stats["status"]["new"] == 2
    assert sum(stats["urgency"].values()) == 2


def test_raw_writes_the_original_bytes(inbox: Path, db_path: Path, tmp_path: Path) -> None:
    assert main(["import", str(inbox), "--db", str(db_path)]) == 0
    out = tmp_path / "one.eml"
    assert main(["raw", "<one@x>", "--db", str(db_path), "--out", str(out)]) == 0
    assert out.read_bytes() == (inbox / "1.eml").read_bytes()


def test_demo_inbox_imports_cleanly(db_path: Path) -> None:
    result = run("import", str(demo_inbox()), "--db", str(db_path))
    assert result.returncode == 0, result.stderr
    imported = int(result.stdout.split()[1].rstrip(","))
    assert imported >= 60
    assert "rejected 0" in result.stdout


def test_import_with_a_model_it_refuses_on_loading_stores_nothing(inbox: Path, db_path: Path, tmp_path: Path) -> None:
    """The import process only checks the card (hash, library versions); the model is loaded
    where it predicts, and a file with types it does not trust stops the import there."""
    from fractions import Fraction

    import skops.io as sio

    from triage.classify import active_model_path
    from triage.classify.persist import card_path, file_sha256

    model = tmp_path / "evil.skops"
    sio.dump({"format": "triage-desk-model/1", "payload": Fraction(1, 3)}, model)
    card = json.loads(card_path(active_model_path()).read_text())
    card["model_file_sha256"] = file_sha256(model)
    card_path(model).write_text(json.dumps(card))
    result = run("import", str(inbox), "--db", str(db_path), "--model", str(model))
    assert result.returncode == 1
    assert "does not trust: fractions.Fraction" in result.stderr and result.stderr.strip().count("\n") == 0
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 0
        assert conn.execute("SELECT state FROM import_runs").fetchall() == [("failed",)]
