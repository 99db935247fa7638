"""The classifier: the shipped model's behaviour, training reproducibility, safe persistence,
and the import/classify paths that must never overwrite a human's label."""

from __future__ import annotations

import json
import shutil
from fractions import Fraction
from pathlib import Path

import pytest
from conftest import eml

from triage.actions import Triage
from triage.classify import ModelRef, active_model_path, from_message, load
from triage.classify.corpus import load_corpus
from triage.classify.metrics import evaluate_predictions
from triage.classify.model import Config
from triage.classify.persist import ModelFileError, card_path, load_model, save_model
from triage.classify.training import fit_model
from triage.cli import main
from triage.parse import parse_message
from triage.pipeline import import_paths
from triage.store import Store

CORPUS = Path(__file__).resolve().parent.parent / "models" / "corpus"


@pytest.fixture(scope="module")
def model():  # type: ignore[no-untyped-def]
    return load(active_model_path())


def predict(model, raw: bytes) -> dict:  # type: ignore[no-untyped-def]
    return model.predict([from_message(parse_message(raw))])[0]


def test_shipped_model_tags_and_explains_a_send_tribunal_case(model) -> None:  # type: ignore[no-untyped-def]
    raw = eml(subject="Tribunal hearing for my son's EHCP",
              date="Mon, 02 Mar 2026 09:00:00 +0000",
              body="Our SEND tribunal appeal hearing is on 5 March. The council still hasn't sent "
                   "the working document for his EHCP and the SENCO says he needs a specialist place.")
    p = predict(model, raw)
    assert "send" in p["topics"] and "tribunal" in p["topics"]
    assert p["urgency"] == "urgent"  # hearing in 3 days
    assert p["deadline"] == "2026-03-05"
    send_phrases = [w for w, _ in p["reasons"]["topics"]["send"]]
    assert any(w in ("ehcp", "senco", "send", "send tribunal", "his ehcp") for w in send_phrases)
    assert any("deadline in 3 days" in r for r in p["reasons"]["rules"])


def test_admission_appeal_is_a_school_place_not_a_tribunal(model) -> None:  # type: ignore[no-untyped-def]
    p = predict(model, eml(subject="Secondary school appeal",
                           body="We didn't get any of our three preferences for secondary school on national "
                                "offer day. Our admission appeal to the independent appeal panel is in May. "
                                "Can you help us with the appeal about the school place?"))
    assert p["topics"] == ["school_place"]


def test_pip_appeal_is_a_tribunal_not_send(model) -> None:  # type: ignore[no-untyped-def]
    p = predict(model, eml(subject="PIP appeal",
                           body="After the mandatory reconsideration DWP refused my PIP again. I have lodged "
                                "an appeal with the tribunal and am waiting for a hearing date."))
    assert p["topics"] == ["tribunal"]


def test_one_buried_sentence_raises_safeguarding_and_urgency(model) -> None:  # type: ignore[no-untyped-def]
    body = ("I am writing about the bins on Mill Lane, which have not been collected for three weeks. "
            "The council website says they are coming. My neighbour also asked about the bus. "
            "Honestly since my son's school place fell through I can't go on. "
            "Anyway the main thing is the bins, thank you.")
    p = predict(model, eml(subject="Bins", body=body))
    assert p["safeguarding"] is True and p["urgency"] == "urgent"
    assert p["reasons"]["lexicon"][0]["status"] == "hit"


def test_campaign_about_mental_health_is_not_a_safeguarding_case(model) -> None:  # type: ignore[no-untyped-def]
    p = predict(model, eml(subject="Fund children's mental health",
                           body="I am writing as part of our campaign about children's mental health. Rates of "
                                "self-harm among young people nationally have risen and services need funding. "
                                "Please support the bill."))
    assert p["safeguarding"] is False
    assert p["urgency"] == "low"


def test_held_out_split_quality(model) -> None:  # type: ignore[no-untyped-def]
    """The test batches (b6, b10) are never trained on: a floor below the measured figures, so a model that
    learned the corpus rather than the task fails here."""
    test = [e for e in load_corpus(CORPUS) if e.split == "test"]
    report = evaluate_predictions(test, model.predict([e.input for e in test], reasons=False))
    assert report["topic_macro_f1"] >= 0.88
    assert report["safeguarding"]["recall"] >= 0.9
    assert report["urgency_within_one"] >= 0.93


def test_training_is_reproducible_and_persists_exactly(small_corpus: Path, tmp_path: Path) -> None:
    examples = load_corpus(small_corpus)
    m1, r1 = fit_model(examples, Config(seed=5))
    m2, r2 = fit_model(examples, Config(seed=5))
    for key in ("topics", "urgency_exact", "urgency_within_one", "safeguarding"):
        assert r1[key] == r2[key]
    sample = [e.input for e in examples[:40]]
    assert m1.predict(sample) == [dict(p, model_version=m1.version) for p in m2.predict(sample)]
    path = tmp_path / "m.skops"
    save_model(m1, path, {"cross_validated": r1})
    loaded, card = load_model(path)
    assert loaded.predict(sample) == m1.predict(sample)
    assert card["cross_validated"]["topic_macro_f1"] == r1["topic_macro_f1"]
    assert set(card["libraries"]) >= {"scikit-learn", "numpy", "skops"}


def test_tampered_model_file_is_refused(tmp_path: Path) -> None:
    src = active_model_path()
    path = tmp_path / "m.skops"
    shutil.copy(src, path)
    shutil.copy(card_path(src), card_path(path))
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="does not match its model card"):
        load_model(path)


def test_file_with_a_foreign_type_is_refused(tmp_path: Path) -> None:
    import skops.io as sio

    from triage.classify.persist import file_sha256

    path = tmp_path / "evil.skops"
    sio.dump({"format": "triage-desk-model/1", "payload": Fraction(1, 3)}, path)
    card = json.loads(card_path(active_model_path()).read_text())
    card["model_file_sha256"] = file_sha256(path)
    card_path(path).write_text(json.dumps(card))
    with pytest.raises(ModelFileError, match="does not trust: fractions.Fraction"):
        load_model(path)


def test_model_from_other_library_versions_is_refused(tmp_path: Path) -> None:
    src = active_model_path()
    path = tmp_path / "m.skops"
    shutil.copy(src, path)
    card = json.loads(card_path(src).read_text())
    card["libraries"]["scikit-learn"] = "0.24.2"
    card_path(path).write_text(json.dumps(card))
    with pytest.raises(ModelFileError, match="made with scikit-learn 0.24.2"):
        load_model(path)


def test_import_classifies_and_human_labels_survive_reclassification(tmp_path: Path, store: Store,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.eml").write_bytes(eml(message_id="<a@x>", subject="EHCP annual review overdue",
                                         body="My daughter's EHCP annual review is months overdue and the SENCO is worried."))
    (tmp_path / "b.eml").write_bytes(eml(message_id="<b@x>", subject="Pothole", body="There is a pothole on Mill Lane."))
    summary = import_paths(store, [tmp_path], classifier=ModelRef(str(active_model_path())))
    assert summary.imported == 2
    rows = dict(store.db.execute("SELECT m.message_id, p.topics FROM messages m JOIN predictions p ON p.message_id = m.id"))
    assert json.loads(rows["<a@x>"]) == ["send"] and json.loads(rows["<b@x>"]) == []
    a_id = store.db.execute("SELECT id FROM messages WHERE message_id = '<a@x>'").fetchone()[0]
    Triage(store, "Sam").set_topics([a_id], ["school_place"])
    assert main(["classify", "--all", "--db", store.path]) == 0
    assert "classified 2 messages" in capsys.readouterr().out
    assert main(["export", "--db", store.path]) == 0
    records = {r["message_id"]: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert records["<a@x>"]["topics"] == ["school_place"] and records["<a@x>"]["label_source"] == "human"
    assert records["<a@x>"]["scores"]["send"] > 0.5  # the model's view is kept beside it
    assert records["<b@x>"]["label_source"] == "model"


def test_evaluate_command_reports_metrics_and_mistakes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "1.eml").write_bytes(eml(message_id="<e1@x>", subject="PIP appeal",
                                       body="My PIP appeal hearing at the tribunal is next month."))
    (folder / "2.eml").write_bytes(eml(message_id="<e2@x>", subject="Bins", body="The bins were not collected."))
    labels = tmp_path / "labels.jsonl"
    labels.write_text(
        json.dumps({"message_id": "<e1@x>", "topics": ["tribunal"], "urgency": "high", "safeguarding": False}) + "\n"
        + json.dumps({"file": "2.eml", "topics": ["send"], "urgency": "urgent", "safeguarding": True}) + "\n")
    assert main(["evaluate", str(folder), "--labels", str(labels)]) == 0
    out = capsys.readouterr().out
    assert "tribunal" in out and "precision" in out and "safeguarding recall 0.000" in out
    assert "worst" in out and "'Bins'" in out
    assert main(["evaluate", str(folder), "--labels", str(labels), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["messages"] == 2 and report["topics"]["tribunal"]["recall"] == 1.0


def test_train_command_with_database_labels(small_corpus: Path, tmp_path: Path, store: Store,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "x.eml").write_bytes(eml(message_id="<db1@x>", subject="Help", body="Please help me."))
    import_paths(store, [tmp_path / "m"])
    row_id = store.db.execute("SELECT id FROM messages").fetchone()[0]
    Triage(store, "Sam").set_topics([row_id], ["send"])
    out = tmp_path / "trained.skops"
    assert main(["train", "--corpus", str(small_corpus), "--with-db-labels", "--db", store.path,
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "on the same 5 folds" in printed and "topic macro-F1" in printed and "registered" in printed
    card = json.loads(card_path(out).read_text())
    assert card["database_labels"] == 1
    assert card["cross_validated"]["training_messages"] == len(load_corpus(small_corpus)) + 1
    load_model(out)
    from triage.classify import registry

    entry = registry.entry(store, card["version"])
    assert not entry.active and entry.origin == "trained" and entry.comparison["store_labels"] == 1
