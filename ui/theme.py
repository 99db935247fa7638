"""A light and a dark palette (Fusion), following the system's colour scheme as it changes."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

LIGHT = {
    "window": "#f4f5f7", "base": "#ffffff", "alternate": "#f7f8fa", "text": "#1f2329",
    "button": "#eceef1", "highlight": "#2f6fde", "highlighted": "#ffffff", "mid": "#8a9099",
    "tooltip": "#ffffe8", "link": "#1d5fc9",
}
DARK = {
    "window": "#1e2024", "base": "#25282d", "alternate": "#2b2e34", "text": "#e6e8eb",
    "button": "#2f3238", "highlight": "#3d7bea", "highlighted": "#ffffff", "mid": "#8f96a0",
    "tooltip": "#2f3238", "link": "#7fb0ff",
}


def is_dark() -> bool:
    hints = QGuiApplication.styleHints()
    return bool(hints.colorScheme() == Qt.ColorScheme.Dark)


def palette(dark: bool) -> QPalette:
    c = {k: QColor(v) for k, v in (DARK if dark else LIGHT).items()}
    p = QPalette()
    role = QPalette.ColorRole
    p.setColor(role.Window, c["window"])
    p.setColor(role.WindowText, c["text"])
    p.setColor(role.Base, c["base"])
    p.setColor(role.AlternateBase, c["alternate"])
    p.setColor(role.Text, c["text"])
    p.setColor(role.Button, c["button"])
    p.setColor(role.ButtonText, c["text"])
    p.setColor(role.Highlight, c["highlight"])
    p.setColor(role.HighlightedText, c["highlighted"])
    p.setColor(role.Mid, c["mid"])
    p.setColor(role.PlaceholderText, c["mid"])
    p.setColor(role.ToolTipBase, c["tooltip"])
    p.setColor(role.ToolTipText, c["text"])
    p.setColor(role.Link, c["link"])
    for group in (QPalette.ColorGroup.Disabled,):
        p.setColor(group, role.Text, c["mid"])
        p.setColor(group, role.ButtonText, c["mid"])
        p.setColor(group, role.WindowText, c["mid"])
    return p


def apply(app: QApplication, dark: bool | None = None) -> None:
    app.setStyle("Fusion")
    app.setPalette(palette(is_dark() if dark is None else dark))


def follow_system(app: QApplication) -> None:
    """Apply now and again whenever the system switches between light and dark."""
    apply(app)
    QGuiApplication.styleHints().colorSchemeChanged.connect(lambda _scheme: apply(app))
