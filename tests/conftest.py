"""Shared fixtures. Qt runs offscreen by default; every test that starts pool jobs must finish them."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).parent))  # tests/ helpers (msgfile)

from triage.store import Store  # noqa: E402


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three batches of the labelled corpus: enough to train on in a few seconds."""
    import shutil

    root = tmp_path_factory.mktemp("corpus")
    for batch in ("b1", "b3", "b4"):
        shutil.copytree(ROOT / "models" / "corpus" / batch, root / batch)
    return root


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo inbox imported and classified by the shipped model (copy it before changing it)."""
    from triage.classify import ModelRef, active_model_path
    from triage.paths import demo_inbox
    from triage.pipeline import import_paths

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    with Store.open(path) as store:
        import_paths(store, [demo_inbox()], classifier=ModelRef(str(active_model_path())))
    return path


@pytest.fixture
def demo_store(demo_db: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A fresh copy of the classified demo inbox, for a test to change."""
    import shutil

    target = tmp_path / "demo-copy.db"
    shutil.copy(demo_db, target)
    s = Store.open(target)
    yield s
    s.close()


@pytest.fixture
def ui_settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Settings in a file of the test's own, signed in as Priya."""
    from PySide6.QtCore import QSettings

    from ui.settings import Settings

    s = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    s.staff_name = "Priya"
    return s


@pytest.fixture
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Apart from tmp_path, so a test that imports tmp_path never meets the database itself.
    return tmp_path_factory.mktemp("db") / "triage.db"


@pytest.fixture
def store(db_path: Path):  # type: ignore[no-untyped-def]
    s = Store.open(db_path)
    yield s
    s.close()


def eml(
    *,
    subject: str = "Hello",
    body: str = "Body text",
    sender: str = "Jo Bloggs <jo@example.org>",
    date: str | None = "Tue, 14 Oct 2025 09:12:44 +0100",
    message_id: str | None = "<m1@example.org>",
    extra_headers: str = "",
    content_type: str = 'text/plain; charset="utf-8"',
    encoding: str = "8bit",
) -> bytes:
    lines = [f"From: {sender}", "To: Helen Marsh MP <casework@helenmarsh-mp.org.uk>",
             f"Subject: {subject}"]
    if date is not None:
        lines.append(f"Date: {date}")
    if message_id is not None:
        lines.append(f"Message-ID: {message_id}")
    lines += ["MIME-Version: 1.0", f"Content-Type: {content_type}",
              f"Content-Transfer-Encoding: {encoding}"]
    head = "\n".join(lines) + ("\n" + extra_headers.strip("\n") if extra_headers else "")
    return (head + "\n\n" + body).encode("utf-8")


@pytest.fixture(autouse=True)
def no_leftover_pool_jobs():  # type: ignore[no-untyped-def]
    """napari-style: a test must not leave thread-pool work running behind it."""
    yield
    if "PySide6.QtCore" in sys.modules:
        from PySide6.QtCore import QThreadPool

        pool = QThreadPool.globalInstance()
        if pool.activeThreadCount():
            finished = pool.waitForDone(10000)
            assert finished, "a test left thread-pool jobs running"
            pytest.fail("a test left thread-pool jobs running (they finished only after it)")


class StallMeter:
    """How long the Qt event loop goes without running a 10 ms timer, while a block runs.

        with StallMeter() as meter:
            ...  # start work and wait for it with qtbot
        assert meter.longest < 0.1
    """

    def __init__(self) -> None:
        self.gaps: list[float] = []
        self._last = 0.0
        self._timer = None

    def _tick(self) -> None:
        import time

        now = time.perf_counter()
        self.gaps.append(now - self._last)
        self._last = now

    def __enter__(self) -> "StallMeter":
        import time

        from PySide6.QtCore import QTimer

        self._timer = QTimer()
        self._timer.setInterval(10)
        self._timer.timeout.connect(self._tick)
        self._last = time.perf_counter()
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._timer is not None
        self._timer.stop()

    @property
    def longest(self) -> float:
        return max(self.gaps)
