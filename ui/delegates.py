"""Painting the list: urgency badges, topic chips and the safeguarding marker."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
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

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        key = COLUMNS[index.column()][0]
        if key not in ("urgency", "tags", "safeguarding"):
            super().paint(painter, option, index)
            return
        # Background and selection as the style draws them, then our shapes on top.
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        font = QFont(option.font)
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        font.setBold(True)
        metrics = QFontMetrics(font)
        height = min(option.rect.height() - 8, metrics.height() + 4)
        top = option.rect.top() + (option.rect.height() - height) / 2
        x = option.rect.left() + 6
        if key == "urgency":
            urgency = index.data(UrgencyRole) or "normal"
            text = urgency.capitalize()
            width = metrics.horizontalAdvance(text) + 16
            _pill(painter, QRectF(x, top, width, height), text, URGENCY_COLOURS[urgency], font,
                  filled=urgency in ("urgent", "high"))
            if index.data(ReviewRole):
                painter.save()
                painter.setPen(QColor(URGENCY_COLOURS["high"]))
                painter.drawText(QRect(int(x + width + 4), option.rect.top(), 14, option.rect.height()),
                                 Qt.AlignmentFlag.AlignVCenter, "?")
                painter.restore()
        elif key == "tags":
            for topic in index.data(TopicsRole) or []:
                text = TOPIC_LABELS[topic]
                width = metrics.horizontalAdvance(text) + 14
                if x + width > option.rect.right():
                    break
                _pill(painter, QRectF(x, top, width, height), text, TOPIC_COLOURS[topic], font, filled=False)
                x += width + 4
        elif key == "safeguarding" and index.data(SafeguardingRole):
            size = min(option.rect.height() - 8, 18)
            rect = QRectF(option.rect.center().x() - size / 2, option.rect.center().y() - size / 2, size, size)
            _pill(painter, rect, "!", SAFEGUARDING_COLOUR, font, filled=True)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> Any:
        hint = super().sizeHint(option, index)
        hint.setHeight(max(hint.height(), 28))
        return hint
