"""The message list's model: reports the full row count and reads LIMIT-paged windows of rows
from the store into a small cache, only for the rows being painted. Never the whole table.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from triage.store import Store

PAGE_SIZE = 200
MAX_PAGES = 20

COLUMNS = (
    ("date", "Date"),
    ("sender", "From"),
    ("subject", "Subject"),
    ("status", "Status"),
)

RowIdRole = Qt.ItemDataRole.UserRole + 1

_PAGE_SQL = """
    SELECT id, date, sender_name, sender_address, subject, status
    FROM messages ORDER BY date DESC, id DESC LIMIT ? OFFSET ?
"""


class MessageTableModel(QAbstractTableModel):
    def __init__(self, store: Store, parent: Any = None) -> None:
        super().__init__(parent)
        self.store = store
        self._count = 0
        self._pages: OrderedDict[int, list[tuple[Any, ...]]] = OrderedDict()
        self.reload()

    def reload(self) -> None:
        self.beginResetModel()
        self._pages.clear()
        self._count = self.store.count_messages()
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section][1]
        return None

    def _row(self, row: int) -> tuple[Any, ...] | None:
        page_no = row // PAGE_SIZE
        page = self._pages.get(page_no)
        if page is None:
            page = list(self.store.db.execute(_PAGE_SQL, [PAGE_SIZE, page_no * PAGE_SIZE]))
            self._pages[page_no] = page
            if len(self._pages) > MAX_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(page_no)
        offset = row - page_no * PAGE_SIZE
        return page[offset] if offset < len(page) else None

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < self._count:
            return None
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, RowIdRole):
            return None
        row = self._row(index.row())
        if row is None:
            return None
        row_id, date, name, address, subject, status = row
        if role == RowIdRole:
            return row_id
        key = COLUMNS[index.column()][0]
        if key == "date":
            return date.replace("T", " ")[:16]
        if key == "sender":
            return name or address if role == Qt.ItemDataRole.DisplayRole else f"{name} <{address}>"
        if key == "subject":
            return subject or "(no subject)"
        return status.replace("_", " ")


def attachments_of(record: dict[str, Any]) -> list[tuple[str, str, int]]:
    return [tuple(a) for a in json.loads(record.get("attachments") or "[]")]  # type: ignore[misc]
