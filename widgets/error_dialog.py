"""A non-modal dialog for unexpected errors: the window stays usable, nothing is lost silently."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget


class ErrorDialog(QDialog):
    """Collects unexpected errors; each new one is added to the list and the dialog is raised."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorDialog")
        self.setWindowTitle("Brokerdeck: unexpected error")
        self.setModal(False)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.details = QPlainTextEdit(self)
        self.details.setAccessibleName("Error details")
        self.details.setReadOnly(True)
        self.details.setMinimumSize(560, 220)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.hide)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.details, 1)
        layout.addWidget(buttons)
        self.count = 0

    def add_error(self, summary: str, details: str, log_file: str) -> None:
        """Show `summary` (already free of secrets) and append `details` to the list."""
        self.count += 1
        noun = "error" if self.count == 1 else f"{self.count} errors"
        self.summary.setText(f"{summary}\n\nBrokerdeck kept running ({noun} so far). The full report is in {log_file}.")
        self.details.appendPlainText(f"--- {summary}\n{details}\n")
        self.show()
        self.raise_()
