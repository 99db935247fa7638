"""Every source format, mixed sources, and input that is not mail."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from conftest import eml
from msgfile import build_msg

from triage.pipeline import import_paths
from triage.sources import RawItem, SourceProblem, iter_mbox, iter_sources


def write_mbox(path: Path, messages: list[bytes]) -> list[int]:
    offsets = []
    with path.open("wb") as fh:
        for raw in messages:
            offsets.append(fh.tell())
            fh.write(b"From someone@example.org Thu Jan  1 00:00:00 2026\n")
            fh.write(raw.rstrip(b"\n") + b"\n\n")
    return offsets


def test_mbox_splits_messages_with_byte_offsets_and_unquotes_from(tmp_path: Path) -> None:
    body = "Dear Helen\n\n>From the start the council ignored us.\nFrom what I can tell nobody reads it.\n"
    raws = [eml(message_id=f"<m{i}@x.org>", body=body) for i in range(3)]
    offsets = write_mbox(tmp_path / "box.mbox", raws)
    items = list(iter_mbox(tmp_path / "box.mbox"))
    assert [i.locator for i in items] == [f"{tmp_path / 'box.mbox'}@{o}" for o in offsets]
    assert all(isinstance(i, RawItem) for i in items)
    first = items[0]
    assert isinstance(first, RawItem)
    assert b"\nFrom the start the council" in first.raw  # mboxrd quoting undone
    assert first.raw.endswith(b"nobody reads it.\n")


def test_eml_folder_is_read_recursively(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "one.eml").write_bytes(eml(message_id="<1@x>"))
    (tmp_path / "a" / "two.eml").write_bytes(eml(message_id="<2@x>"))
    (tmp_path / "a" / "b" / "three.EML").write_bytes(eml(message_id="<3@x>"))
    kinds = sorted((e.kind, Path(e.locator).name) for e in iter_sources([tmp_path]))
    assert kinds == [("eml", "one.eml"), ("eml", "three.EML"), ("eml", "two.eml")]


def test_maildir_reads_cur_and_new_not_tmp(tmp_path: Path) -> None:
    box = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (box / sub).mkdir(parents=True)
    (box / "cur" / "1700000000.1.host:2,S").write_bytes(eml(message_id="<cur@x>"))
    (box / "new" / "1700000001.2.host").write_bytes(eml(message_id="<new@x>"))
    (box / "tmp" / "1700000002.3.host").write_bytes(b"half-deliv")
    events = list(iter_sources([box]))
    assert [e.kind for e in events] == ["maildir", "maildir"]
    assert {Path(e.locator).parent.name for e in events} == {"cur", "new"}


def test_outlook_msg_file_imports(tmp_path: Path, store) -> None:  # type: ignore[no-untyped-def]
    data = build_msg(subject="EHCP annual review", sender_name="Priya Shah",
                     sender_email="priya@example.org", to="casework@helenmarsh-mp.org.uk",
                     body="My son's annual review is overdue.\r\n",
                     html_body="<p>My son's annual review is <b>overdue</b>.</p>",
                     date=datetime(2026, 2, 3, 10, 30, tzinfo=timezone.utc),
                     message_id="<outlook-1@example.org>",
                     attachments=[("EP report.pdf", "application/pdf", b"%PDF" * 2000)])
    path = tmp_path / "review.msg"
    path.write_bytes(data)
    summary = import_paths(store, [path])
    assert (summary.imported, summary.rejected) == (1, 0)
    row = store.db.execute("SELECT id, message_id, subject, sender_address, date, source_kind, has_html, attachments FROM messages").fetchone()
    assert row[1:6] == ("<outlook-1@example.org>", "EHCP annual review", "priya@example.org",
                        "2026-02-03T10:30:00Z", "msg")
    assert row[6] == 1
    assert '"EP report.pdf"' in row[7] and "8000" in row[7]
    assert store.raw_source(row[0]) == data  # the .msg itself is kept, byte for byte


def test_corrupt_msg_is_rejected_with_reason(tmp_path: Path, store) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "broken.msg"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    (tmp_path / "fine.eml").write_bytes(eml())
    summary = import_paths(store, [tmp_path])
    assert (summary.imported, summary.rejected) == (1, 1)
    assert "Outlook" in summary.errors[0]["reason"]
    assert summary.errors[0]["locator"] == str(path)


def test_mixed_sources_at_once(tmp_path: Path, store) -> None:  # type: ignore[no-untyped-def]
    write_mbox(tmp_path / "archive.mbox", [eml(message_id="<mb1@x>"), eml(message_id="<mb2@x>")])
    folder = tmp_path / "emls"
    folder.mkdir()
    (folder / "a.eml").write_bytes(eml(message_id="<e1@x>"))
    box = tmp_path / "md"
    for sub in ("cur", "new", "tmp"):
        (box / sub).mkdir(parents=True)
    (box / "new" / "x").write_bytes(eml(message_id="<md1@x>"))
    (tmp_path / "note.msg").write_bytes(build_msg(subject="s", sender_name="n", sender_email="n@x.org",
                                                  to="t@x.org", body="b", message_id="<msg1@x>"))
    summary = import_paths(store, [tmp_path / "archive.mbox", folder, box, tmp_path / "note.msg"])
    assert (summary.imported, summary.duplicates, summary.rejected) == (5, 0, 0)
    kinds = dict(store.db.execute("SELECT source_kind, count(*) FROM messages GROUP BY source_kind").fetchall())
    assert kinds == {"mbox": 2, "eml": 1, "maildir": 1, "msg": 1}


def test_unknown_file_is_reported_not_guessed(tmp_path: Path, store) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "notes.txt").write_text("From: looks like a header\n\nbut is a text file")
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0JFIF")
    (tmp_path / "real.eml").write_bytes(eml())
    events = list(iter_sources([tmp_path]))
    problems = [e for e in events if isinstance(e, SourceProblem)]
    assert sorted(Path(p.locator).name for p in problems) == ["notes.txt", "photo.jpg"]
    assert all("not an email file" in p.reason for p in problems)
    summary = import_paths(store, [tmp_path])
    assert (summary.imported, summary.rejected) == (1, 2)
