"""Every control a trader can reach in the main window has a name a screen reader can say."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QToolButton,
    QWidget,
)

from widgets.main_window import MainWindow
from widgets.view_models import ProfileRow, StatusView

INTERACTIVE = (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
)

VIEW = StatusView(
    profiles=(
        ProfileRow(
            "ibkr", "IBKR", "ibkr-oauth1a", "profiles.toml", "Active", "ok", "", "", connect_actions=("disconnect",)
        ),
    ),
)


def spoken_name(widget: QWidget) -> str:
    """The name Qt gives assistive technology: accessibleName, else a button's text or a form label's (buddy)."""
    interface = QAccessible.queryAccessibleInterface(widget)
    return interface.text(QAccessible.Text.Name).strip() if interface is not None else ""


def unnamed_controls(root: QWidget) -> list[str]:
    """Each interactive control under `root` with no spoken name, as class#objectName (parent's class)."""
    missing = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, INTERACTIVE) or widget.parent() is None:
            continue
        if _part_of_a_composite(widget):
            continue
        if not spoken_name(widget):
            parent = widget.parentWidget()
            where = f"{type(parent).__name__}#{parent.objectName()}" if parent is not None else ""
            missing.append(f"{type(widget).__name__}#{widget.objectName()} in {where}")
    return missing


def _part_of_a_composite(widget: QWidget) -> bool:
    """Qt's own parts (a scroll area's bars, a table's headers, a combo's popup list, a line edit's clear
    button): the assistive technology names them from their owner."""
    parent = widget.parentWidget()
    return (
        isinstance(widget, QHeaderView)
        or widget.objectName().startswith("qt_")
        or (parent is not None and parent.objectName().startswith("qt_"))
        or (parent is not None and parent.metaObject().className() == "QComboBoxPrivateContainer")
        or (isinstance(widget, QToolButton) and isinstance(parent, QLineEdit))
    )


def test_every_control_in_the_window_its_docks_and_dialogs_has_a_name(qtbot: Any) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.build_details()
    window.market_viewer.build_chart()
    window.show_status(VIEW)
    window.show()
    assert unnamed_controls(window) == []
