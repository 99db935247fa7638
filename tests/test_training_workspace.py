"""The trainer's workspace in the core: corrections teach the model, the registry activates,
rolls back, exports and refuses files, the safeguarding guard, likely label errors, the review
queues, near-duplicate groups, corpus corrections, the model commands and cancelling.

Retrains use three corpus batches (b1, b3, b4): a few seconds each."""

from __future__ import annotations

import json
import random
import shutil
from fractions import Fraction
from pathlib import Path

import pytest
from conftest import eml

from triage import review
from triage.actions import Triage
from triage.classify import ModelRef, active_model_path, classify_stored, from_message, load, registry
from triage.classify.persist import card_path, default_model_path, file_sha256, read_card
from triage.classify.retrain import Cancelled, check_labels, retrain
from triage.classify.training import make_folds
from triage.classify.training_set import build
from triage.cli import main
from triage.parse import parse_message
from triage.paths import demo_inbox
from triage.pipeline import import_paths
from triage.store import REVIEW_CONFIDENCE, Store

CORPUS = Path(__file__).resolve().parent.parent / "models" / "corpus"
SHIPPED = str(read_card(default_model_path())["version"])


def import_folder(store: Store, folder: Path) -> None:
    import_paths(store, [folder], classifier=ModelRef(str(active_model_path(store=store))))


def write_messages(folder: Path, raws: list[bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n, raw in enumerate(raws):
        (folder / f"{n:03d}.eml").write_bytes(raw)
    return folder


def row_id(store: Store, subject: str) -> int:
    return int(store.db.execute("SELECT id FROM messages WHERE subject = ? ORDER BY id", [subject]).fetchone()[0])


def predictions(store: Store) -> list[tuple]:
    """Every stored prediction except when it was made."""
    cur = store.db.execute("SELECT * FROM predictions ORDER BY message_id")
    names = [d[0] for d in cur.description]
    keep = [i for i, n in enumerate(names) if n != "predicted_at"]
    return [tuple(r[i] for i in keep) for r in cur]


def labels(store: Store) -> list[tuple]:
    return store.db.execute("SELECT * FROM labels ORDER BY message_id").fetchall()


def shown(store: Store) -> list[tuple]:
    """What the inbox shows from them: effective labels, confidence, review flag, order."""
    return store.db.execute(
        "SELECT id, eff_topics, eff_urgency, eff_safeguarding, confidence, needs_review, deadline, rank_key "
        "FROM messages ORDER BY id").fetchall()


def model_files(store: Store) -> set[str]:
    return {p.name for p in registry.models_dir(store).iterdir()}


def shipped_files() -> set[str]:
    name = f"model-{SHIPPED}.skops"
    return {name, card_path(Path(name)).name}


# -- 1. corrections teach the model ------------------------------------------------------------

# Additional learning needs in Wales, written in Welsh: ADY (anghenion dysgu ychwanegol, ALN),
# CDU (cynllun datblygu unigol, the IDP), CADY (the ALNCo). `send` by the label contract (a
# child's learning needs and the support around their education); the shipped model, trained on
# English correspondence, has no words for it.
FIRST = ["Rhian", "Gareth", "Siân", "Dafydd", "Ffion", "Owain", "Catrin", "Rhys", "Nia", "Iwan",
         "Megan", "Huw", "Eleri", "Geraint", "Lowri", "Aled"]
LAST = ["Jones", "Evans", "Williams", "Pritchard", "Hughes", "Roberts", "Lloyd", "Parry", "Morgan",
        "Griffiths", "Bowen", "Price"]
CHILD = ["Elis", "Mali", "Osian", "Efa", "Tomos", "Alaw", "Cai", "Seren", "Ioan", "Lili", "Macsen", "Begw"]
SCHOOL = ["Ysgol Bro Teifi", "Ysgol y Strade", "Ysgol Pen y Bryn", "Ysgol Glan Clwyd", "Ysgol Bryn Elian",
          "Ysgol Dewi Sant", "Ysgol Gynradd Llanfair", "Ysgol Maes y Gwendraeth"]
AGE = ["chwech", "saith", "wyth", "naw", "deg", "un ar ddeg"]


def welsh_aln_message(rng: random.Random, n: int) -> bytes:
    first, last, child, school = rng.choice(FIRST), rng.choice(LAST), rng.choice(CHILD), rng.choice(SCHOOL)
    sentences = [
        f"Cytunodd y CADY yn {school} fod gan {child} anghenion dysgu ychwanegol (ADY).",
        f"Does dim cynllun datblygu unigol (CDU) i {child} o hyd.",
        ("Mae'r awdurdod lleol yn dweud mai cyfrifoldeb yr ysgol yw'r CDU, ond mae'r ysgol yn dweud "
         "mai gwaith y cyngor yw e."),
        "Nid yw'r ddarpariaeth ddysgu ychwanegol yn y CDU yn cael ei rhoi.",
        "Gofynnon ni i'r cyngor ailystyried penderfyniad ADY yr ysgol a chlywon ni ddim byd.",
        f"Mae'r CADY wedi gadael {school} a does neb yn gyfrifol am ADY nawr.",
        "Dywedwyd wrthym y byddai cyfarfod i adolygu'r CDU y tymor hwn ond does neb wedi ei drefnu.",
        f"Mae {child} yn ei chael hi'n anodd yn y dosbarth heb gymorth un i un.",
        f"Dyw anghenion dysgu ychwanegol {child} ddim yn cael eu diwallu.",
    ]
    rng.shuffle(sentences)
    body = (f"Mae fy {rng.choice(['mab', 'merch'])} {child} yn {rng.choice(AGE)} oed ac yn mynd i {school}. "
            if rng.random() < 0.7 else "")
    body += " ".join(sentences[: rng.randint(3, 6)])
    close = rng.choice(["Allech chi godi hyn gyda'r cyngor, os gwelwch yn dda?",
                        "Byddwn yn ddiolchgar iawn am eich help.", "Allwch chi ein helpu ni?",
                        "A fyddai modd i'ch swyddfa edrych ar hyn?"])
    subject = rng.choice([f"ADY {child}", "CDU heb ei baratoi", f"Anghenion dysgu ychwanegol {child}",
                          "CADY a CDU", f"Help gyda CDU {child}", "Darpariaeth ddysgu ychwanegol"])
    day = rng.randint(1, 28)
    return eml(subject=subject, body=f"Annwyl Ms Marsh,\n\n{body} {close}\n\nDiolch yn fawr,\n{first} {last}",
               sender=f"{first} {last} <{child.lower()}.{last.lower()}{n}@example.cymru>",
               date=f"{day:02d} Oct 2025 {rng.randint(8, 20):02d}:{rng.randint(0, 59):02d}:00 +0100",
               message_id=f"<ady{n}@example.cymru>")


def send_rate(model, raws: list[bytes]) -> float:  # type: ignore[no-untyped-def]
    preds = model.predict([from_message(parse_message(r)) for r in raws], reasons=False)
    return sum("send" in p["topics"] for p in preds) / len(preds)


def test_corrections_teach_the_model(small_corpus: Path, tmp_path: Path, store: Store) -> None:
    rng = random.Random(7)
    raws = [welsh_aln_message(rng, n) for n in range(60)]
    taught, held_out = raws[:40], raws[40:]
    shipped = load(default_model_path())
    before_taught, before_held = send_rate(shipped, taught), send_rate(shipped, held_out)
    assert before_taught <= 0.4 and before_held <= 0.4  # measured: 0.0 and 0.0

    import_folder(store, write_messages(tmp_path / "inbox", taught))
    ids = [r[0] for r in store.db.execute("SELECT id FROM messages ORDER BY id")]
    assert len(ids) == 40
    Triage(store, "Sam").set_labels(ids, ["send"], "normal", False)

    entry = retrain(store, actor="Sam", corpus_dir=small_corpus)
    c = entry.comparison
    assert c["store_labels"] == 40 and c["against"] == SHIPPED
    # Judged on the same folds, the candidate finds the Welsh cases the shipped recipe misses.
    assert c["candidate"]["topics"]["send"]["recall"] > c["active"]["topics"]["send"]["recall"] + 0.1
    registry.activate(store, entry.version, "Sam")
    assert classify_stored(store, ModelRef(str(active_model_path(store=store)))) == 40
    stored = [json.loads(t) for t, v in store.db.execute("SELECT topics, model_version FROM predictions")
              if v == entry.version]
    assert len(stored) == 40
    after_taught = sum("send" in t for t in stored) / 40  # measured: 1.0
    assert after_taught >= 0.9
    after_held = send_rate(load(entry.path), held_out)  # measured: 1.0 (was 0.0)
    print(f"send: taught {before_taught:.2f} -> {after_taught:.2f}, held out {before_held:.2f} -> "
          f"{after_held:.2f}; recall on the same folds {c['active']['topics']['send']['recall']:.3f} -> "
          f"{c['candidate']['topics']['send']['recall']:.3f}")
    assert after_held >= 0.75 and after_held >= before_held + 0.5


# -- 2. rollback ----------------------------------------------------------------------------------

def test_rollback_restores_predictions_exactly(small_corpus: Path, store: Store) -> None:
    import_folder(store, demo_inbox())
    triage = Triage(store, "Sam")
    triage.set_labels([row_id(store, "Pothole Mill Lane Calder Bridge")], [], "normal", False)
    triage.set_labels([row_id(store, "Cannot find an NHS dentist")], ["send"], "high", False)
    triage.set_topics([row_id(store, "PIP appeal - been waiting months for a date")], ["tribunal"])
    before, before_shown, human = predictions(store), shown(store), labels(store)
    assert len(before) == 70 and len(human) == 3
    assert {p[1] for p in before} == {SHIPPED}

    entry = retrain(store, actor="Sam", corpus_dir=small_corpus)
    assert predictions(store) == before and labels(store) == human  # a candidate changes nothing
    assert registry.active_version(store) == SHIPPED
    registry.activate(store, entry.version, "Sam")
    assert classify_stored(store, ModelRef(str(active_model_path(store=store)))) == 70
    after = predictions(store)
    assert {p[1] for p in after} == {entry.version}
    assert [p[2:] for p in after] != [p[2:] for p in before]  # the new model sees some differently
    assert labels(store) == human

    registry.activate(store, SHIPPED, "Sam")  # the rollback
    assert registry.active_version(store) == SHIPPED
    assert active_model_path(store=store) == registry.entry(store, SHIPPED).path
    assert classify_stored(store, ModelRef(str(active_model_path(store=store)))) == 70
    assert predictions(store) == before
    assert shown(store) == before_shown
    assert labels(store) == human
    history = registry.activations(store)
    assert [(a["version"], a["previous"], a["actor"]) for a in history] == [
        (SHIPPED, entry.version, "Sam"), (entry.version, SHIPPED, "Sam")]
    states = {e.version: (e.active, e.ever_active) for e in registry.entries(store)}
    assert states == {SHIPPED: (True, True), entry.version: (False, True)}


# -- 3. export and import --------------------------------------------------------------------------

def test_registry_import_refuses_bad_files_and_takes_a_good_one(small_corpus: Path, tmp_path: Path, store: Store,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    entry = retrain(store, actor="Sam", corpus_dir=small_corpus)
    shared = registry.export(store, entry.version, tmp_path / "share" / "office-model")
    assert shared.suffix == ".skops" and card_path(shared).exists()
    assert file_sha256(shared) == entry.sha256

    def variant(name: str) -> Path:
        path = tmp_path / "share" / f"{name}.skops"
        shutil.copyfile(shared, path)
        shutil.copyfile(card_path(shared), card_path(path))
        return path

    tampered = variant("tampered")
    data = bytearray(tampered.read_bytes())
    data[len(data) // 2] ^= 0xFF
    tampered.write_bytes(bytes(data))

    foreign = tmp_path / "share" / "foreign.skops"
    import skops.io as sio

    sio.dump({"format": "triage-desk-model/1", "payload": Fraction(1, 3)}, foreign)
    card = json.loads(card_path(shared).read_text())
    card["model_file_sha256"] = file_sha256(foreign)
    card_path(foreign).write_text(json.dumps(card))

    old_sklearn = variant("old-sklearn")
    card = json.loads(card_path(old_sklearn).read_text())
    card["libraries"]["scikit-learn"] = "0.24.2"
    card_path(old_sklearn).write_text(json.dumps(card))

    no_card = variant("no-card")
    card_path(no_card).unlink()

    with Store.open(tmp_path / "laptop2" / "triage.db") as other:
        refusals = [(tampered, "does not match its model card"), (foreign, "does not trust: fractions.Fraction"),
                    (old_sklearn, "made with scikit-learn 0.24.2"), (no_card, "no model card beside")]
        for path, reason in refusals:
            with pytest.raises(registry.RegistryError, match=reason):
                registry.import_file(other, path, "Ali")
            assert main(["models", "import", str(path), "--db", other.path]) == 1
            err = capsys.readouterr().err
            assert "refused" in err and reason in err
        assert [e.version for e in registry.entries(other)] == [SHIPPED]
        assert model_files(other) == shipped_files()  # nothing refused was copied in

        imported = registry.import_file(other, shared, "Ali")
        assert imported.version == entry.version and imported.origin == "imported"
        assert not imported.active and not imported.ever_active and imported.created_by == "Ali"
        assert registry.active_version(other) == SHIPPED
        assert imported.sha256 == entry.sha256 and imported.card == entry.card
        with pytest.raises(registry.RegistryError, match="already in the registry"):
            registry.import_file(other, shared, "Ali")
        sample = [from_message(parse_message(eml(subject="EHCP review", body="The EHCP annual review is late.")))]
        assert load(imported.path).predict(sample) == load(entry.path).predict(sample)
        registry.activate(other, imported.version, "Ali")
        assert registry.active_version(other) == entry.version


# -- 4. the safeguarding guard ------------------------------------------------------------------

def test_candidate_missing_a_safeguarding_case_needs_an_override(small_corpus: Path, tmp_path: Path,
                                                                 store: Store,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A caseworker marked a message safeguarding from what was said at a surgery (the email
    itself is harmless); a model trained with it catches it. Someone then takes the flag off:
    a candidate trained on that misses it, and activating it needs a written reason."""
    import_folder(store, write_messages(tmp_path / "inbox", [eml(
        message_id="<surgery@x>", subject="Call back please",
        body="Could someone from the office give me a ring about the matter I mentioned at your surgery on "
             "Friday? I would rather not put it in an email. My number is 07700 900123. Thanks.")]))
    x = row_id(store, "Call back please")
    triage = Triage(store, "Sam")
    triage.set_labels([x], [], "urgent", True)
    first = retrain(store, actor="Sam", corpus_dir=small_corpus)
    assert not first.safeguarding_regression
    registry.activate(store, first.version, "Sam")

    triage.set_labels([x], [], "normal", False)
    second = retrain(store, actor="Sam", corpus_dir=small_corpus)
    assert second.comparison["against"] == first.version
    assert second.safeguarding_regression
    assert [m["row_id"] for m in second.comparison["safeguarding_missed"]] == [x]

    for reason in (None, "   "):
        with pytest.raises(registry.RegistryError, match="misses 1 safeguarding case"):
            registry.activate(store, second.version, "Sam", override_reason=reason)
    assert main(["models", "activate", second.version, "--db", store.path]) == 1
    assert "explicit override" in capsys.readouterr().err
    assert registry.active_version(store) == first.version

    registry.activate(store, second.version, "Kim", override_reason="  not a safeguarding case: spoke to her  ")
    assert registry.active_version(store) == second.version
    latest = registry.activations(store)[0]
    assert latest["version"] == second.version and latest["actor"] == "Kim"
    assert latest["override_reason"] == "not a safeguarding case: spoke to her"
    assert registry.activations(store)[1]["override_reason"] is None


# -- 5. likely label errors ----------------------------------------------------------------------

def test_planted_label_errors_are_found_and_a_kept_one_stays_kept(small_corpus: Path, store: Store) -> None:
    import_folder(store, demo_inbox())
    pothole = row_id(store, "Pothole Mill Lane Calder Bridge")
    ehc = row_id(store, "Daughter's EHC assessment - now week 35, timeline attached")
    pip = row_id(store, "PIP appeal - been waiting months for a date")
    triage = Triage(store, "Sam")
    triage.set_labels([pothole], ["tribunal"], "urgent", False)
    triage.set_labels([ehc], [], "high", False)
    triage.set_labels([pip], ["tribunal"], "high", False)  # right: not an issue

    n = check_labels(store, corpus_dir=small_corpus)
    queue = review.items(store, "label_errors")
    assert n == len(queue) == review.counts(store)["label_errors"]

    def found(items: list[review.QueueItem]) -> dict[tuple[int | None, str], tuple[object, review.QueueItem]]:
        out = {}
        for item in items:
            rec = review.issue(store, item.issue_id)
            out[(item.row_id, rec["field"])] = (rec["suggested"], item)
        return out

    issues = found(queue)
    assert issues[(pothole, "topics")][0] == {"topic": "tribunal", "applies": False}
    assert issues[(ehc, "topics")][0] == {"topic": "send", "applies": True}
    assert not any(row == pip for row, _ in issues)
    pothole_item = issues[(pothole, "topics")][1]
    assert pothole_item.labels == (("tribunal",), "urgent", False) and pothole_item.human
    assert "suggests not tribunal" in pothole_item.why
    assert review.apply_suggestion(pothole_item.labels, "topics", {"topic": "tribunal", "applies": False}) == \
        ((), "urgent", False)
    ehc_item = issues[(ehc, "topics")][1]
    assert review.apply_suggestion(ehc_item.labels, "topics", {"topic": "send", "applies": True}) == \
        (("send",), "high", False)

    review.resolve_issue(store, pothole_item.issue_id, "kept")
    check_labels(store, corpus_dir=small_corpus)
    again = found(review.items(store, "label_errors"))
    assert (pothole, "topics") not in again  # kept while the label stands
    assert (ehc, "topics") in again  # still open, found again
    assert review.issue(store, pothole_item.issue_id)["state"] == "kept"

    # The trainer fixes the EHC label: that issue is gone at the next check.
    triage.set_labels([ehc], ["send"], "high", False)
    review.resolve_issue(store, again[(ehc, "topics")][1].issue_id, "fixed")
    review.resolve_issue(store, pothole_item.issue_id, "open")  # undo the keep
    check_labels(store, corpus_dir=small_corpus)
    last = found(review.items(store, "label_errors"))
    assert (ehc, "topics") not in last
    assert (pothole, "topics") in last
    assert review.counts(store)["label_errors"] == len(review.items(store, "label_errors"))


# -- 6. review queues ------------------------------------------------------------------------------

def test_review_queues(store: Store) -> None:
    import_folder(store, demo_inbox())
    uncertain = review.items(store, "uncertain")
    assert len(uncertain) >= 5
    confidences = [i.confidence for i in uncertain]
    assert confidences == sorted(confidences) and max(confidences) < REVIEW_CONFIDENCE
    every = dict(store.db.execute("SELECT message_id, confidence FROM predictions"))
    assert {i.row_id for i in uncertain} == {m for m, c in every.items() if c < REVIEW_CONFIDENCE}
    assert not any(i.human for i in uncertain)
    assert review.counts(store) == {"uncertain": len(uncertain), "disagreements": 0, "label_errors": 0}
    assert review.items(store, "uncertain", limit=3) == uncertain[:3]

    least, next_ = uncertain[0], uncertain[1]
    triage = Triage(store, "Sam")
    differs = (["school_place"] if "school_place" not in least.model[0] else [], "low", False)
    triage.set_labels([least.row_id], *differs)  # disagrees with the model
    triage.accept([next_.row_id])  # agrees with the model
    uncertain_now = review.items(store, "uncertain")
    assert {i.row_id for i in uncertain_now} == {i.row_id for i in uncertain} - {least.row_id, next_.row_id}
    disagreements = review.items(store, "disagreements")
    assert [i.row_id for i in disagreements] == [least.row_id]
    d = disagreements[0]
    assert d.human and d.labels == (tuple(differs[0]), "low", False) and d.model == least.model
    assert d.why.startswith("staff: ")
    assert review.counts(store) == {"uncertain": len(uncertain_now), "disagreements": 1, "label_errors": 0}
    with pytest.raises(review.ReviewError):
        review.items(store, "nonsense")


# -- 7. near-duplicate groups ----------------------------------------------------------------------

CAMPAIGN = ("I am writing to ask you to support the call for a national SEND transport guarantee. Families "
            "across the constituency are seeing home to school transport for disabled children cut back, "
            "with children left without a way to get to their specialist setting. Please raise this with "
            "the Secretary of State and back the guarantee in the coming debate.")


def test_campaign_copies_share_a_group_and_a_fold(small_corpus: Path, tmp_path: Path, store: Store) -> None:
    people = [("Ann Lee", "4 Elm Road, Ashbridge"), ("Bob Khan", "17 Mill Lane, Calder Bridge"),
              ("Cara Dunn", "Flat 2, 9 High Street, Holme Moor")]
    raws = [eml(message_id=f"<camp{n}@x>", sender=f"{name} <c{n}@example.org>",
                subject="Support a SEND transport guarantee",
                body=f"Dear Helen Marsh,\n\n{CAMPAIGN}\n\nYours sincerely,\n{name}\n{address}")
            for n, (name, address) in enumerate(people)]
    raws[1] = raws[1].replace(b"coming debate.", b"coming debate. My own son waited a term for a bus.")
    raws.append(eml(message_id="<pot@x>", subject="Pothole", sender="Dee Moss <dee@example.org>",
                    body="The pothole outside 12 Mill Lane has been there since March. Could you ask the council "
                         "to fill it before someone is hurt on their bike?"))
    raws.append(eml(message_id="<pip@x>", subject="PIP tribunal", sender="Eve Rowe <eve@example.org>",
                    body="My PIP appeal hearing at the tribunal is next month and I need help with evidence."))
    import_folder(store, write_messages(tmp_path / "inbox", raws))
    ids = [r[0] for r in store.db.execute("SELECT id FROM messages ORDER BY id")]
    Triage(store, "Sam").accept(ids)

    tset = build(store, small_corpus)
    group = {it.row_id: it.example.group for it in tset.items if it.row_id is not None}
    campaign, pothole, pip = ids[:3], ids[3], ids[4]
    assert len({group[i] for i in campaign}) == 1
    assert group[pothole] != group[campaign[0]] and group[pip] != group[campaign[0]]
    assert group[pothole] != group[pip]
    assert sum(1 for it in tset.items if it.example.group == group[campaign[0]]) == 3

    examples = tset.examples
    index = {it.row_id: n for n, it in enumerate(tset.items) if it.row_id is not None}
    fold_of = {}
    for k, (_train, test) in enumerate(make_folds(examples, 5, 13)):
        for i in test:
            fold_of[int(i)] = k
    assert len({fold_of[index[i]] for i in campaign}) == 1


# -- 8. corrections to the corpus ------------------------------------------------------------------

def test_corpus_corrections_change_what_training_sees(small_corpus: Path, store: Store) -> None:
    key = "b1/b1-001.eml"  # the file says: send, high, not safeguarding

    def labels_in_build() -> tuple:
        item = next(it for it in build(store, small_corpus).items if it.corpus_key == key)
        e = item.example
        return tuple(sorted(e.topics)), e.urgency, e.safeguarding, item.corpus_labels

    original = (("send",), "high", False)
    assert labels_in_build() == (*original, original)
    assert review.corpus_labels(store, small_corpus, key) == original

    fixed = (("send", "school_place"), "urgent", True)
    review.set_corpus_labels(store, small_corpus, key, fixed, "Sam")
    assert labels_in_build() == (("school_place", "send"), "urgent", True, original)
    assert review.corpus_labels(store, small_corpus, key) == fixed
    assert review.corpus_correction(store, key) == fixed
    tset = build(store, small_corpus)
    assert tset.corrections == {key: fixed}
    assert json.loads(json.dumps(tset.manifest()))["corrections"] == {key: [["send", "school_place"], "urgent", True]}
    assert json.loads((small_corpus / "b1" / "labels.jsonl").read_text().splitlines()[0])["urgency"] == "high"
    other = next(it for it in build(None, small_corpus).items if it.corpus_key == key)
    assert other.example.urgency == "high"  # without the store: the file's label

    review.set_corpus_labels(store, small_corpus, key, None, "Sam")
    assert labels_in_build() == (*original, original)
    assert review.corpus_correction(store, key) is None

    with pytest.raises(review.ReviewError, match="safeguarding implies urgency 'urgent'"):
        review.set_corpus_labels(store, small_corpus, key, (("send",), "normal", True), "Sam")
    with pytest.raises(review.ReviewError, match="topics must be a list drawn from"):
        review.set_corpus_labels(store, small_corpus, key, (("housing",), "normal", False), "Sam")
    with pytest.raises(review.ReviewError, match="not in the corpus"):
        review.set_corpus_labels(store, small_corpus, "b1/b1-999.eml", original, "Sam")
    assert review.corpus_correction(store, key) is None
    assert labels_in_build() == (*original, original)


# -- 9. the model commands --------------------------------------------------------------------------

def listed(capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    """`triage models list`: version -> state."""
    rows = capsys.readouterr().out.splitlines()[1:]
    return {r.split()[0]: r.split()[1] for r in rows}


def test_model_commands_end_to_end(small_corpus: Path, tmp_path: Path, store: Store,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    import_folder(store, write_messages(tmp_path / "inbox", [
        eml(message_id="<c1@x>", subject="EHCP annual review overdue",
            body="My daughter's EHCP annual review is months overdue and the SENCO is worried."),
        eml(message_id="<c2@x>", subject="Pothole", body="There is a pothole on Mill Lane.")]))
    Triage(store, "Sam").set_topics([row_id(store, "Pothole")], ["tribunal"])

    assert main(["train", "--with-db-labels", "--corpus", str(small_corpus), "--db", store.path]) == 0
    out = capsys.readouterr().out
    assert "on the same 5 folds" in out and "1 office labels" in out and "registered" in out
    version = next(e.version for e in registry.entries(store) if e.origin == "trained")

    assert main(["models", "list", "--db", store.path]) == 0
    assert listed(capsys) == {version: "candidate", SHIPPED: "ACTIVE"}
    assert main(["models", "show", version, "--db", store.path]) == 0
    assert f"model {version} against {SHIPPED}" in capsys.readouterr().out

    assert main(["models", "activate", version, "--db", store.path, "--by", "Kim"]) == 0
    out = capsys.readouterr().out
    assert f"model {version} is active" in out and "reclassified 2 messages" in out
    assert {v for (v,) in store.db.execute("SELECT model_version FROM predictions")} == {version}
    assert main(["models", "list", "--db", store.path]) == 0
    assert listed(capsys) == {version: "ACTIVE", SHIPPED: "previous"}
    assert main(["models", "activate", version, "--db", store.path]) == 1
    assert "already active" in capsys.readouterr().err

    assert main(["models", "discard", version, "--db", store.path]) == 1
    assert "cannot be discarded" in capsys.readouterr().err
    assert main(["models", "discard", SHIPPED, "--db", store.path]) == 0
    capsys.readouterr()
    assert main(["models", "list", "--db", store.path]) == 0
    assert listed(capsys) == {version: "ACTIVE", SHIPPED: "discarded"}
    assert main(["models", "keep", SHIPPED, "--db", store.path]) == 0
    capsys.readouterr()

    assert main(["models", "activate", SHIPPED, "--db", store.path, "--no-classify"]) == 0  # roll back
    capsys.readouterr()
    assert main(["models", "list", "--db", store.path]) == 0
    assert listed(capsys) == {version: "previous", SHIPPED: "ACTIVE"}
    assert main(["models", "activate", "no-such-version", "--db", store.path]) == 1
    assert "no model version" in capsys.readouterr().err
    assert Triage(store, "x").effective(row_id(store, "Pothole"))["topics"] == ["tribunal"]


# -- 10. cancelling ---------------------------------------------------------------------------------

@pytest.mark.parametrize("when", [0.0, 0.72, 0.95])
def test_cancelled_retrain_writes_nothing(small_corpus: Path, store: Store, when: float) -> None:
    """Cancelled at once, after the final fit (while checking what would change), and just
    before saving: no model registered, no file, no label issue."""
    import_folder(store, demo_inbox())
    before = predictions(store)
    stop = {"now": when == 0.0}
    stages: list[float] = []

    def progress(_stage: str, fraction: float) -> None:
        stages.append(fraction)
        if fraction >= when:
            stop["now"] = True

    with pytest.raises(Cancelled):
        retrain(store, actor="Sam", corpus_dir=small_corpus, progress=progress, cancelled=lambda: stop["now"])
    if when:
        assert max(stages) >= when  # it really got that far
    assert [e.version for e in registry.entries(store)] == [SHIPPED]
    assert model_files(store) == shipped_files()
    assert store.db.execute("SELECT count(*) FROM label_issues").fetchone()[0] == 0
    assert registry.active_version(store) == SHIPPED
    assert predictions(store) == before


def test_a_database_moved_without_its_models_folder(store: Store, tmp_path: Path) -> None:
    """The shipped model's copy comes back from the package; a trained one that is missing is
    refused with what to do about it, and rolling back to the shipped one still works."""
    shipped = registry.ensure_shipped(store)
    folder = registry.models_dir(store)
    shutil.rmtree(folder)
    assert registry.active_path(store).exists()  # never activated: the package's own file
    entry = registry.entry(store, shipped)
    registry.verify(entry)
    assert entry.path.exists() and file_sha256(entry.path) == entry.sha256
    # A second version registered, activated, then its file lost.
    other = tmp_path / "other.skops"
    card = read_card(default_model_path())
    shutil.copy(default_model_path(), other)
    store.db.execute("INSERT INTO models (version, origin, created_at, created_by, file_name, file_sha256, card) "
                     "VALUES ('lost-1', 'trained', '2026-01-01', 'Sam', 'model-lost-1.skops', ?, ?)",
                     [card["model_file_sha256"], json.dumps(card)])
    store.db.execute("INSERT INTO model_activations (version, at, actor) VALUES ('lost-1', '2026-01-01', 'Sam')")
    store.db.conn.commit()
    with pytest.raises(registry.RegistryError, match="put the models folder back"):
        registry.active_path(store)
    shutil.rmtree(folder)
    registry.activate(store, shipped, "Sam")
    assert registry.active_version(store) == shipped and registry.active_path(store).exists()


def test_a_label_changed_since_the_check_is_marked(store: Store, tmp_path: Path) -> None:
    from triage.classify.retrain import store_label_issues

    import_folder(store, write_messages(tmp_path / "m", [eml(message_id="<c1@x>", subject="Bins",
                                                             body="The bins were not collected.")]))
    rid = row_id(store, "Bins")
    Triage(store, "Sam").set_topics([rid], ["tribunal"])
    view = {"topics": [], "scores": {"send": 0.0, "tribunal": 0.0, "school_place": 0.0}, "urgency": "low",
            "urgency_scores": {}, "safeguarding": False, "safeguarding_score": 0.0, "confidence": 0.9,
            "deadline": None, "reasons": {}}
    store_label_issues(store, [{"row_id": rid, "corpus_key": None, "subject": "Bins", "sent": "2025-10-14",
                                "field": "topics", "given": {"topic": "tribunal", "applies": True},
                                "suggested": {"topic": "tribunal", "applies": False},
                                "given_probability": 0.01, "model_view": view}], "m")
    [item] = review.items(store, "label_errors")
    assert item.why.startswith("labelled tribunal")
    Triage(store, "Jo").set_topics([rid], [])  # fixed in the inbox meanwhile
    [item] = review.items(store, "label_errors")
    assert item.why.startswith("label changed since the check: labelled tribunal")


def test_interrupted_activation_is_finished_by_classifying_the_rest(store: Store) -> None:
    """What "Classify them now" runs: messages without the active model's prediction get one;
    the rest and every human label are left as they are."""
    from triage.background import activate_task

    import_folder(store, demo_inbox())
    rid = row_id(store, store.db.execute("SELECT subject FROM messages ORDER BY id LIMIT 1").fetchone()[0])
    Triage(store, "Sam").set_topics([rid], ["tribunal"])
    before, human = predictions(store), labels(store)
    with store.write_transaction():  # as if an activation stopped a third of the way through
        store.db.execute("DELETE FROM predictions WHERE message_id % 3 = 0")
    store.refresh_effective()
    missing = len(before) - len(predictions(store))
    assert missing > 0
    seen: list[tuple[str, float]] = []
    done = activate_task(lambda stage, fraction: seen.append((stage, fraction)), lambda: False,
                         db_path=store.path, version=None, actor="Sam")
    assert done == missing  # it wrote only what was missing
    assert predictions(store) == before and labels(store) == human
    assert seen and seen[-1][1] == 1.0
