"""The rotation wizard's building blocks: the step bar, a part to register with its copy buttons, and the
archived sets with Restore.

Everything shown here is public (keys, fingerprints, archive summaries), so it is selectable and copyable.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from widgets.rotation_view_models import PAGE_TITLES, ArchiveView, RegisterPartView, WizardPage
from widgets.theme import tokens

COPIED_FEEDBACK_MS = 2000
KEY_TEXT_LINES = 9  # a 2048-bit PEM public key, whole; a longer text scrolls
FINGERPRINT_PAIRS_PER_LINE = 16  # a SHA-256 fingerprint reads as two lines of 16 pairs
ARCHIVE_ROWS = 4  # shown at once; more scroll
STEP_STYLES = {"done": "color: {muted};", "current": "color: {accent}; font-weight: bold;", "ahead": "color: {text};"}


def fingerprint_lines(fingerprint: str) -> str:
    """'ab:cd:…' in lines of 16 pairs, so it fits beside its button; copying gives it whole, on one line."""
    pairs = fingerprint.split(":")
    if len(pairs) <= FINGERPRINT_PAIRS_PER_LINE:
        return fingerprint
    step = FINGERPRINT_PAIRS_PER_LINE
    return "\n".join(":".join(pairs[i : i + step]) for i in range(0, len(pairs), step))


def plain_label(parent: QWidget, name: str, *, selectable: bool = False, role: str = "") -> QLabel:
    """A wrapped plain-text label: what it shows comes from outside and is never markup."""
    label = QLabel(parent)
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if role:
        label.setProperty("role", role)
    return label


class CopyButton(QPushButton):
    """Puts its text on the clipboard and says so for a moment."""

    def __init__(self, caption: str, payload: str, parent: QWidget | None = None) -> None:
        super().__init__(caption, parent)
        self.caption = caption
        self.payload = payload
        self.setAutoDefault(False)
        self._reset = QTimer(self)
        self._reset.setSingleShot(True)
        self._reset.setInterval(COPIED_FEEDBACK_MS)
        self._reset.timeout.connect(lambda: self.setText(self.caption))
        self.clicked.connect(self._copy)

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.payload)
        self.setText("Copied")
        self._reset.start()


class StepBar(QWidget):
    """ "1 Start › 2 Register at the broker › …": the current step stands out, the ones done are muted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("rotationSteps")
        self.labels: dict[WizardPage, QLabel] = {}
        self.current = WizardPage.START
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        for number, page in enumerate(WizardPage, start=1):
            if number > 1:
                separator = plain_label(self, "stepSeparator", role="muted")
                separator.setText("›")
                layout.addWidget(separator)
            label = plain_label(self, f"step-{page.value}")
            label.setWordWrap(False)
            label.setText(f"{number} {PAGE_TITLES[page]}")
            layout.addWidget(label)
            self.labels[page] = label
        layout.addStretch(1)
        self.show_page(WizardPage.START)

    def show_page(self, current: WizardPage) -> None:
        self.current = current
        order = list(WizardPage)
        for page, label in self.labels.items():
            where = order.index(page) - order.index(current)
            label.setStyleSheet(
                STEP_STYLES["current" if where == 0 else "ahead" if where > 0 else "done"].format(**tokens())
            )


class RegisterPartBox(QFrame):
    """One part to register: its name, its fingerprint and its text, each with a copy button."""

    def __init__(self, part: RegisterPartView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("registerPart")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.title = plain_label(self, "partLabel")
        self.title.setText(part.label)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.fingerprint_caption = plain_label(self, "partFingerprintCaption", role="muted")
        self.fingerprint_caption.setText("SHA-256 fingerprint")
        self.fingerprint = plain_label(self, "partFingerprint", selectable=True)
        self.fingerprint.setWordWrap(False)
        self.fingerprint.setText(fingerprint_lines(part.fingerprint))
        self.fingerprint.setFont(mono)
        self.copy_fingerprint = CopyButton("Copy fingerprint", part.fingerprint, self)
        self.copy_fingerprint.setObjectName("copyFingerprint")
        self.copy_fingerprint.setToolTip("Copy the fingerprint, to compare it with the one the broker shows")
        self.text = QPlainTextEdit(part.text.rstrip("\n"), self)  # no empty last line; Copy text gives it all
        self.text.setObjectName("partText")
        self.text.setReadOnly(True)
        self.text.setFont(mono)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        lines = min(max(len(part.text.splitlines()), 2), KEY_TEXT_LINES)
        margins = 2 * (self.text.document().documentMargin() + self.text.frameWidth()) + 8  # + the sheet's padding
        self.text.setFixedHeight(round(self.text.fontMetrics().lineSpacing() * lines + margins))
        self.copy_text = CopyButton("Copy text", part.text, self)
        self.copy_text.setObjectName("copyPartText")
        self.copy_text.setToolTip(f"Copy the whole {part.label.lower()}, to paste it at the broker")

        heading = QHBoxLayout()
        heading.addWidget(self.title, 1)
        heading.addWidget(self.copy_text)
        fingerprint_row = QHBoxLayout()
        fingerprint_column = QVBoxLayout()
        fingerprint_column.setSpacing(2)
        fingerprint_column.addWidget(self.fingerprint_caption)
        fingerprint_column.addWidget(self.fingerprint)
        fingerprint_row.addLayout(fingerprint_column, 1)
        fingerprint_row.addWidget(self.copy_fingerprint, 0, Qt.AlignmentFlag.AlignBottom)
        layout = QVBoxLayout(self)
        layout.addLayout(heading)
        layout.addWidget(self.text)
        layout.addLayout(fingerprint_row)


class ArchivesBox(QGroupBox):
    """The sets earlier rotations replaced, newest first; Restore asks once, inline, then emits."""

    restoreRequested = Signal(str)  # archive id
    grown = Signal()  # a line appeared (the selected set's summary, the question): the wizard makes room for it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Roll back to an earlier set", parent)
        self.setObjectName("rotationArchives")
        self.explain = plain_label(self, "archivesExplain", role="muted")
        self.list = QListWidget(self)
        self.list.setObjectName("archiveList")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.summary = plain_label(self, "archiveSummary", selectable=True, role="muted")  # of the one selected
        self.restore_button = QPushButton("Restore…", self)
        self.restore_button.setObjectName("restoreArchive")
        self.restore_button.setAutoDefault(False)
        self.restore_button.setToolTip("Prove the selected set, then make it active again")
        self.confirm = QFrame(self)
        self.confirm.setObjectName("restoreConfirm")
        self.confirm.setFrameShape(QFrame.Shape.StyledPanel)
        self.confirm_text = plain_label(self.confirm, "restoreConfirmText")
        self.confirm_button = QPushButton("Restore", self.confirm)
        self.confirm_button.setObjectName("confirmRestore")
        self.confirm_button.setAutoDefault(False)
        self.keep_button = QPushButton("Keep the active set", self.confirm)
        self.keep_button.setObjectName("keepActiveSet")
        self.keep_button.setAutoDefault(False)
        confirm_row = QHBoxLayout(self.confirm)
        confirm_row.addWidget(self.confirm_text, 1)
        confirm_row.addWidget(self.confirm_button)
        confirm_row.addWidget(self.keep_button)
        self.confirm.hide()

        self.list.currentRowChanged.connect(self._sync)
        self.restore_button.clicked.connect(self._ask)
        self.confirm_button.clicked.connect(self._restore)
        self.keep_button.clicked.connect(self.confirm.hide)
        row = QHBoxLayout()
        row.addWidget(self.list, 1)
        row.addWidget(self.restore_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.addWidget(self.explain)
        layout.addLayout(row)
        layout.addWidget(self.summary)
        layout.addWidget(self.confirm)
        self._archives: tuple[ArchiveView, ...] = ()
        self._enabled = True
        self.show_archives((), "")

    def show_archives(self, archives: tuple[ArchiveView, ...], terminal_hint: str) -> None:
        self._archives = archives
        self.list.clear()
        for archive in archives:  # one short line each; the selected one's summary is shown below the list
            item = QListWidgetItem(f"{archive.archived_at}   {archive.archive_id}")
            item.setToolTip(archive.summary)
            self.list.addItem(item)
        if archives:
            text = (
                "Each set a rotation replaced is kept encrypted. Restore proves the one you pick, makes it "
                "active again and archives the active set."
            )
        else:
            text = "No set is archived yet: a rotation archives the set it replaces, and it can be restored here."
        self.explain.setText(f"{text} {terminal_hint}".strip())
        rows = min(max(len(archives), 1), ARCHIVE_ROWS)
        self.list.setFixedHeight(self.list.sizeHintForRow(0) * rows + 2 * self.list.frameWidth() + 4 if archives else 0)
        self.list.setVisible(bool(archives))
        self.restore_button.setVisible(bool(archives))
        self.confirm.hide()
        self._sync()

    def set_enabled(self, enabled: bool) -> None:
        """Off while a step runs: one change to the credentials at a time."""
        self._enabled = enabled
        if not enabled:
            self.confirm.hide()
        self._sync()

    def selected(self) -> ArchiveView | None:
        row = self.list.currentRow()
        return self._archives[row] if 0 <= row < len(self._archives) else None

    def _sync(self) -> None:
        selected = self.selected()
        self.summary.setText(selected.summary if selected is not None else "")
        if self.summary.isHidden() == (selected is not None):
            self.summary.setVisible(selected is not None)
            self.grown.emit()
        self.restore_button.setEnabled(self._enabled and selected is not None)
        self.confirm_button.setEnabled(self._enabled)

    def _ask(self) -> None:
        archive = self.selected()
        if archive is None:
            return
        self.confirm_text.setText(
            f"Restore the set archived {archive.archived_at}? It is proven first; only then does it replace "
            "the active set, which is archived in turn."
        )
        self.confirm.show()
        self.grown.emit()

    def _restore(self) -> None:
        archive = self.selected()
        self.confirm.hide()
        if archive is not None and self._enabled:
            self.restoreRequested.emit(archive.archive_id)
