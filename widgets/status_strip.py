"""The status strip above the market: every profile's state at a glance, and the way into the detail.

A trader reads it the way they read a clock: one chip per profile with its name, its state in the
severity's colour and how long its credential has left. A chip opens the connections detail on its
profile; the strip only shows and asks, it never acts.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from widgets.flow_layout import FlowLayout
from widgets.severity import SEVERITY_WORDS, severity_color

if TYPE_CHECKING:  # the views' dataclasses load with the details, after the first paint
    from widgets.view_models import ProfileRow, StatusView

_TIME_LEFT = re.compile(r"\(([^()]*)\)\s*$")


def time_left(expires: str) -> str:
    """The countdown part of `ProfileRow.expires`: 'Fri 15:04:05 (in 23h 59m)' -> 'in 23h 59m'."""
    match = _TIME_LEFT.search(expires)
    return match.group(1) if match else expires


def chip_tooltip(row: ProfileRow) -> str:
    """Everything the chip leaves out, as escaped rich text (labels and reasons come from outside)."""
    lines = [f"{row.label} ({row.name}): {row.state}, {SEVERITY_WORDS.get(row.severity, row.severity)}"]
    lines += [text for text in (row.reason, f"Next: {row.hint}" if row.hint else "") if text]
    if row.expires:
        lines.append(f"Expires {row.expires}")
    lines.append("Click for the connection detail.")
    return "<qt>" + "<br>".join(html.escape(line) for line in lines) + "</qt>"


def _plain_label(parent: QWidget, text: str = "") -> QLabel:
    label = QLabel(text, parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


class StatusChip(QFrame):
    """A profile's label, its state word in the severity's colour, and the time its credential has left."""

    clicked = Signal(str)

    def __init__(self, row: ProfileRow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.profile = row.name
        self.severity = ""
        self.setObjectName(f"statusChip-{row.name}")
        self.setProperty("role", "statusChip")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.dot = _plain_label(self, "●")
        self.label = _plain_label(self)
        self.state = _plain_label(self)
        self.countdown = _plain_label(self)
        self.countdown.setProperty("role", "muted")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(7, 2, 8, 2)
        layout.setSpacing(5)
        for part in (self.dot, self.label, self.state, self.countdown):
            layout.addWidget(part)
        self.show_row(row)

    def show_row(self, row: ProfileRow) -> None:
        """Update in place; the colours are restyled only when the severity changes."""
        if row.severity != self.severity:
            self.severity = row.severity
            colour = severity_color(row.severity).name()
            self.dot.setStyleSheet(f"color: {colour};")
            self.state.setStyleSheet(f"color: {colour}; font-weight: bold;")
        self.label.setText(row.label)
        self.state.setText(row.state)
        left = time_left(row.expires)
        self.countdown.setText(left)
        self.countdown.setVisible(bool(left))
        self.setToolTip(chip_tooltip(row))
        self.setAccessibleName(" ".join(part for part in (row.label, row.state, left) if part))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.profile)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.clicked.emit(self.profile)
        else:
            super().keyPressEvent(event)


class StatusStrip(QWidget):
    """The chips, then a notice for problems and the `trailing` widgets, kept together at the right.

    Everything flows: when the window is narrow the chips take a second row rather than be cut, and the
    right-hand group keeps its place at the end, so the strip never forces the window wider.
    """

    profileClicked = Signal(str)
    detailRequested = Signal()  # the notice was clicked: the detail says what is wrong

    def __init__(self, trailing: Sequence[QWidget] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusStrip")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.chips: dict[str, StatusChip] = {}
        self._selected = ""
        self.notice = QPushButton(self)
        self.notice.setObjectName("statusNotice")
        self.notice.setAccessibleName("Status notice")
        self.notice.setFlat(True)
        self.notice.setCursor(Qt.CursorShape.PointingHandCursor)
        self.notice.clicked.connect(self.detailRequested)
        self.notice.hide()
        self.end_group = QWidget(self)
        end = QHBoxLayout(self.end_group)
        end.setContentsMargins(0, 0, 0, 0)
        end.setSpacing(8)
        end.addWidget(self.notice)
        for widget in trailing:
            end.addWidget(widget)
        self.flow = FlowLayout(self, spacing=8, pin_last_right=True)
        self.flow.setContentsMargins(8, 5, 8, 5)
        self.flow.addWidget(self.end_group)

    def show_status(self, view: StatusView) -> None:
        self._show_chips(view.profiles)
        problems = []
        if view.profile_errors:
            count = len(view.profile_errors)
            problems.append(f"profiles.toml: {count} problem{'s' if count > 1 else ''}")
        if not view.vault_ok:
            problems.append("vault problem")
        if problems:
            self._show_notice(", ".join(problems), "error")
        elif not view.profiles and view.profiles_file:  # an inspection found none (not the blank start)
            self._show_notice("No profiles yet: add one", "muted")
        else:
            self.notice.hide()
        self.select_profile(self._selected)

    def select_profile(self, name: str) -> None:
        """Outline the chip of the profile the detail shows (restyling only the chips that change)."""
        self._selected = name
        for chip_name, chip in self.chips.items():
            selected = chip_name == name
            if chip.property("selected") != selected:
                chip.setProperty("selected", selected)
                chip.style().polish(chip)

    def _show_notice(self, text: str, role: str) -> None:
        self.notice.setText(text)
        self.notice.setToolTip("Open the connections detail")
        self.notice.setProperty("role", role)
        self.notice.style().polish(self.notice)
        self.notice.show()

    def _show_chips(self, rows: tuple[ProfileRow, ...]) -> None:
        """Update the chips in place; rebuild them only when the set of profiles changes."""
        if list(self.chips) == [row.name for row in rows]:
            for row in rows:
                self.chips[row.name].show_row(row)
            return
        for chip in self.chips.values():
            self.flow.removeWidget(chip)
            chip.deleteLater()
        self.chips = {}
        for row in rows:
            chip = StatusChip(row, self)
            chip.clicked.connect(self.profileClicked)
            self.flow.insert_widget(len(self.chips), chip)
            self.chips[row.name] = chip
