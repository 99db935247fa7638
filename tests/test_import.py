"""Import behaviour: idempotency, duplicates, malformed input, nothing silently dropped."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from conftest import eml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from triage.message import ParseError
from triage.parse import parse_message
from triage.pipeline import import_paths
from triage.store import Store
from triage.synth import write_mbox


def test_second_import_changes_nothing(tmp_path: Path, store: Store) -> None:
    for i in range(5):
        (tmp_path / f"{i}.eml").write_bytes(eml(message_id=f"<{i}@x>", body=f"message {i}"))
    first = import_paths(store, [tmp_path])
    assert (first.imported, first.duplicates, first.rejected) == (5, 0, 0)
    before = store.db.execute("SELECT * FROM messages ORDER BY id").fetchall()
    second = import_paths(store, [tmp_path])
    assert (second.imported, second.duplicates, second.rejected) == (0, 5, 0)
    assert store.db.execute("SELECT * FROM messages ORDER BY id").fetchall() == before


def test_duplicate_by_message_id_and_by_content_hash(tmp_path: Path, store: Store) -> None:
    (tmp_path / "a.eml").write_bytes(eml(message_id="<same@x>", body="first copy"))
    (tmp_path / "b.eml").write_bytes(eml(message_id="<same@x>", body="re-sent copy"))
    no_id = eml(message_id=None, body="no id at all")
    (tmp_path / "c.eml").write_bytes(no_id)
    (tmp_path / "d.eml").write_bytes(no_id.replace(b"\n", b"\r\n"))  # same mail, CRLF
    summary = import_paths(store, [tmp_path])
    assert (summary.imported, summary.duplicates) == (2, 2)
    assert store.count_messages() == 2
    again = import_paths(store, [tmp_path])  # now recognised from the store, not within the run
    assert (again.imported, again.duplicates) == (0, 4)
    assert store.count_messages() == 2


def test_a_stored_message_is_never_overwritten_by_a_later_copy(tmp_path: Path, store: Store) -> None:
    (tmp_path / "a.eml").write_bytes(eml(message_id="<k@x>", subject="Original"))
    import_paths(store, [tmp_path])
    (tmp_path / "a.eml").write_bytes(eml(message_id="<k@x>", subject="Changed later"))
    import_paths(store, [tmp_path])
    assert store.db.execute("SELECT subject FROM messages").fetchall() == [("Original",)]


NASTY = {
    "truncated_mime.eml": (b"From: a@x.org\nSubject: cut\nDate: Mon, 2 Mar 2026 10:00:00 +0000\n"
                           b"Message-ID: <trunc@x>\nMIME-Version: 1.0\n"
                           b'Content-Type: multipart/mixed; boundary="ZZ"\n\n--ZZ\n'
                           b"Content-Type: text/plain\n\nThe hearing is on Friday and the bund"),
    "bad_boundary.eml": (b"From: a@x.org\nSubject: boundary\nDate: Mon, 2 Mar 2026 10:00:00 +0000\n"
                         b"Message-ID: <bnd@x>\nMIME-Version: 1.0\n"
                         b'Content-Type: multipart/alternative; boundary="NOPE"\n\n'
                         b"--OTHER\nContent-Type: text/plain\n\nText behind the wrong boundary\n--OTHER--\n"),
    "bad_base64.eml": (b"From: a@x.org\nSubject: b64\nDate: Mon, 2 Mar 2026 10:00:00 +0000\n"
                       b"Message-ID: <b64@x>\nContent-Type: text/plain; charset=utf-8\n"
                       b"Content-Transfer-Encoding: base64\n\n!!!not*base64@@@\n"),
    "eight_bit_headers.eml": ("From: Siân Jones <sian@x.org>\nSubject: Ysgol – lle\n"
                              "Date: Mon, 2 Mar 2026 10:00:00 +0000\nMessage-ID: <8bit@x>\n\nbody\n").encode("utf-8"),
    "empty.eml": b"",
    "junk.eml": os.urandom(4096).replace(b"\x00", b"\x01")[:100] + b"\x00" + os.urandom(2000),
}


def test_nasty_inputs_are_kept_or_rejected_with_a_reason_and_the_import_goes_on(
        tmp_path: Path, store: Store) -> None:
    for name, data in NASTY.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "zz_good.eml").write_bytes(eml(message_id="<good@x>"))
    summary = import_paths(store, [tmp_path])
    assert summary.imported + summary.rejected == len(NASTY) + 1
    rejected = {Path(e["locator"]).name: e["reason"] for e in summary.errors}
    assert set(rejected) == {"empty.eml", "junk.eml"}
    assert "empty" in rejected["empty.eml"] and "binary" in rejected["junk.eml"]
    rows = dict(store.db.execute("SELECT message_id, body_text FROM messages").fetchall())
    assert "<good@x>" in rows
    assert rows["<trunc@x>"].startswith("The hearing is on Friday")
    assert "Text behind the wrong boundary" in rows["<bnd@x>"]
    subject = store.db.execute("SELECT subject, sender_name FROM messages WHERE message_id='<8bit@x>'").fetchone()
    assert subject == ("Ysgol – lle", "Siân Jones")
    # The rejected bytes are kept (compressed) so nothing is lost.
    kept = store.db.execute("SELECT count(*) FROM import_errors WHERE raw IS NOT NULL").fetchone()[0]
    assert kept == 1  # junk.eml; the empty file has no bytes to keep
    # Re-running does not record the same rejection twice.
    import_paths(store, [tmp_path])
    assert store.db.execute("SELECT count(*) FROM import_errors").fetchone()[0] == 2


@pytest.mark.slow
def test_thirty_megabyte_attachment_is_recorded_not_stored(tmp_path: Path, store: Store) -> None:
    blob = os.urandom(30 * 1024 * 1024)
    raw = (b"From: a@x.org\nSubject: Big scan\nDate: Mon, 2 Mar 2026 10:00:00 +0000\n"
           b'Message-ID: <big@x>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="B"\n\n'
           b"--B\nContent-Type: text/plain\n\nScan of the EHCP attached.\n--B\n"
           b'Content-Type: application/pdf; name="scan.pdf"\nContent-Disposition: attachment; filename="scan.pdf"\n'
           b"Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(blob) + b"--B--\n")
    (tmp_path / "big.eml").write_bytes(raw)
    summary = import_paths(store, [tmp_path])
    assert summary.imported == 1
    row = store.db.execute("SELECT id, body_text, attachments, length(body_text) FROM messages").fetchone()
    assert row[1] == "Scan of the EHCP attached."
    assert f'["scan.pdf", "application/pdf", {len(blob)}]' in row[2]
    assert store.raw_source(row[0]) == raw  # the original survives in raw_sources


def test_worker_processes_give_the_same_result_as_in_process(tmp_path: Path) -> None:
    mbox = tmp_path / "synthetic.mbox"
    write_mbox(mbox, 900)
    results = []
    for workers in (1, 2):
        with Store.open(tmp_path / f"w{workers}.db") as s:
            summary = import_paths(s, [mbox], workers=workers, batch_size=200)
            rows = s.db.execute("SELECT message_id, subject, date, body_text FROM messages ORDER BY message_id").fetchall()
            results.append((summary.imported, rows))
    assert results[0][0] == results[1][0] == 900
    assert results[0][1] == results[1][1]


def test_cancel_stops_between_batches_and_a_rerun_completes(tmp_path: Path, store: Store) -> None:
    mbox = tmp_path / "synthetic.mbox"
    write_mbox(mbox, 500)
    calls = {"n": 0}

    def cancel_after_first_batch() -> bool:
        calls["n"] += 1
        return calls["n"] > 1

    first = import_paths(store, [mbox], cancelled=cancel_after_first_batch, batch_size=100, workers=1)
    assert first.cancelled and first.imported == 100
    second = import_paths(store, [mbox], batch_size=100, workers=1)
    assert (second.imported, second.duplicates) == (400, 100)
    assert store.count_messages() == 500


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_parser_never_raises_anything_but_parse_error(data: bytes) -> None:
    try:
        parse_message(data)
    except ParseError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400), st.text(max_size=80))
def test_parser_survives_arbitrary_text_bodies_and_subjects(body: str, subject: str) -> None:
    raw = eml(subject=subject.replace("\n", " ").replace("\r", " "), body=body)
    msg = parse_message(raw)
    assert msg.message_id == "<m1@example.org>"
