"""The order ticket beside the market: the viewer's instrument, what to trade, and where it will go.

The mode the order goes to is the first thing on the ticket and the Place button repeats it, so nobody
sends a LIVE order believing it is a simulation. The ticket checks only what is obviously missing (an
empty quantity, a price the type needs); the trading core validates the order and its words are shown
as given. A structure (bracket, OCO, OTO) is entered here too: the app answers every change with what it
would expose (`show_preview`), and nothing the trader typed is cleared by a refusal.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from widgets.market_view_models import COLORS
from widgets.mode_badge import ModeBadge
from widgets.severity import severity_color
from widgets.structure_fields import BracketExits, LegList
from widgets.trading_views import (
    DEFAULT_TICK,
    ENTRY_TYPES,
    LIVE,
    MODE_COLORS,
    NEEDS_LIMIT,
    NEEDS_STOP,
    ORDER_TYPES,
    SHADOW,
    SIDES,
    SINGLE,
    STRUCTURE_TIPS,
    STRUCTURES,
    TIME_IN_FORCE,
    StructurePreview,
    TicketContext,
    TicketValues,
)

NOT_READY = "Orders cannot be placed yet: nothing has checked the order path."
NO_INSTRUMENT = "Pick an instrument in the market viewer."
TICKET_WIDTH = 182
PLACE_WORDS = {SINGLE: "order", "BRACKET": "bracket", "OCO": "OCO", "OTO": "OTO"}  # "Place SHADOW bracket"


def ticket_mode_text(context: TicketContext | None) -> str:
    if context is not None and context.mode == LIVE:
        account = f" to {context.account_masked}" if context.account_masked else ""
        return f"LIVE — sends a real order{account}"
    return "SHADOW — simulated, nothing is sent"


def _plain(parent: QWidget, name: str, muted: bool = False) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    if muted:
        label.setProperty("role", "muted")
    return label


class OrderTicket(QWidget):
    """Emits `placeRequested` with what was entered; the app answers with `show_result`."""

    placeRequested = Signal(object)  # TicketValues
    valuesChanged = Signal(object)  # TicketValues of a structure, for the app's `show_preview`

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("orderTicket")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setMinimumWidth(TICKET_WIDTH)
        self.setMaximumWidth(TICKET_WIDTH + 80)
        self.context: TicketContext | None = None

        self.badge = ModeBadge(self)
        self.badge.setObjectName("ticketMode")
        self.instrument = _plain(self, "ticketInstrument")
        self.instrument.setStyleSheet("font-size: 12pt; font-weight: bold;")
        self.read_only = _plain(self, "ticketReadOnly")
        self.read_only.setStyleSheet(f"color: {severity_color('warn').name()};")
        self.structure = QComboBox(self)
        self.structure.setObjectName("ticketStructure")
        for code, text in STRUCTURES.items():
            self.structure.addItem(text, code)
            self.structure.setItemData(self.structure.count() - 1, STRUCTURE_TIPS[code], Qt.ItemDataRole.ToolTipRole)

        self.buy_button = QPushButton(SIDES["BUY"], self)
        self.buy_button.setObjectName("ticketBuy")
        self.sell_button = QPushButton(SIDES["SELL"], self)
        self.sell_button.setObjectName("ticketSell")
        self.sides = QButtonGroup(self)
        for button, colour in ((self.buy_button, COLORS["bid"]), (self.sell_button, COLORS["ask"])):
            button.setCheckable(True)
            button.setStyleSheet(
                f"QPushButton:checked {{ background: {colour}; color: #ffffff; border: 1px solid {colour}; }}"
            )
            self.sides.addButton(button)
        self.buy_button.setChecked(True)
        self.quantity = QLineEdit(self)
        self.quantity.setObjectName("ticketQuantity")
        self.quantity.setPlaceholderText("shares")
        self.order_type = QComboBox(self)
        self.order_type.setObjectName("ticketType")
        for code, text in ORDER_TYPES.items():
            self.order_type.addItem(text, code)
        self.limit_price = QLineEdit(self)
        self.limit_price.setObjectName("ticketLimit")
        self.stop_price = QLineEdit(self)
        self.stop_price.setObjectName("ticketStop")
        self.tif = QComboBox(self)
        self.tif.setObjectName("ticketTif")
        for code, text in TIME_IN_FORCE.items():
            self.tif.addItem(code, code)
            self.tif.setItemData(self.tif.count() - 1, text, Qt.ItemDataRole.ToolTipRole)
        self.outside_rth = QCheckBox("Outside regular hours", self)
        self.outside_rth.setObjectName("ticketOutsideRth")
        self.exits = BracketExits(self)
        self.legs = LegList(self)
        self.exposure = _plain(self, "ticketExposure")
        self.exits_text = _plain(self, "ticketExits", muted=True)
        self.problem = _plain(self, "ticketProblem")
        self.problem.setProperty("role", "error")
        self.limits = _plain(self, "ticketLimits", muted=True)
        self.hint = _plain(self, "ticketHint", muted=True)
        self.place_button = QPushButton(self)
        self.place_button.setObjectName("placeOrder")
        self.result = _plain(self, "ticketResult")
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.structure.currentIndexChanged.connect(self._sync_structure)
        self.order_type.currentIndexChanged.connect(self._sync_fields)
        for edit in (self.quantity, self.limit_price, self.stop_price):
            edit.textChanged.connect(self._changed)
        self.sides.buttonToggled.connect(self._changed)
        self.tif.currentIndexChanged.connect(self._changed)
        self.exits.changed.connect(self._changed)
        self.legs.changed.connect(self._changed)
        self.place_button.clicked.connect(self._place)

        self.side_row = QWidget(self)
        sides = QHBoxLayout(self.side_row)
        sides.setContentsMargins(0, 0, 0, 0)
        sides.setSpacing(4)
        sides.addWidget(self.buy_button)
        sides.addWidget(self.sell_button)
        self.form = form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Quantity", self.quantity)
        form.addRow("Type", self.order_type)
        form.addRow("Limit", self.limit_price)
        form.addRow("Stop", self.stop_price)
        form.addRow("TIF", self.tif)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.badge)
        layout.addWidget(self.instrument)
        layout.addWidget(self.read_only)
        layout.addWidget(self.structure)
        layout.addWidget(self.side_row)
        layout.addWidget(self.legs)
        layout.addLayout(form)
        layout.addWidget(self.exits)
        layout.addWidget(self.outside_rth)
        layout.addWidget(self.hint)
        layout.addWidget(self.place_button)  # above the limits, so a short window keeps it in view
        layout.addWidget(self.exposure)  # a structure's preview, right under the button it is read before
        layout.addWidget(self.exits_text)
        layout.addWidget(self.problem)
        layout.addWidget(self.result)
        layout.addWidget(self.limits)
        layout.addStretch(1)
        self._why_not = NOT_READY
        self._show(None)
        self._sync_structure()

    # ---- what the app shows ---------------------------------------------------------------------

    def show_context(self, context: TicketContext | None) -> None:
        """The instrument and mode the next order goes to; None when no instrument is picked."""
        self._why_not = NO_INSTRUMENT
        self._show(context)

    def show_preview(self, preview: StructurePreview) -> None:
        """What the structure on the ticket would expose, and the core's objection to it, if any."""
        self.exposure.setText(preview.exposure_text)
        self.exposure.setProperty("role", "error" if preview.over_limit else "")
        self.exposure.style().polish(self.exposure)
        self.exits_text.setText(preview.exits_text)
        self.problem.setText(preview.problem)
        for label in (self.exposure, self.exits_text, self.problem):
            label.setVisible(bool(label.text()) and self.structure_code != SINGLE)
        self._sync_place()

    @property
    def structure_code(self) -> str:
        return str(self.structure.currentData())

    def show_result(self, text: str, ok: bool) -> None:
        """The outcome of the last Place, in the core's words."""
        self.result.setText(text)
        self.result.setProperty("role", "" if ok else "error")
        self.result.style().polish(self.result)

    def values(self) -> TicketValues:
        context = self.context
        order_type = str(self.order_type.currentData())
        structure = self.structure_code
        return TicketValues(
            profile=context.profile if context else "",
            symbol=context.symbol if context else "",
            conid=context.conid if context else None,
            side="BUY" if self.buy_button.isChecked() else "SELL",
            quantity=self.quantity.text().strip(),
            order_type=order_type,
            limit_price=self.limit_price.text().strip() if order_type in NEEDS_LIMIT else "",
            stop_price=self.stop_price.text().strip() if order_type in NEEDS_STOP else "",
            tif=str(self.tif.currentData()),
            outside_rth=self.outside_rth.isChecked(),
            structure=structure,
            exits_in=self.exits.exits_in,
            stop_loss=self.exits.stop_loss.text().strip() if structure == "BRACKET" else "",
            take_profit=self.exits.take_profit.text().strip() if structure == "BRACKET" else "",
            tick_size=context.tick_size if context else DEFAULT_TICK,
            legs=self.legs.values() if structure in ("OCO", "OTO") else (),
        )

    # ---- what is shown --------------------------------------------------------------------------

    def _show(self, context: TicketContext | None) -> None:
        self.context = context
        mode = context.mode if context is not None else SHADOW
        self.badge.show_mode(mode, ticket_mode_text(context))
        self.instrument.setText(context.symbol if context else "No instrument")
        self.read_only.setText(context.read_only if context else "")
        self.read_only.setVisible(bool(self.read_only.text()))
        self.exits.set_tick(context.tick_size if context else DEFAULT_TICK)
        limits = [] if context is None else [context.per_order_left_text, context.daily_left_text]
        self.limits.setText("\n".join(f"Left: {text}" for text in limits if text))
        self._sync_limits()
        background, foreground = MODE_COLORS[LIVE]
        self.place_button.setStyleSheet(
            f"QPushButton:enabled {{ background: {background}; color: {foreground}; font-weight: bold; }}"
            if mode == LIVE
            else ""
        )
        self._sync_place()

    def _sync_structure(self) -> None:
        """Show the fields the chosen structure uses: a bracket's entry takes a market or limit order only."""
        structure = self.structure_code
        legs = structure in ("OCO", "OTO")
        allowed = ENTRY_TYPES if structure == "BRACKET" else ORDER_TYPES.keys()
        current = str(self.order_type.currentData())
        self.order_type.blockSignals(True)
        self.order_type.clear()
        for code, text in ORDER_TYPES.items():
            if code in allowed:
                self.order_type.addItem(text, code)
        self.order_type.setCurrentIndex(max(0, self.order_type.findData(current if current in allowed else "LMT")))
        self.order_type.blockSignals(False)
        if legs:
            self.legs.set_kind(structure)
        self.side_row.setVisible(not legs)
        self.legs.setVisible(legs)
        self.exits.setVisible(structure == "BRACKET")
        for field in (self.quantity, self.order_type, self.limit_price):
            self.form.setRowVisible(field, not legs)
        self.form.setRowVisible(self.stop_price, structure == SINGLE)
        label = self.form.labelForField(self.limit_price)
        if isinstance(label, QLabel):
            label.setText("Entry" if structure == "BRACKET" else "Limit")  # a bracket's entry price
        self._sync_limits()
        self._sync_fields()

    def _sync_limits(self) -> None:
        """What the limits leave, under a single order; a structure's preview says it against its exposure."""
        self.limits.setVisible(bool(self.limits.text()) and self.structure_code == SINGLE)

    def _sync_fields(self) -> None:
        order_type = str(self.order_type.currentData())
        self.limit_price.setEnabled(order_type in NEEDS_LIMIT)
        self.stop_price.setEnabled(order_type in NEEDS_STOP)
        self.limit_price.setPlaceholderText("price" if order_type in NEEDS_LIMIT else "not used")
        self.stop_price.setPlaceholderText("trigger" if order_type in NEEDS_STOP else "not used")
        self._changed()

    def _changed(self) -> None:
        """Anything typed: the old preview no longer holds; the app answers a structure's change at once."""
        self.show_preview(StructurePreview())
        if self.structure_code != SINGLE and self.context is not None:
            self.valuesChanged.emit(self.values())

    def missing(self) -> str:
        """What is obviously missing before the core is asked, or ""."""
        values = self.values()
        if values.structure in ("OCO", "OTO"):
            return self.legs.missing()
        if not values.quantity:
            return "Enter a quantity."
        if values.order_type in NEEDS_LIMIT and not values.limit_price:
            return "Enter a limit price."
        if values.order_type in NEEDS_STOP and not values.stop_price:
            return "Enter a stop price."
        return self.exits.missing() if values.structure == "BRACKET" else ""

    def blocked(self) -> str:
        """Why nothing can be placed from here now, or "" (then only missing input stops Place)."""
        context = self.context
        if context is None:
            return self._why_not
        if not context.can_place:
            return context.why_not or "Orders cannot be placed now."
        if context.mode == LIVE and context.read_only:
            return context.read_only
        structure = self.structure_code
        if context.mode == LIVE and structure != SINGLE and structure not in context.live_structures:
            return (
                f"This broker does not take {STRUCTURES[structure]} orders through Brokerdeck: nothing would be "
                "sent. Place it in SHADOW, or as single orders."
            )
        return ""

    def _sync_place(self) -> None:
        mode = self.context.mode if self.context is not None else SHADOW
        what = PLACE_WORDS[self.structure_code]
        self.place_button.setText(f"Send LIVE {what}" if mode == LIVE else f"Place SHADOW {what}")
        blocker = self.blocked()
        if blocker:
            self.place_button.setEnabled(False)
            self.hint.setText(blocker)
        else:
            missing = self.missing()
            self.place_button.setEnabled(not missing and not self.problem.text())
            self.hint.setText(missing)
        self.hint.setVisible(bool(self.hint.text()))

    def _place(self) -> None:
        if not self.blocked() and not self.missing():
            self.result.clear()
            self.placeRequested.emit(self.values())
