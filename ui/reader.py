"""The reading pane: headers, the safeguarding banner, why the model tagged it, the body with
the phrases that mattered highlighted, quoted text collapsed, and attachments.

HTML mail is shown with every remote resource blocked: the core's sanitiser has already
removed scripts and neutralised remote sources, and the viewer refuses any load it is asked
for (and records it), so nothing ever reaches the network. Links open only after a question.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtWidgets import (
    QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QTextBrowser, QToolButton, QVBoxLayout,
    QWidget,
)

from triage.store import TOPICS

from .delegates import SAFEGUARDING_COLOUR, TOPIC_COLOURS, URGENCY_COLOURS
from .message_model import TOPIC_LABELS

HIGHLIGHT = "#fff3a0"
RISK_HIGHLIGHT = "#ffcdd2"


class SafeTextBrowser(QTextBrowser):
    """A QTextBrowser that loads nothing: every resource request is refused and recorded."""

    resource_blocked = Signal(QUrl)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.blocked: list[str] = []

    def loadResource(self, kind: int, url: QUrl | str) -> Any:  # noqa: N802 - Qt API
        self.blocked.append(QUrl(url).toString())
        self.resource_blocked.emit(QUrl(url))
        return None


def _chip(text: str, colour: str) -> str:
    return (f'<span style="background:{colour}; color:white; border-radius:8px; '
            f'padding:1px 6px; font-weight:600;">&nbsp;{html.escape(text)}&nbsp;</span>')


class ReadingPane(QWidget):
    link_requested = Signal(QUrl)
    attachment_requested = Signal(int, str)  # index, "save" or "open"

    def __init__(self, safeguarding_text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.safeguarding_text = safeguarding_text
        self.record: dict[str, Any] | None = None
        self._last_prediction: dict[str, Any] | None = None
        self.quoted_open = False

        self.subject = QLabel()
        self.subject.setWordWrap(True)
        self.subject.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.subject.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.subject.setFont(font)
        self.meta = QLabel()
        self.meta.setWordWrap(True)
        self.meta.setTextFormat(Qt.TextFormat.RichText)

        self.banner = QLabel()
        self.banner.setObjectName("safeguardingBanner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(
            f"QLabel#safeguardingBanner {{ background: {SAFEGUARDING_COLOUR}; color: white; "
            "padding: 10px 12px; border-radius: 6px; font-weight: 600; }")
        self.banner.hide()

        self.explanation = QLabel()
        self.explanation.setWordWrap(True)
        self.explanation.setObjectName("explanation")
        self.explanation.setStyleSheet(
            "QLabel#explanation { border: 1px solid palette(mid); border-radius: 6px; padding: 8px; }")
        self.explanation.setTextFormat(Qt.TextFormat.RichText)

        self.body = SafeTextBrowser()
        self.body.anchorClicked.connect(self.link_requested.emit)
        self.body.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.remote_notice = QLabel("Remote images and content are blocked in this message.")
        self.remote_notice.setStyleSheet("color: palette(mid); font-style: italic;")
        self.remote_notice.hide()
        self.quoted_toggle = QToolButton()
        self.quoted_toggle.setCheckable(True)
        self.quoted_toggle.toggled.connect(self._toggle_quoted)
        self.quoted_toggle.hide()

        self.attachments = QWidget()
        self.attachments_layout = QVBoxLayout(self.attachments)
        self.attachments_layout.setContentsMargins(0, 0, 0, 0)

        self.placeholder = QLabel("Select a message to read it.\n\nj / k move · 1 2 3 toggle tags · "
                                  "u h n l urgency · s safeguarding · e done · ? all shortcuts")
        self.placeholder.setStyleSheet("color: palette(mid);")

        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(8)
        for w in (self.placeholder, self.subject, self.meta, self.banner, self.explanation,
                  self.remote_notice, self.body, self.quoted_toggle, self.attachments):
            layout.addWidget(w)
        layout.setStretchFactor(self.body, 1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(inner)
        self.clear()

    # -- content ---------------------------------------------------------------------------------

    def clear(self) -> None:
        self.record = None
        for w in (self.subject, self.meta, self.banner, self.explanation, self.body,
                  self.remote_notice, self.quoted_toggle, self.attachments):
            w.hide()
        self.placeholder.show()

    def show_message(self, record: dict[str, Any], state: dict[str, Any],
                     prediction: dict[str, Any] | None, notes: list[dict[str, Any]],
                     html_body: str | None) -> None:
        """Show a stored message. `state` is its effective labels (Triage.effective),
        `prediction` the model's stored prediction (with reasons), `html_body` sanitised HTML."""
        self.record = record
        self._last_prediction = prediction
        self.placeholder.hide()
        for w in (self.subject, self.meta, self.explanation, self.body):
            w.show()
        self.subject.setText(record["subject"] or "(no subject)")
        sender = html.escape(f"{record['sender_name']} <{record['sender_address']}>")
        to = ", ".join(json.loads(record.get("recipients") or "[]"))
        chips = [_chip(state["urgency"].capitalize(), URGENCY_COLOURS[state["urgency"]])]
        chips += [_chip(TOPIC_LABELS[t], TOPIC_COLOURS[t]) for t in state["topics"]]
        if state["safeguarding"]:
            chips.append(_chip("Safeguarding", SAFEGUARDING_COLOUR))
        who = "labelled by staff" if any(state["human"].values()) else "labelled by the model"
        status = state["status"].replace("_", " ")
        assignee = f" · assigned to {html.escape(state['assignee'])}" if state["assignee"] else ""
        date_note = "" if record["date_source"] == "header" else " (no Date header: file time)"
        self.meta.setText(
            f"<b>From</b> {sender}<br><b>To</b> {html.escape(to)}<br>"
            f"<b>Received</b> {record['date'].replace('T', ' ').rstrip('Z')} UTC{date_note}<br>"
            f"{' '.join(chips)} &nbsp;<span style='color:gray'>{who} · {status}{assignee}</span>")
        self.banner.setVisible(bool(state["safeguarding"]))
        self.banner.setText("SAFEGUARDING — act today.\n" + self.safeguarding_text)
        self.explanation.setText(self._explanation(prediction, notes))
        self._render_body(record, prediction, html_body)
        self._show_attachments(json.loads(record.get("attachments") or "[]"))

    def _explanation(self, prediction: dict[str, Any] | None, notes: list[dict[str, Any]]) -> str:
        if prediction is None:
            text = "<i>Not classified yet.</i>"
        else:
            reasons = prediction.get("reasons") or {}
            rows = []
            for topic in TOPICS:
                score = prediction["scores"].get(topic)
                phrases = [p for p, _w in (reasons.get("topics") or {}).get(topic, [])][:5]
                tagged = topic in prediction["topics"]
                mark = "✔" if tagged else "·"
                because = (" — " + ", ".join(f"“{html.escape(p)}”" for p in phrases)) if tagged and phrases else ""
                rows.append(f"{mark} <b>{TOPIC_LABELS[topic]}</b> {score:.0%}{because}" if score is not None else "")
            rules = "".join(f"<br>• {html.escape(r)}" for r in reasons.get("rules", []))
            deadline = reasons.get("deadline")
            deadline_text = (f"<br><b>Deadline</b> {deadline['date']} ({deadline['days']} days after "
                             f"it was sent: “{html.escape(deadline['phrase'])}”)") if deadline else ""
            text = (f"<b>Why</b> (model {html.escape(str(prediction['model_version']))}, "
                    f"confidence {prediction['confidence']:.0%})<br>" + "<br>".join(r for r in rows if r)
                    + deadline_text + (f"<br><b>Rules</b>{rules}" if rules else ""))
        if notes:
            text += "<br><b>Notes</b>" + "".join(
                f"<br>{html.escape(n['at'][:16].replace('T', ' '))} {html.escape(n['author'])}: "
                f"{html.escape(n['text'])}" for n in notes)
        return text

    def _phrases(self, prediction: dict[str, Any] | None) -> tuple[list[str], list[str]]:
        if not prediction:
            return [], []
        reasons = prediction.get("reasons") or {}
        topic_phrases = {p for t in prediction["topics"] for p, _w in (reasons.get("topics") or {}).get(t, [])}
        risk = [h["sentence"] for h in reasons.get("lexicon", []) if h.get("status") == "hit"]
        return sorted(topic_phrases, key=len, reverse=True), risk

    def _render_body(self, record: dict[str, Any], prediction: dict[str, Any] | None,
                     html_body: str | None) -> None:
        self.body.blocked.clear()
        quoted = record.get("quoted_text") or ""
        if html_body is not None:
            self.quoted_toggle.hide()
            self.remote_notice.setVisible("data-blocked-" in html_body)
            self.body.setHtml(html_body)
            return
        self.remote_notice.hide()
        new_text = record["new_text"] if record.get("new_text") is not None else record["body_text"]
        phrases, risk = self._phrases(prediction)
        parts = [highlight(new_text, phrases, risk)]
        if quoted:
            lines = quoted.count("\n") + 1
            self.quoted_toggle.show()
            self.quoted_toggle.setText(("Hide" if self.quoted_open else "Show") + f" quoted text ({lines} lines)")
            if self.quoted_open:
                parts.append("<div style='color:gray; border-left:3px solid #bbb; padding-left:8px'>"
                             + highlight(quoted, phrases, risk) + "</div>")
        else:
            self.quoted_toggle.hide()
        self.body.setHtml("<div style='white-space:pre-wrap'>" + "<br>".join(parts) + "</div>")

    def _toggle_quoted(self, opened: bool) -> None:
        self.quoted_open = opened
        if self.record is not None:
            self._render_body(self.record, self._last_prediction, None)

    def _show_attachments(self, attachments: list[list[Any]]) -> None:
        while self.attachments_layout.count():
            item = self.attachments_layout.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.attachments.setVisible(bool(attachments))
        for i, (name, ctype, size) in enumerate(attachments):
            row = QFrame()
            line = QHBoxLayout(row)
            line.setContentsMargins(0, 0, 0, 0)
            label = QLabel(f"📎 {name}  <span style='color:gray'>{ctype}, {_size(size)}</span>")
            line.addWidget(label, 1)
            for action in ("Save…", "Open"):
                button = QPushButton(action)
                button.clicked.connect(lambda _c=False, i=i, a=action: self.attachment_requested.emit(
                    i, "save" if a.startswith("Save") else "open"))
                line.addWidget(button)
            self.attachments_layout.addWidget(row)


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def highlight(text: str, phrases: list[str], risk_sentences: list[str]) -> str:
    """HTML-escaped text with the model's phrases marked yellow and risk sentences red."""
    escaped = html.escape(text)
    for sentence in risk_sentences:
        s = html.escape(sentence)
        if s and s in escaped:
            escaped = escaped.replace(s, f"<span style='background:{RISK_HIGHLIGHT}'>{s}</span>")
    if phrases:
        words = sorted({html.escape(p) for p in phrases if p.strip()}, key=len, reverse=True)
        pattern = re.compile(r"(?<![\w&])(" + "|".join(re.escape(w) for w in words) + r")(?!\w)", re.IGNORECASE)
        # Only outside tags: split on tags, replace in text runs.
        pieces = re.split(r"(<[^>]+>)", escaped)
        escaped = "".join(p if p.startswith("<") else pattern.sub(
            lambda m: f"<span style='background:{HIGHLIGHT}'>{m.group(0)}</span>", p) for p in pieces)
    return escaped.replace("\n", "<br>")
