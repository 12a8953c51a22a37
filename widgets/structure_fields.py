"""The ticket's fields for order structures: a bracket's exits, and the legs of an OCO group or an OTO pair.

They only hold what the trader typed and say what is obviously missing; the app turns ticks into prices and
the trading core judges the structure, in its own words.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from widgets.trading_views import DEFAULT_TICK, LEG_TYPES, PRICES, SIDES, TICKS, LegValues

MAX_TICKET_LEGS = 4  # an OCO group on the ticket (the core takes more; the ticket stays readable)
LEG_NAMES = {"OTO": ("Trigger", "Child")}
SMALL_BUTTON = "QPushButton { padding: 4px 6px; }"  # the ticket is narrow: these buttons keep their words whole


class BracketExits(QWidget):
    """A bracket's stop-loss and take-profit, entered as distances in ticks from the entry or as prices."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("bracketExits")
        self.ticks_button = QPushButton("Ticks", self)
        self.ticks_button.setObjectName("exitsInTicks")
        self.ticks_button.setToolTip("Exits as distances from the entry price, in the instrument's ticks")
        self.prices_button = QPushButton("Prices", self)
        self.prices_button.setObjectName("exitsInPrices")
        self.prices_button.setToolTip("Exits as prices")
        self.unit = QButtonGroup(self)
        for button in (self.ticks_button, self.prices_button):
            button.setCheckable(True)
            button.setStyleSheet(SMALL_BUTTON)
            self.unit.addButton(button)
        self.ticks_button.setChecked(True)
        self.stop_loss = QLineEdit(self)
        self.stop_loss.setObjectName("bracketStopLoss")
        self.take_profit = QLineEdit(self)
        self.take_profit.setObjectName("bracketTakeProfit")
        self.tick_label = QLabel(self)
        self.tick_label.setObjectName("bracketTick")
        self.tick_label.setProperty("role", "muted")
        self._tick = DEFAULT_TICK

        self.unit.buttonToggled.connect(self._sync_unit)
        for edit in (self.stop_loss, self.take_profit):
            edit.textChanged.connect(self.changed)

        unit = QHBoxLayout()
        unit.setContentsMargins(0, 0, 0, 0)
        unit.setSpacing(4)
        unit.addWidget(self.ticks_button)
        unit.addWidget(self.prices_button)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Exits in", unit)
        form.addRow("Stop-loss", self.stop_loss)
        form.addRow("Target", self.take_profit)
        form.addRow("", self.tick_label)
        self._sync_unit()

    @property
    def exits_in(self) -> str:
        return TICKS if self.ticks_button.isChecked() else PRICES

    def set_tick(self, tick: str) -> None:
        self._tick = tick or DEFAULT_TICK
        self._sync_unit()

    def missing(self) -> str:
        unit = "a distance in ticks" if self.exits_in == TICKS else "a price"
        if not self.stop_loss.text().strip():
            return f"Enter the stop-loss as {unit}."
        if not self.take_profit.text().strip():
            return f"Enter the take-profit as {unit}."
        return ""

    def _sync_unit(self) -> None:
        ticks = self.exits_in == TICKS
        self.stop_loss.setPlaceholderText("ticks from the entry" if ticks else "stop price")
        self.take_profit.setPlaceholderText("ticks from the entry" if ticks else "limit price")
        self.tick_label.setText(f"1 tick = {self._tick}" if ticks else "")
        self.changed.emit()


class LegEditor(QFrame):
    """One leg: side, quantity, type and its price (a limit for a limit leg, a trigger for a stop leg)."""

    changed = Signal()

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("legEditor")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel(title, self)
        self.title.setObjectName("legTitle")
        self.title.setStyleSheet("font-weight: bold;")
        self.side = QComboBox(self)
        self.side.setObjectName("legSide")
        for code, text in SIDES.items():
            self.side.addItem(text, code)
        self.quantity = QLineEdit(self)
        self.quantity.setObjectName("legQuantity")
        self.quantity.setAccessibleName(f"{title}: quantity")
        self.quantity.setPlaceholderText("qty")
        self.order_type = QComboBox(self)
        self.order_type.setObjectName("legType")
        for code, text in LEG_TYPES.items():
            self.order_type.addItem(text, code)
        self.order_type.setCurrentIndex(self.order_type.findData("LMT"))
        self.price = QLineEdit(self)
        self.price.setObjectName("legPrice")
        self.price.setAccessibleName(f"{title}: price")

        self.order_type.currentIndexChanged.connect(self._sync_price)
        self.side.currentIndexChanged.connect(self.changed)
        for edit in (self.quantity, self.price):
            edit.textChanged.connect(self.changed)

        grid = QGridLayout(self)
        grid.setContentsMargins(4, 4, 4, 4)
        grid.setSpacing(4)
        grid.addWidget(self.title, 0, 0)
        grid.addWidget(self.side, 0, 1)
        grid.addWidget(self.quantity, 0, 2)
        grid.addWidget(self.order_type, 1, 0, 1, 2)
        grid.addWidget(self.price, 1, 2)
        grid.setColumnStretch(2, 1)
        self._sync_price()

    def values(self) -> LegValues:
        order_type = str(self.order_type.currentData())
        return LegValues(
            side=str(self.side.currentData()),
            quantity=self.quantity.text().strip(),
            order_type=order_type,
            price=self.price.text().strip() if order_type != "MKT" else "",
        )

    def missing(self) -> str:
        values = self.values()
        name = self.title.text().lower()
        if not values.quantity:
            return f"Enter the quantity of {name}."
        if values.order_type != "MKT" and not values.price:
            return f"Enter the {'limit' if values.order_type == 'LMT' else 'stop'} price of {name}."
        return ""

    def _sync_price(self) -> None:
        order_type = str(self.order_type.currentData())
        self.price.setEnabled(order_type != "MKT")
        self.price.setPlaceholderText({"LMT": "limit", "STP": "stop"}.get(order_type, "market"))
        self.changed.emit()


class LegList(QWidget):
    """The legs of an OCO group (two to four, added and removed here) or an OTO pair (a trigger and a child)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("legList")
        self.editors: list[LegEditor] = []
        self._kind = "OCO"
        self.add_button = QPushButton("Add leg", self)
        self.add_button.setObjectName("addLeg")
        self.remove_button = QPushButton("Remove leg", self)
        self.remove_button.setObjectName("removeLeg")
        self.remove_button.setToolTip("Remove the last leg")
        for button in (self.add_button, self.remove_button):
            button.setStyleSheet(SMALL_BUTTON)
        self.add_button.clicked.connect(self.add_leg)
        self.remove_button.clicked.connect(self.remove_leg)
        self._legs = QVBoxLayout()
        self._legs.setSpacing(4)
        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(self._legs)
        layout.addLayout(buttons)
        self.set_kind("OCO")

    def set_kind(self, kind: str) -> None:
        """OCO: two legs to start with, up to four; OTO: exactly a trigger and a child."""
        self._kind = kind
        while len(self.editors) < 2:
            self._append()
        while kind == "OTO" and len(self.editors) > 2:
            self._drop()
        self._sync()

    def add_leg(self) -> None:
        if self._kind == "OCO" and len(self.editors) < MAX_TICKET_LEGS:
            self._append()
            self._sync()

    def remove_leg(self) -> None:
        if self._kind == "OCO" and len(self.editors) > 2:
            self._drop()
            self._sync()

    def values(self) -> tuple[LegValues, ...]:
        return tuple(editor.values() for editor in self.editors)

    def missing(self) -> str:
        return next((text for editor in self.editors if (text := editor.missing())), "")

    def _append(self) -> None:
        editor = LegEditor("", self)
        editor.changed.connect(self.changed)
        self.editors.append(editor)
        self._legs.addWidget(editor)

    def _drop(self) -> None:
        editor = self.editors.pop()
        self._legs.removeWidget(editor)
        editor.deleteLater()

    def _sync(self) -> None:
        names = LEG_NAMES.get(self._kind)
        for index, editor in enumerate(self.editors):
            editor.title.setText(names[index] if names else f"Leg {index + 1}")
        oco = self._kind == "OCO"
        self.add_button.setVisible(oco)
        self.remove_button.setVisible(oco)
        self.add_button.setEnabled(len(self.editors) < MAX_TICKET_LEGS)
        self.remove_button.setEnabled(len(self.editors) > 2)
        self.changed.emit()
