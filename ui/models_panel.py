"""The Training page's model registry: every version with its figures, the side-by-side
comparison of a candidate with the model it was measured against, and the buttons to
retrain, activate (or roll back to), keep, discard, export and import."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QUrl, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QPushButton, QSplitter, QTableView,
    QVBoxLayout, QWidget,
)

from triage.classify.metrics import ORDER
from triage.store import TOPICS

from .list_model import ListTableModel
from .message_model import TOPIC_LABELS
from .reader import SafeTextBrowser

if TYPE_CHECKING:  # the registry pulls in the model's modules: not needed to draw the window
    from triage.classify.registry import ModelEntry

RED = "#c62828"
GREEN = "#2e7d32"
COLUMNS = ("Version", "State", "Origin", "Trained", "By", "Messages", "Topic F1", "Urgency exact",
           "Safeguarding recall", "Notes")


def state_of(e: ModelEntry) -> str:
    if e.active:
        return "Active"
    if e.discarded:
        return "Discarded"
    return "Previously active" if e.ever_active else "Candidate"


def _pct(value: Any) -> str:
    return f"{value:.1%}" if isinstance(value, (int, float)) else "—"


class ModelListModel(ListTableModel):
    """The registry's versions (a handful: held in full)."""

    HEADERS = COLUMNS

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        e = self.row_at(index)
        if e is None:
            return None
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(e, col)
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == 9 and e.safeguarding_regression:
                return QColor(RED)
            if e.discarded:
                return QColor("gray")
        if role == Qt.ItemDataRole.FontRole and e.active:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.UserRole:
            return e.version
        return None

    @staticmethod
    def _text(e: ModelEntry, col: int) -> str:
        if col == 0:
            return e.version
        if col == 1:
            return state_of(e)
        if col == 2:
            return {"shipped": "Shipped", "trained": "Trained here", "imported": "Imported"}[e.origin]
        if col == 3:
            return str(e.card.get("trained_at") or e.created_at)[:16].replace("T", " ")
        if col == 4:
            return str(e.card.get("trained_by") or e.created_by)
        if col == 5:
            n = e.metric("training_messages")
            return f"{n:,}" if isinstance(n, int) else "—"
        if col == 6:
            return _pct(e.metric("topic_macro_f1"))
        if col == 7:
            return _pct(e.metric("urgency_exact"))
        if col == 8:
            return _pct(e.metric("safeguarding", "recall"))
        notes = []
        if e.safeguarding_regression:
            notes.append("misses safeguarding cases")
        if e.comparison:
            notes.append(f"{e.comparison['changes']['counts']['any']:,} messages would change")
        return "; ".join(notes)


class ModelsPanel(QWidget):
    """Widgets only: the Training page runs the jobs behind the buttons."""

    open_message = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ModelListModel(self)
        self.table = QTableView()
        self.table.setObjectName("modelList")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._selected())

        self.retrain_button = QPushButton("Retrain with the office's labels")
        self.activate_button = QPushButton("Activate")
        self.discard_button = QPushButton("Discard")
        self.keep_button = QPushButton("Keep as candidate")
        self.export_button = QPushButton("Export…")
        self.import_button = QPushButton("Import…")
        buttons = QHBoxLayout()
        for b in (self.retrain_button, self.activate_button, self.keep_button, self.discard_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.import_button)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.status.setOpenExternalLinks(False)

        self.report = SafeTextBrowser()
        self.report.setObjectName("comparison")
        self.report.anchorClicked.connect(self._link)
        split = QSplitter(Qt.Orientation.Vertical)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.status)
        top_layout.addLayout(buttons)
        top_layout.addWidget(self.table)
        split.addWidget(top)
        split.addWidget(self.report)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(split)
        self._selected()

    def set_entries(self, entries: list[ModelEntry], select: str | None = None) -> None:
        keep = select or self.current_version()
        self.model.set_rows(entries)
        versions = [e.version for e in entries]
        row = versions.index(keep) if keep in versions else (0 if versions else -1)
        if row >= 0:
            self.table.selectRow(row)
        self._selected()

    def current(self) -> ModelEntry | None:
        entry: ModelEntry | None = self.model.row_at(self.table.currentIndex())
        return entry

    def current_version(self) -> str | None:
        e = self.current()
        return e.version if e else None

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._selected()

    def _selected(self) -> None:
        e = self.current()
        busy = getattr(self, "_busy", False)
        self.retrain_button.setEnabled(not busy)
        self.import_button.setEnabled(not busy)
        self.activate_button.setEnabled(bool(e and not e.active) and not busy)
        self.activate_button.setText("Roll back to this version" if e and e.ever_active and not e.active
                                     else "Activate")
        self.keep_button.setEnabled(bool(e and e.discarded) and not busy)
        self.discard_button.setEnabled(bool(e and not e.active and not e.discarded) and not busy)
        self.export_button.setEnabled(e is not None and not busy)
        active = next((x for x in self.model.rows if x.active), None)
        self.report.setHtml(comparison_html(e, active) if e else "<p>No model selected.</p>")

    def _link(self, url: QUrl) -> None:
        if url.scheme() == "msg":
            self.open_message.emit(int(url.path() or url.host()))


# -- the report -------------------------------------------------------------------------------

LEGEND = ("<p style='color:gray'><b>Precision</b>: of the messages the model tagged, the share that "
          "deserved the tag. <b>Recall</b>: of the messages that deserved the tag, the share it caught. "
          "<b>F1</b> combines the two. For safeguarding, recall matters most: a missed case is the "
          "costly mistake.</p>")


def _delta(a: Any, b: Any) -> str:
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
        return ""
    d = b - a
    if abs(d) < 0.0005:
        return "<span style='color:gray'>same</span>"
    colour = GREEN if d > 0 else RED
    return f"<span style='color:{colour}'>{'▲' if d > 0 else '▼'} {abs(d):.1%}</span>"


def _metric_rows(a: dict[str, Any] | None, b: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    def g(r: dict[str, Any] | None, *keys: str) -> Any:
        value: Any = r
        for k in keys:
            value = value.get(k) if isinstance(value, dict) else None
        return value

    rows: list[tuple[str, Any, Any]] = []
    for t in TOPICS:
        for m in ("precision", "recall", "f1"):
            rows.append((f"{TOPIC_LABELS[t]} {m if m != 'f1' else 'F1'}", g(a, "topics", t, m), g(b, "topics", t, m)))
    rows += [("Topics, macro-F1", g(a, "topic_macro_f1"), g(b, "topic_macro_f1")),
             ("All three topics right", g(a, "exact_set_accuracy"), g(b, "exact_set_accuracy")),
             ("Urgency exactly right", g(a, "urgency_exact"), g(b, "urgency_exact")),
             ("Urgency within one level", g(a, "urgency_within_one"), g(b, "urgency_within_one")),
             ("Urgent messages caught", g(a, "urgent_recall"), g(b, "urgent_recall")),
             ("Safeguarding recall", g(a, "safeguarding", "recall"), g(b, "safeguarding", "recall")),
             ("Safeguarding precision", g(a, "safeguarding", "precision"), g(b, "safeguarding", "precision"))]
    return rows


def _table(rows: list[tuple[str, Any, Any]], left: str, right: str) -> str:
    out = [f"<table cellspacing=0 cellpadding=4 style='border-collapse:collapse'><tr><th align=left>Measure</th>"
           f"<th align=right>{html.escape(left)}</th><th align=right>{html.escape(right)}</th><th>Change</th></tr>"]
    for name, a, b in rows:
        bold = " style='font-weight:600'" if "Safeguarding recall" in name or "macro" in name else ""
        out.append(f"<tr{bold}><td>{name}</td><td align=right>{_pct(a)}</td><td align=right>{_pct(b)}</td>"
                   f"<td>{_delta(a, b)}</td></tr>")
    return "".join(out) + "</table>"


def _confusion(table: dict[str, dict[str, int]], classes: list[str]) -> str:
    head = "".join(f"<th>{c}</th>" for c in classes)
    rows = []
    for truth in classes:
        cells = []
        for pred in classes:
            n = table.get(truth, {}).get(pred, 0)
            style = "background:#e8f5e9" if truth == pred else ("background:#ffebee" if n else "")
            cells.append(f"<td align=right style='{style}'>{n}</td>")
        rows.append(f"<tr><th align=left>{truth}</th>{''.join(cells)}</tr>")
    return (f"<table cellspacing=0 cellpadding=3 border=1 style='border-collapse:collapse'>"
            f"<tr><th>label ↓ / model →</th>{head}</tr>{''.join(rows)}</table>")


def _confusions(a: dict[str, Any] | None, b: dict[str, Any], left: str, right: str) -> str:
    parts = ["<h3>Confusion matrices</h3><p style='color:gray'>Rows: the label. Columns: what the "
             "model said. Green: agreed.</p><table cellpadding=6>"]
    labels = [(TOPIC_LABELS[t], "yes_no_confusion", t, ["yes", "no"]) for t in TOPICS]
    labels.append(("Safeguarding", "yes_no_confusion", "safeguarding", ["yes", "no"]))
    labels.append(("Urgency", "urgency_confusion", None, list(reversed(ORDER))))
    for name, key, sub, classes in labels:
        def pick(r: dict[str, Any] | None) -> str:
            if not r or key not in r:
                return "<i>not recorded</i>"
            t = r[key][sub] if sub else r[key]
            return _confusion(t, classes)
        parts.append(f"<tr><td valign=top><b>{name}</b><br>{html.escape(left)}<br>{pick(a)}</td>"
                     f"<td valign=top><br>{html.escape(right)}<br>{pick(b)}</td></tr>")
    return "".join(parts) + "</table>"


def _labels_text(d: dict[str, Any]) -> str:
    topics = ", ".join(TOPIC_LABELS[t] for t in d["topics"]) or "no topic"
    sg = " · <b style='color:%s'>safeguarding</b>" % RED if d["safeguarding"] else ""
    return f"{topics} · {d['urgency']}{sg}"


def comparison_html(e: ModelEntry, active: ModelEntry | None) -> str:
    parts = []
    c = e.comparison
    if e.safeguarding_regression and c:
        missed = "".join(f"<li>{html.escape(m['subject'] or '(no subject)')} "
                         f"<span style='color:#ffcdd2'>({html.escape(m['key'])})</span></li>"
                         for m in c["safeguarding_missed"][:20])
        parts.append(
            f"<table width='100%' cellpadding=10 style='background:{RED}; color:white'><tr><td>"
            f"<b>Safeguarding: this model misses {len(c['safeguarding_missed'])} case(s) that model "
            f"{html.escape(c['against'])} caught.</b> It cannot be activated without an explicit override "
            f"with a written reason.<ul>{missed}</ul></td></tr></table>")
    trained = str(e.card.get("trained_at") or e.created_at)[:16].replace("T", " ")
    who = html.escape(str(e.card.get("trained_by") or e.created_by))
    parts.append(f"<h2>Model {html.escape(e.version)} — {state_of(e).lower()}</h2>"
                 f"<p>{ {'shipped': 'Shipped with Triage Desk', 'trained': 'Trained here', 'imported': 'Imported'}[e.origin]}"
                 f", {trained} by {who}.")
    if c:
        parts.append(f" Trained on {c['messages']:,} messages ({c['store_labels']:,} labelled by the office, "
                     f"{c['corpus_corrections']:,} corpus corrections; campaign copies grouped into "
                     f"{c['groups']:,} groups).</p>")
        parts.append(f"<p><b>Side by side with model {html.escape(c['against'])}</b>, on the same "
                     f"{c['folds']} cross-validation folds: each message is scored by versions trained "
                     f"without it. {html.escape(c['method'])}</p>")
        left, right = f"Model {c['against']}", "This model"
        parts.append(_table(_metric_rows(c["active"], c["candidate"]), left, right))
        parts.append(LEGEND)
        if c.get("test_split"):
            parts.append("<h3>Held-out test messages (never trained on by either)</h3>")
            parts.append(_table(_metric_rows(c["test_split"]["active"], c["test_split"]["candidate"]), left, right))
        parts.append(_changes(c))
        parts.append(_confusions(c["active"], c["candidate"], left, right))
    else:
        parts.append("</p><p>Its own cross-validated figures (from its model card):</p>")
        parts.append(_table(_metric_rows(None, e.card.get("cross_validated") or {}), "", "This model"))
        if active and not e.active:
            parts.append("<p style='color:gray'>No side-by-side comparison was recorded for this version. "
                         "Retrain here to compare the office's own model with the active one.</p>")
        cv = e.card.get("cross_validated") or {}
        parts.append(_confusions(None, cv, "", "This model"))
    return "".join(parts)


def _changes(c: dict[str, Any]) -> str:
    ch = c["changes"]
    n = ch["counts"]
    out = [f"<h3>What activating it would change</h3><p>Of the {ch['scanned']:,} newest stored messages, "
           f"<b>{n['any']:,}</b> would get a different prediction: topics {n['topics']:,}, urgency "
           f"{n['urgency']:,}, safeguarding flag lost <b style='color:{RED if n['safeguarding_lost'] else 'inherit'}'>"
           f"{n['safeguarding_lost']:,}</b>, gained {n['safeguarding_gained']:,}. "
           f"{n['any'] - n['shown_differently']:,} of them carry a human label, which stays as it is.</p>"]
    if ch["items"]:
        out.append("<table cellspacing=0 cellpadding=3><tr><th align=left>Message</th><th align=left>Now</th>"
                   "<th align=left>With this model</th></tr>")
        for item in ch["items"][:150]:
            lost = item["before"]["safeguarding"] and not item["after"]["safeguarding"]
            style = " style='background:#ffebee'" if lost else ""
            human = " <span style='color:gray'>(human label stands)</span>" if item["human_label"] else ""
            out.append(f"<tr{style}><td><a href='msg:{item['row_id']}'>{html.escape(item['subject'] or '(no subject)')}"
                       f"</a>{human}</td><td>{_labels_text(item['before'])}</td><td>{_labels_text(item['after'])}</td></tr>")
        out.append("</table>")
        if len(ch["items"]) > 150:
            out.append(f"<p style='color:gray'>… and {n['any'] - 150:,} more.</p>")
    return "".join(out)
