"""Settings that persist between runs (QSettings): window layout, staff name, procedure text."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QByteArray, QSettings

DEFAULT_SAFEGUARDING_TEXT = (
    "Follow the office safeguarding procedure: if anyone is in immediate danger call 999. "
    "Otherwise phone the constituent back today, tell the office safeguarding lead, and refer "
    "to Calder Vale Children's Front Door (01632 960 000) or Adult Social Care (01632 960 001). "
    "Record what you did as a note on this message."
)


class Settings:
    def __init__(self, qsettings: QSettings | None = None) -> None:
        self.q = qsettings or QSettings()

    def _get(self, key: str, default: Any = None) -> Any:
        value = self.q.value(key, default)
        return default if value is None else value

    @property
    def staff_name(self) -> str:
        return str(self._get("staff/name", ""))

    @staff_name.setter
    def staff_name(self, value: str) -> None:
        self.q.setValue("staff/name", value.strip())

    @property
    def safeguarding_text(self) -> str:
        return str(self._get("safeguarding/procedure", DEFAULT_SAFEGUARDING_TEXT))

    @safeguarding_text.setter
    def safeguarding_text(self, value: str) -> None:
        self.q.setValue("safeguarding/procedure", value.strip() or DEFAULT_SAFEGUARDING_TEXT)

    def layout(self, key: str) -> QByteArray | None:
        value = self.q.value(f"layout/{key}")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_layout(self, key: str, value: QByteArray) -> None:
        self.q.setValue(f"layout/{key}", value)

    def sync(self) -> None:
        self.q.sync()
