"""The message list's model: it reports the view's full row count and reads LIMIT-paged
windows of rows from the store into a small cache, only for the rows being painted. Never the
whole table (Anki's browser and the 1,000,000-row measurements in the inbox issue).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from triage import views
from triage.store import Store, topics_of

PAGE_SIZE = 200
MAX_PAGES = 16

# (key, header, default width)
COLUMNS = (
    ("urgency", "Urgency", 88),
    ("tags", "Tags", 150),
    ("safeguarding", "", 30),
    ("sender", "From", 150),
    ("subject", "Subject", 300),
    ("date", "Received", 112),
    ("status", "Status", 100),
    ("assignee", "Assigned", 80),
    ("deadline", "Deadline", 86),
)
COLUMN_INDEX = {key: i for i, (key, _h, _w) in enumerate(COLUMNS)}

RowIdRole = Qt.ItemDataRole.UserRole + 1
UrgencyRole = Qt.ItemDataRole.UserRole + 2  # "urgent" / "high" / "normal" / "low"
TopicsRole = Qt.ItemDataRole.UserRole + 3  # list of topic names
SafeguardingRole = Qt.ItemDataRole.UserRole + 4  # bool
ReviewRole = Qt.ItemDataRole.UserRole + 5  # bool: needs review

TOPIC_LABELS = {"send": "SEND", "tribunal": "Tribunal", "school_place": "School place"}
STATUS_LABELS = {"new": "New", "in_progress": "In progress", "awaiting_reply": "Awaiting reply",
                 "done": "Done"}
_FIELD = {name: i for i, name in enumerate(views.LIST_COLUMNS)}


class MessageListModel(QAbstractTableModel):
    count_changed = Signal(int)

    def __init__(self, store: Store, query: views.Query | None = None, parent: Any = None,
                 count_later: Callable[[views.Query, Callable[[int], None]], None] | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.query = query or views.Query()
        self.count_later = count_later
        self._generation = 0
        self._count = 0
        self._pages: OrderedDict[int, list[tuple[Any, ...]]] = OrderedDict()
        self.error: str | None = None
        self.reload()

    # -- what is shown -------------------------------------------------------------------------

    def set_query(self, query: views.Query) -> None:
        self.query = query
        self.reload()

    def reload(self, *, count_in_background: bool = False) -> None:
        """Re-read the count and drop cached rows (after an import or a change). A search's
        count can take a few hundred milliseconds on a large store: with a `count_later`
        hook the first page is shown at once and the rest of the rows arrive with the count.
        `count_in_background` (an import is adding rows, or a re-classification moving them
        between views): keep the current count until the new one, counted in the pool, arrives;
        counting 100,000 rows here stalled the window during an import."""
        self.beginResetModel()
        self._pages.clear()
        self._generation += 1
        try:
            if count_in_background and self.count_later is not None and self._count > 0:
                generation = self._generation
                self.count_later(self.query, lambda n: self._counted(generation, n))
            elif self.count_later is not None and views.fts_query(self.query.search):
                first = views.page(self.store, self.query, 0, PAGE_SIZE)
                self._pages[0] = first
                self._count = len(first)
                if len(first) == PAGE_SIZE:
                    generation = self._generation
                    self.count_later(self.query, lambda n: self._counted(generation, n))
            else:
                self._count = views.count(self.store, self.query)
            self.error = None
        except views.QueryError as exc:
            self._count, self.error = 0, str(exc)
        self.endResetModel()

    def _counted(self, generation: int, total: int) -> None:
        """The full count of a search arrived: grow the list (if nothing changed since)."""
        if generation != self._generation or total == self._count:
            return
        if total > self._count:
            self.beginInsertRows(QModelIndex(), self._count, total - 1)
            self._count = total
            self.endInsertRows()
        else:
            self.beginRemoveRows(QModelIndex(), total, self._count - 1)
            self._count = total
            self.endRemoveRows()
        self.count_changed.emit(total)

    def refresh_rows(self) -> None:
        """Cheap refresh after a triage action: cached rows re-read when painted; the count
        re-read now, or for a search in the background (it may take a moment)."""
        if self.count_later is not None and views.fts_query(self.query.search) and self._count >= PAGE_SIZE:
            self._pages.clear()
            self._generation += 1
            generation = self._generation
            self.dataChanged.emit(self.index(0, 0), self.index(self._count - 1, len(COLUMNS) - 1))
            self.count_later(self.query, lambda n: self._counted(generation, n))
            return
        new_count = views.count(self.store, self.query)
        if new_count != self._count:
            self.reload()
            return
        self._pages.clear()
        if self._count:
            self.dataChanged.emit(self.index(0, 0), self.index(self._count - 1, len(COLUMNS) - 1))

    def row_id(self, row: int) -> int | None:
        record = self._record(row)
        return int(record[_FIELD["id"]]) if record else None

    def row_of(self, row_id: int, near: int = 0) -> int | None:
        """Where a message is now, looking only in the pages around where it was: after an
        import lands, the selection usually moved by at most a page."""
        centre = max(0, near) // PAGE_SIZE
        for page_no in (centre, centre - 1, centre + 1, 0):
            if page_no < 0 or page_no * PAGE_SIZE >= self._count:
                continue
            for offset, record in enumerate(self._page(page_no)):
                if record[_FIELD["id"]] == row_id:
                    return page_no * PAGE_SIZE + offset
        return None

    # -- Qt model API -------------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            if role == Qt.ItemDataRole.DisplayRole:
                return COLUMNS[section][1]
            if role == Qt.ItemDataRole.ToolTipRole and COLUMNS[section][0] == "safeguarding":
                return "Safeguarding"
        return None

    def _page(self, page_no: int) -> list[tuple[Any, ...]]:
        page = self._pages.get(page_no)
        if page is None:
            page = views.page(self.store, self.query, page_no * PAGE_SIZE, PAGE_SIZE)
            self._pages[page_no] = page
            if len(self._pages) > MAX_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(page_no)
        return page

    def _record(self, row: int) -> tuple[Any, ...] | None:
        if not 0 <= row < self._count:
            return None
        page = self._page(row // PAGE_SIZE)
        offset = row % PAGE_SIZE
        return page[offset] if offset < len(page) else None

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        record = self._record(index.row())
        if record is None:
            return None
        key = COLUMNS[index.column()][0]
        if role == RowIdRole:
            return int(record[_FIELD["id"]])
        if role == UrgencyRole:
            return views.URGENCY_NAMES[record[_FIELD["eff_urgency"]]]
        if role == TopicsRole:
            return topics_of(record[_FIELD["eff_topics"]])
        if role == SafeguardingRole:
            return bool(record[_FIELD["eff_safeguarding"]])
        if role == ReviewRole:
            return bool(record[_FIELD["needs_review"]])
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(key, record)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(key, record)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._tooltip(key, record) or self._display(key, record)
        return None

    def _display(self, key: str, r: tuple[Any, ...]) -> str:
        if key == "urgency":
            return views.URGENCY_NAMES[r[_FIELD["eff_urgency"]]].capitalize()
        if key == "tags":
            return ", ".join(TOPIC_LABELS[t] for t in topics_of(r[_FIELD["eff_topics"]]))
        if key == "safeguarding":
            return "!" if r[_FIELD["eff_safeguarding"]] else ""
        if key == "sender":
            return r[_FIELD["sender_name"]] or r[_FIELD["sender_address"]]
        if key == "subject":
            return r[_FIELD["subject"]] or "(no subject)"
        if key == "date":
            return str(r[_FIELD["date"]]).replace("T", " ")[:16]
        if key == "status":
            return STATUS_LABELS.get(r[_FIELD["status"]], r[_FIELD["status"]])
        if key == "assignee":
            return r[_FIELD["assignee"]] or ""
        if key == "deadline":
            return r[_FIELD["deadline"]] or ""
        return ""

    def _tooltip(self, key: str, r: tuple[Any, ...]) -> str:
        if key == "sender":
            return f"{r[_FIELD['sender_name']]} <{r[_FIELD['sender_address']]}>"
        if key == "safeguarding" and r[_FIELD["eff_safeguarding"]]:
            return "Safeguarding concern"
        if key == "urgency" and r[_FIELD["confidence"]] is not None:
            review = " — needs review" if r[_FIELD["needs_review"]] else ""
            return f"Model confidence {r[_FIELD['confidence']]:.0%}{review}"
        if key == "subject":
            return r[_FIELD["subject"]]
        return ""
