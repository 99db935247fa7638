"""Small dialogs: keyboard shortcuts, settings, and the import summary."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QFormLayout, QHeaderView, QInputDialog, QLabel, QLineEdit, QMessageBox,
    QPlainTextEdit, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)


class Asks:
    """The questions a page asks, one method each so tests can replace them (pytest-qt's note
    on dialogs). Mixed into a QWidget."""

    def show_message_box(self, title: str, text: str) -> None:
        QMessageBox.information(self, title, text)  # type: ignore[arg-type]

    def confirm(self, title: str, text: str) -> bool:
        return QMessageBox.question(self, title, text) == QMessageBox.StandardButton.Yes  # type: ignore[arg-type]

    def ask_text(self, title: str, label: str) -> str | None:
        """The text typed, stripped; None if cancelled or left empty."""
        text, ok = QInputDialog.getText(self, title, label)  # type: ignore[arg-type]
        return text.strip() if ok and text.strip() else None


class ShortcutsDialog(QDialog):
    def __init__(self, shortcuts: tuple[tuple[str, str], ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        table = QTableWidget(len(shortcuts), 2)
        table.setHorizontalHeaderLabels(["Key", "Action"])
        table.verticalHeader().hide()
        for row, (key, action) in enumerate(shortcuts):
            table.setItem(row, 0, QTableWidgetItem(key))
            table.setItem(row, 1, QTableWidgetItem(action))
        table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Keys act on the selected messages (select several for bulk changes)."))
        layout.addWidget(table)
        layout.addWidget(buttons)
        self.resize(460, 560)


class SettingsDialog(QDialog):
    def __init__(self, name: str, safeguarding_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.name = QLineEdit(name)
        self.procedure = QPlainTextEdit(safeguarding_text)
        form = QFormLayout()
        form.addRow("Your name", self.name)
        form.addRow("Safeguarding procedure\n(shown on every safeguarding message)", self.procedure)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(560, 320)

    def values(self) -> tuple[str, str]:
        return self.name.text().strip(), self.procedure.toPlainText().strip()


class ImportSummaryDialog(QDialog):
    def __init__(self, summary: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import cancelled" if summary.cancelled else "Import finished")
        text = summary.line()
        if summary.cancelled:
            text += "\nImport the same files again to finish: what is stored is recognised and skipped."
        table = QTableWidget(len(summary.errors), 2)
        table.setHorizontalHeaderLabels(["Where", "Why it was rejected"])
        table.verticalHeader().hide()
        for row, err in enumerate(summary.errors):
            table.setItem(row, 0, QTableWidgetItem(err["locator"]))
            table.setItem(row, 1, QTableWidgetItem(err["reason"]))
        table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(text))
        if summary.errors:
            layout.addWidget(table)
        layout.addWidget(buttons)
        self.resize(760, 420 if summary.errors else 140)
