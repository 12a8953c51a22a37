"""The order ticket beside the market: the viewer's instrument, what to trade, and where it will go.

The mode the order goes to is the first thing on the ticket and the Place button repeats it, so nobody
sends a LIVE order believing it is a simulation. The ticket checks only what is obviously missing (an
empty quantity, a price the type needs); the trading core validates the order and its words are shown
as given.
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
from widgets.trading_views import (
    LIVE,
    MODE_COLORS,
    NEEDS_LIMIT,
    NEEDS_STOP,
    ORDER_TYPES,
    SHADOW,
    SIDES,
    TIME_IN_FORCE,
    TicketContext,
    TicketValues,
)

NOT_READY = "Orders cannot be placed yet: nothing has checked the order path."
NO_INSTRUMENT = "Pick an instrument in the market viewer."
TICKET_WIDTH = 182


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
        self.limits = _plain(self, "ticketLimits", muted=True)
        self.hint = _plain(self, "ticketHint", muted=True)
        self.place_button = QPushButton(self)
        self.place_button.setObjectName("placeOrder")
        self.result = _plain(self, "ticketResult")
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.order_type.currentIndexChanged.connect(self._sync_fields)
        for edit in (self.quantity, self.limit_price, self.stop_price):
            edit.textChanged.connect(self._sync_place)
        self.place_button.clicked.connect(self._place)

        sides = QHBoxLayout()
        sides.setSpacing(4)
        sides.addWidget(self.buy_button)
        sides.addWidget(self.sell_button)
        form = QFormLayout()
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
        layout.addLayout(sides)
        layout.addLayout(form)
        layout.addWidget(self.outside_rth)
        layout.addWidget(self.hint)
        layout.addWidget(self.place_button)  # above the limits, so a short window keeps it in view
        layout.addWidget(self.result)
        layout.addWidget(self.limits)
        layout.addStretch(1)
        self._why_not = NOT_READY
        self._show(None)
        self._sync_fields()

    # ---- what the app shows ---------------------------------------------------------------------

    def show_context(self, context: TicketContext | None) -> None:
        """The instrument and mode the next order goes to; None when no instrument is picked."""
        self._why_not = NO_INSTRUMENT
        self._show(context)

    def show_result(self, text: str, ok: bool) -> None:
        """The outcome of the last Place, in the core's words."""
        self.result.setText(text)
        self.result.setProperty("role", "" if ok else "error")
        self.result.style().polish(self.result)

    def values(self) -> TicketValues:
        context = self.context
        order_type = str(self.order_type.currentData())
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
        )

    # ---- what is shown --------------------------------------------------------------------------

    def _show(self, context: TicketContext | None) -> None:
        self.context = context
        mode = context.mode if context is not None else SHADOW
        self.badge.show_mode(mode, ticket_mode_text(context))
        self.instrument.setText(context.symbol if context else "No instrument")
        limits = [] if context is None else [context.per_order_left_text, context.daily_left_text]
        self.limits.setText("\n".join(f"Left: {text}" for text in limits if text))
        self.limits.setVisible(bool(self.limits.text()))
        self.place_button.setText("Send LIVE order" if mode == LIVE else "Place SHADOW order")
        background, foreground = MODE_COLORS[LIVE]
        self.place_button.setStyleSheet(
            f"QPushButton:enabled {{ background: {background}; color: {foreground}; font-weight: bold; }}"
            if mode == LIVE
            else ""
        )
        self._sync_place()

    def _sync_fields(self) -> None:
        order_type = str(self.order_type.currentData())
        self.limit_price.setEnabled(order_type in NEEDS_LIMIT)
        self.stop_price.setEnabled(order_type in NEEDS_STOP)
        self.limit_price.setPlaceholderText("price" if order_type in NEEDS_LIMIT else "not used")
        self.stop_price.setPlaceholderText("trigger" if order_type in NEEDS_STOP else "not used")
        self._sync_place()

    def missing(self) -> str:
        """What is obviously missing before the core is asked, or ""."""
        values = self.values()
        if not values.quantity:
            return "Enter a quantity."
        if values.order_type in NEEDS_LIMIT and not values.limit_price:
            return "Enter a limit price."
        if values.order_type in NEEDS_STOP and not values.stop_price:
            return "Enter a stop price."
        return ""

    def _sync_place(self) -> None:
        context = self.context
        if context is None or not context.can_place:
            blocker = self._why_not if context is None else context.why_not or "Orders cannot be placed now."
            self.place_button.setEnabled(False)
            self.hint.setText(blocker)
        else:
            missing = self.missing()
            self.place_button.setEnabled(not missing)
            self.hint.setText(missing)
        self.hint.setVisible(bool(self.hint.text()))

    def _place(self) -> None:
        if self.context is not None and self.context.can_place and not self.missing():
            self.result.clear()
            self.placeRequested.emit(self.values())
