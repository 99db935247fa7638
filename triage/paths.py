"""Where data lives: the platform's user data folder, unless --db or TRIAGE_DB say otherwise."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "triage-desk"


def data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def default_db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        return Path(explicit)
    env = os.environ.get("TRIAGE_DB")
    if env:
        return Path(env)
    return data_dir() / "triage.db"


def demo_inbox() -> Path:
    return Path(__file__).parent / "demo" / "inbox"
