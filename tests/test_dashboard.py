"""The dashboard's figures against a store built here with known dates, labels and statuses
(expected values worked out by hand), the PDF report and the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from conftest import eml

from triage.actions import Triage
from triage.cli import main
from triage.dashboard import compute
from triage.pipeline import import_paths
from triage.report import write_pdf
from triage.store import Store

TODAY = date(2026, 4, 1)


@pytest.fixture
def office(tmp_path: Path, store: Store) -> dict[str, int]:
    specs = {
        "m1": "Mon, 02 Mar 2026 10:00:00 +0000", "m2": "Tue, 03 Mar 2026 10:00:00 +0000",
        "m3": "Tue, 10 Mar 2026 10:00:00 +0000", "m4": "Wed, 11 Mar 2026 10:00:00 +0000",
        "m5": "Thu, 12 Mar 2026 10:00:00 +0000", "m6": "Fri, 20 Feb 2026 10:00:00 +0000",
    }
    for name, when in specs.items():
        (tmp_path / f"{name}.eml").write_bytes(eml(message_id=f"<{name}@x>", subject=name, date=when))
    import_paths(store, [tmp_path])
    ids = {name: store.db.execute("SELECT id FROM messages WHERE subject = ?", [name]).fetchone()[0]
           for name in specs}
    t = Triage(store, "Priya")
    t.set_topics([ids["m1"], ids["m6"]], ["send"])
    t.set_urgency([ids["m1"]], "urgent")
    t.set_topics([ids["m2"]], ["send", "tribunal"])
    t.set_urgency([ids["m2"]], "high")
    t.set_topics([ids["m3"]], ["school_place"])
    t.set_topics([ids["m4"], ids["m5"]], [])
    t.set_urgency([ids["m4"]], "low")
    t.set_safeguarding([ids["m5"]], True)
    t.assign([ids["m5"]], "Sam")
    t.assign([ids["m4"]], "Priya")
    t.set_status([ids["m2"], ids["m4"]], "done")
    with store.write_transaction():  # when they were done, as if it had happened then
        store.db.execute("UPDATE events SET at = '2026-03-05T10:00:00Z' WHERE field = 'status' AND message_id = ?", [ids["m2"]])
        store.db.execute("UPDATE events SET at = '2026-03-21T10:00:00Z' WHERE field = 'status' AND message_id = ?", [ids["m4"]])
    store.put_predictions([(ids["m3"], {"model_version": "t", "topics": ["school_place"], "scores": {},
                                        "urgency": "normal", "safeguarding": False, "confidence": 0.5,
                                        "deadline": "2026-04-06", "reasons": {}})])
    return ids


def rows(dash, key):  # type: ignore[no-untyped-def]
    return dash.tables[key].rows


def test_dashboard_figures(store: Store, office: dict[str, int]) -> None:
    dash = compute(store, date(2026, 3, 1), date(2026, 3, 31), today=TODAY)
    assert rows(dash, "weekly") == [["2026-03-02", 2, 1, 0, 0, 2], ["2026-03-09", 0, 0, 1, 2, 3]]
    assert rows(dash, "urgency_open") == [["Urgent", 2], ["High", 0], ["Normal", 2], ["Low", 0]]
    assert rows(dash, "safeguarding") == [["Received in the period", 1], ["Still open (any date)", 1],
                                         ["Oldest open, days", 20]]
    backlog = {r[0]: r[1:] for r in rows(dash, "backlog")}
    assert backlog["15-30 days"] == [1, 0, 1, 1, 3]
    assert backlog["over 30 days"] == [1, 0, 0, 0, 1]
    assert backlog["0-2 days"] == [0, 0, 0, 0, 0]
    assert [r[0] for r in rows(dash, "oldest_urgent")] == [office["m1"], office["m5"]]
    ttd = {r[0]: r[1:] for r in rows(dash, "time_to_done")}
    assert ttd["All"] == [2, 2.0, 10.0]
    assert ttd["SEND"] == [1, 2.0, 2.0] and ttd["Other"] == [1, 10.0, 10.0] and ttd["School place"][0] == 0
    assert rows(dash, "time_to_done_weekly") == [["2026-03-02", 1, 2.0, 2.0], ["2026-03-16", 1, 10.0, 10.0]]
    assert [r[:2] for r in rows(dash, "deadlines")] == [[office["m3"], "2026-04-06"]]
    assert rows(dash, "staff") == [["Priya", 0, 1], ["Sam", 1, 0]]
    health = {r[0]: r[1:] for r in rows(dash, "model_health")}
    assert health["Model unsure"] == [1, 1, "100.0%"]
    assert health["School place corrected"] == [0, 1, "0.0%"]


def test_staff_filter(store: Store, office: dict[str, int]) -> None:
    dash = compute(store, date(2026, 3, 1), date(2026, 3, 31), staff="Sam", today=TODAY)
    assert rows(dash, "weekly") == [["2026-03-09", 0, 0, 0, 1, 1]]
    assert rows(dash, "staff") == [["Sam", 1, 0]]


def test_csv_round_trips(store: Store, office: dict[str, int], tmp_path: Path) -> None:
    dash = compute(store, date(2026, 3, 1), date(2026, 3, 31), today=TODAY)
    paths = dash.write_csv(tmp_path / "csv")
    assert len(paths) == len(dash.tables)
    weekly = list(csv.reader(io.StringIO((tmp_path / "csv" / "weekly.csv").read_text(encoding="utf-8"))))
    assert weekly[0] == dash.tables["weekly"].columns
    assert weekly[1:] == [[str(v) for v in r] for r in rows(dash, "weekly")]


def test_pdf_report_pages_render_non_blank(store: Store, office: dict[str, int], tmp_path: Path) -> None:
    import pypdfium2 as pdfium

    dash = compute(store, date(2026, 3, 1), date(2026, 3, 31), today=TODAY)
    out = tmp_path / "report.pdf"
    pages = write_pdf(dash, out)
    pdf = pdfium.PdfDocument(str(out))
    assert len(pdf) == pages == 5
    for i in range(len(pdf)):
        image = pdf[i].render(scale=0.6).to_pil().convert("L")
        assert image.getextrema()[0] < 100  # there is ink on every page
        assert sum(1 for n in image.histogram() if n) > 10  # more than a flat fill
    text = pdf[0].get_textpage().get_text_range()
    assert "Triage Desk" in text and "2026-03-01 to 2026-03-31" in text and "Page 1" in text


def test_report_command(store: Store, office: dict[str, int], tmp_path: Path,
                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.pdf"
    assert main(["report", "--db", store.path, "--from", "2026-03-01", "--to", "2026-03-31",
                 "--out", str(out), "--csv", str(tmp_path / "c")]) == 0
    assert "5 pages" in capsys.readouterr().out
    assert out.stat().st_size > 10_000 and (tmp_path / "c" / "staff.csv").exists()
    assert main(["report", "--db", store.path, "--from", "2026-04-01", "--to", "2026-03-01", "--out", str(out)]) == 1
