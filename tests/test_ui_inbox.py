"""The inbox, driven through its real widgets with qtbot (offscreen)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import StallMeter
from PySide6.QtCore import QSettings, Qt, QUrl
from PySide6.QtGui import QImage

from triage.actions import Triage
from triage.store import Store
from triage.synth import write_mbox
from ui.jobs import JobRunner
from ui.main_window import MainWindow
from ui.message_model import COLUMN_INDEX, MessageListModel, RowIdRole, SafeguardingRole, TopicsRole, UrgencyRole
from ui.settings import Settings
from triage import views


@pytest.fixture
def store(demo_store: Store) -> Store:
    return demo_store


@pytest.fixture
def settings(ui_settings: Settings) -> Settings:
    return ui_settings


@pytest.fixture
def window(qtbot, store: Store, settings: Settings):  # type: ignore[no-untyped-def]
    jobs = JobRunner()
    win = MainWindow(store, jobs, settings)
    win.show_message_box = lambda title, text: None  # type: ignore[method-assign]
    win.show_import_summary = lambda summary: None  # type: ignore[method-assign]
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


def current_id(win: MainWindow) -> int:
    return int(win.model.data(win.table.currentIndex(), RowIdRole))


def test_first_screen_is_the_inbox_in_priority_order(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    assert window.model.rowCount() == 70
    urgencies = [window.model.index(r, 0).data(UrgencyRole) for r in range(window.model.rowCount())]
    safeguarding = [window.model.index(r, 0).data(SafeguardingRole) for r in range(window.model.rowCount())]
    # Safeguarding first, then urgent, then the rest.
    first_plain = safeguarding.index(False)
    assert all(safeguarding[:first_plain]) and not any(safeguarding[first_plain:])
    assert urgencies[:first_plain] == ["urgent"] * first_plain
    with qtbot.waitSignal(window.counts_updated, timeout=10000) as blocker:
        window.refresh_counts()
    counts = blocker.args[0]
    assert counts["inbox"] == 70 and counts["all"] == 70
    assert window.sidebar.item(0).text().endswith("70")


def test_keyboard_triage_and_undo(qtbot, window: MainWindow, store: Store) -> None:  # type: ignore[no-untyped-def]
    window.table.setFocus()
    window.select_row(3)
    row_id = current_id(window)
    before = Triage(store, "x").effective(row_id)
    qtbot.keyClick(window.table, Qt.Key.Key_2)  # toggle tribunal
    after = Triage(store, "x").effective(row_id)
    assert ("tribunal" in after["topics"]) != ("tribunal" in before["topics"])
    assert after["human"]["topics"]
    qtbot.keyClick(window.table, Qt.Key.Key_L)  # urgency low (clears safeguarding with it)
    assert Triage(store, "x").effective(row_id)["urgency"] == "low"
    event = store.db.execute("SELECT actor, field FROM events ORDER BY id DESC LIMIT 1").fetchone()
    assert event == ("Priya", "urgency")
    qtbot.keyClick(window.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    restored = Triage(store, "x").effective(row_id)
    assert restored["topics"] == before["topics"] and restored["urgency"] == before["urgency"]


def test_done_leaves_the_inbox_and_j_k_move(qtbot, window: MainWindow, store: Store) -> None:  # type: ignore[no-untyped-def]
    window.table.setFocus()
    window.select_row(0)
    qtbot.keyClick(window.table, Qt.Key.Key_J)
    assert window.table.currentIndex().row() == 1
    qtbot.keyClick(window.table, Qt.Key.Key_K)
    assert window.table.currentIndex().row() == 0
    done_id = current_id(window)
    qtbot.keyClick(window.table, Qt.Key.Key_E)
    assert window.model.rowCount() == 69
    assert current_id(window) != done_id  # the next message is selected, ready for the next key
    assert store.db.execute("SELECT status FROM messages WHERE id = ?", [done_id]).fetchone() == ("done",)
    window.sidebar.setCurrentRow(list(views.VIEWS).index("done"))
    assert window.model.rowCount() == 1 and current_id(window) == done_id
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_R)  # reopen: it leaves Done
    assert window.model.rowCount() == 0
    assert store.db.execute("SELECT status FROM messages WHERE id = ?", [done_id]).fetchone() == ("new",)


def test_bulk_apply_to_a_multi_selection(qtbot, window: MainWindow, store: Store) -> None:  # type: ignore[no-untyped-def]
    window.table.setFocus()
    window.select_row(10)
    for _ in range(3):
        qtbot.keyClick(window.table, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    ids = window.selected_ids()
    assert len(ids) == 4
    qtbot.keyClick(window.table, Qt.Key.Key_H)
    assert {Triage(store, "x").effective(i)["urgency"] for i in ids} == {"high"}
    window.undo()
    assert store.db.execute("SELECT count(*) FROM labels").fetchone()[0] == 0


def test_first_action_asks_the_staff_name_once(qtbot, store: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(QSettings(str(tmp_path / "fresh.ini"), QSettings.Format.IniFormat))
    jobs = JobRunner()
    win = MainWindow(store, jobs, settings)
    qtbot.addWidget(win)
    asked: list[str] = []
    win.ask_text = lambda title, label: asked.append(title) or "Sam"  # type: ignore[method-assign]
    win.show()
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow)
    win.select_row(0)
    win.table.setFocus()
    qtbot.keyClick(win.table, Qt.Key.Key_I)
    qtbot.keyClick(win.table, Qt.Key.Key_W)
    assert asked == ["Who are you?"]
    assert settings.staff_name == "Sam"
    assert {r[0] for r in store.db.execute("SELECT actor FROM events")} == {"Sam"}
    jobs.shutdown()


def test_search_is_debounced_and_combines_with_the_view(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClick(window, Qt.Key.Key_Slash)
    assert window.search.hasFocus()
    qtbot.keyClicks(window.search, '"tribunal hearing"')
    assert window.model.rowCount() == 70  # not yet: the search waits for typing to pause
    qtbot.waitUntil(lambda: window.model.rowCount() < 70, timeout=3000)
    found = window.model.rowCount()
    assert 0 < found < 10
    for r in range(found):
        rid = window.model.index(r, 0).data(RowIdRole)
        rec = window.store.message(rid)
        assert "tribunal hearing" in (rec["subject"] + " " + rec["body_text"]).lower().replace("\n", " ")
    window.sidebar.setCurrentRow(list(views.VIEWS).index("school_place"))
    assert window.model.rowCount() <= found
    qtbot.keyClick(window.search, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.model.rowCount() > found, timeout=3000)


def test_views_filter_by_effective_labels(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.sidebar.setCurrentRow(list(views.VIEWS).index("safeguarding"))
    n = window.model.rowCount()
    assert n >= 2
    assert all(window.model.index(r, 0).data(SafeguardingRole) for r in range(n))
    window.sidebar.setCurrentRow(list(views.VIEWS).index("tribunal"))
    assert all("tribunal" in window.model.index(r, 0).data(TopicsRole) for r in range(window.model.rowCount()))
    window.sort_box.setCurrentIndex(window.sort_box.findData("date_desc"))
    dates = [window.model.index(r, COLUMN_INDEX["date"]).data() for r in range(window.model.rowCount())]
    assert dates == sorted(dates, reverse=True)


def test_reading_pane_explains_and_shows_the_safeguarding_banner(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.sidebar.setCurrentRow(list(views.VIEWS).index("safeguarding"))
    window.select_row(0)
    assert window.reader.banner.isVisible()
    assert "SAFEGUARDING" in window.reader.banner.text()
    assert "Follow the office safeguarding procedure" in window.reader.banner.text()
    assert "Why" in window.reader.explanation.text() and "confidence" in window.reader.explanation.text()
    html = window.reader.body.toHtml().replace(" ", "")
    assert "background-color:#ffcdd2" in html or "background-color:#fff3a0" in html


def test_html_mail_is_shown_with_remote_content_blocked(qtbot, window: MainWindow, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    opened: list[QUrl] = []
    monkeypatch.setattr("ui.main_window.QDesktopServices.openUrl", lambda url: opened.append(url) or True)
    row = window.store.db.execute(
        "SELECT m.id FROM messages m JOIN raw_sources r ON r.message_id = m.id "
        "WHERE m.has_html = 1 AND m.subject LIKE 'November update%' LIMIT 1").fetchone()
    assert row is not None
    window.show_message(row[0])
    assert window.reader.remote_notice.isVisible()
    shown = window.reader.body.toHtml()
    assert 'src="https://track.example.com' not in shown and 'src="http' not in shown
    # The sanitiser already took the remote sources out: nothing remote was even asked for.
    assert not [u for u in window.reader.body.blocked if u.startswith(("http", "//", "ftp"))]
    # The second wall: anything that does ask for a resource is refused and recorded.
    browser = window.reader.body
    browser.setHtml('<p>Hi</p><img src="https://track.example.com/p.gif"><img src="http://x.example/a.png">')
    browser.grab()  # lay out and paint: Qt asks for the images now
    assert "https://track.example.com/p.gif" in browser.blocked
    assert browser.loadResource(2, QUrl("https://evil.example/")) is None
    # Links open only after a yes.
    window.confirm = lambda title, text: False  # type: ignore[method-assign]
    window.open_link(QUrl("https://example.org/page"))
    assert opened == []
    window.confirm = lambda title, text: True  # type: ignore[method-assign]
    window.open_link(QUrl("https://example.org/page"))
    assert opened == [QUrl("https://example.org/page")]
    window.open_link(QUrl("file:///etc/passwd"))
    assert len(opened) == 1


def test_attachment_saved_from_the_original(qtbot, window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    row = window.store.db.execute("SELECT id FROM messages WHERE attachments != '[]' ORDER BY id LIMIT 1").fetchone()
    window.show_message(row[0])
    target = tmp_path / "saved.bin"
    window.ask_save_path = lambda name: str(target)  # type: ignore[method-assign]
    window.handle_attachment(0, "save")
    assert target.exists() and target.stat().st_size > 0


def test_import_with_progress_cancel_and_resume(qtbot, window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mbox = tmp_path / "big.mbox"
    write_mbox(mbox, 20000)  # in one process: long enough to cancel on any machine
    job = window.start_import([mbox], classify=False, workers=1)
    assert job is not None and window.cancel_button.isVisible()
    qtbot.waitUntil(lambda: window.progress.value() > 0, timeout=30000)
    with qtbot.waitSignal(window.import_finished, timeout=60000) as blocker:
        qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    summary = blocker.args[0]
    assert summary.cancelled and 0 < summary.imported < 20000
    assert not window.progress.isVisible()
    with qtbot.waitSignal(window.import_finished, timeout=120000) as blocker:
        window.start_import([mbox], classify=False)
    assert blocker.args[0].imported + summary.imported == 20000
    window.sidebar.setCurrentRow(list(views.VIEWS).index("all"))
    assert window.model.rowCount() == 20070
    # A search with many matches shows its first page at once; the count follows from the pool.
    full = views.count(window.store, views.Query(view="all", search="tribunal"))
    assert full > 1000
    with qtbot.waitSignal(window.model.count_changed, timeout=30000):
        window.search.setText("tribunal")
        window.apply_query()
        assert window.model.rowCount() == 200
    assert window.model.rowCount() == full
    qtbot.waitUntil(lambda: window.count_label.text() == f"{full:,} messages", timeout=5000)


def test_list_model_passes_qtmodeltester(qtmodeltester, store: Store) -> None:  # type: ignore[no-untyped-def]
    model = MessageListModel(store, views.Query(view="all"))
    qtmodeltester.check(model)
    model.set_query(views.Query(view="send", sort="deadline", search="ehcp"))
    qtmodeltester.check(model)


def test_a_reload_during_an_import_counts_in_the_background(qtbot, store: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """While an import adds rows, the list keeps its count and takes the new one from the pool:
    counting a large store on the GUI thread stalled the window."""
    from triage.pipeline import import_paths

    asked: list = []
    model = MessageListModel(store, views.Query(view="all"), count_later=lambda q, done: asked.append(done))
    before = model.rowCount()
    assert before > 0
    folder = tmp_path / "more"
    folder.mkdir()
    for i in range(3):
        (folder / f"{i}.eml").write_bytes(
            f"From: a@example.org\nSubject: extra {i}\nMessage-ID: <extra{i}@example.org>\n"
            "Date: Mon, 2 Mar 2026 10:00:00 +0000\n\nbody\n".encode())
    assert import_paths(store, [folder], classifier=None).imported == 3
    with qtbot.waitSignal(model.modelReset):
        model.reload(count_in_background=True)
    assert model.rowCount() == before and len(asked) == 1  # nothing counted here
    with qtbot.waitSignal(model.rowsInserted), qtbot.waitSignal(model.count_changed) as changed:
        asked[0](views.count(store, views.Query(view="all")))  # the pool's answer arrives
    assert model.rowCount() == before + 3 == changed.args[0]
    subjects = {model.data(model.index(r, COLUMN_INDEX["subject"])) for r in range(model.rowCount())}
    assert {"extra 0", "extra 1", "extra 2"} <= subjects


def test_layout_and_settings_persist(qtbot, store: Store, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    jobs = JobRunner()
    first = MainWindow(store, jobs, settings)
    qtbot.addWidget(first)
    first.table.horizontalHeader().resizeSection(COLUMN_INDEX["sender"], 233)
    first.resize(700, 500)  # the offscreen screen is 800 x 600
    first.close()
    second = MainWindow(store, jobs, settings)
    qtbot.addWidget(second)
    assert second.table.horizontalHeader().sectionSize(COLUMN_INDEX["sender"]) == 233
    assert second.size().width() == 700
    assert second.settings.staff_name == "Priya"
    jobs.shutdown()


def test_main_window_renders_to_a_non_blank_png(qtbot, window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window.resize(1440, 900)
    window.select_row(0)
    image = window.grab().toImage()
    path = tmp_path / "inbox.png"
    assert image.save(str(path))
    loaded = QImage(str(path))
    colours = {loaded.pixel(x, y) for x in range(0, loaded.width(), 7) for y in range(0, loaded.height(), 7)}
    assert loaded.width() >= 1000 and len(colours) > 50


@pytest.mark.slow
def test_window_stays_responsive_during_a_100000_message_import(qtbot, window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mbox = tmp_path / "huge.mbox"
    write_mbox(mbox, 100_000)
    with StallMeter() as meter, qtbot.waitSignal(window.import_finished, timeout=900_000) as blocker:
        window.start_import([mbox], classify=False)
    assert blocker.args[0].imported == 100_000
    assert len(meter.gaps) > 100
    print(f"longest stall {meter.longest * 1000:.0f} ms")
    assert meter.longest < 0.100, f"longest stall {meter.longest * 1000:.0f} ms"


def test_dropping_files_starts_an_import(qtbot, window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QMimeData, QPointF
    from PySide6.QtGui import QDropEvent

    from conftest import eml

    (tmp_path / "dropped.eml").write_bytes(eml(message_id="<dropped@x>", subject="Dropped in"))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "dropped.eml"))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.import_finished, timeout=60000) as blocker:
        window.dropEvent(event)
    assert blocker.args[0].imported == 1
    assert window.store.db.execute("SELECT subject FROM messages WHERE message_id = '<dropped@x>'").fetchone() == ("Dropped in",)


def test_light_and_dark_palettes_differ_and_read_well() -> None:
    from PySide6.QtGui import QPalette

    from ui.theme import palette

    light, dark = palette(False), palette(True)
    role = QPalette.ColorRole
    assert light.color(role.Base).lightness() > 200 and dark.color(role.Base).lightness() < 60
    for p in (light, dark):
        # Text and its background far apart in lightness: readable in both schemes.
        assert abs(p.color(role.Text).lightness() - p.color(role.Base).lightness()) > 150
