"""The window's trading: the mode switch, the typed-confirm dialog, the order ticket and the blotter, bound
to the one trading desk the CLI uses too.

At start every profile goes back to SHADOW (audited) and the audit log is verified; a broken log is reported
at once. Once a second the controller runs each profile's readiness checklist from its running session and
the viewer's market feed, drops a LIVE profile whose checklist fails, and shows what the shared mode state
says (the CLI may have changed it). Resting SHADOW orders are matched against the book four times a second;
LIVE orders follow the broker's order stream and are polled at its pace (one order-list call per 5 s)
while any is open. Structures (bracket, OCO, OTO) go through the same desk (`app.structure_rows` has their
rows), and reconciliation runs on request and after every reconnect (`app.reconciliation`).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, QTimer

from app.market_controller import MarketController
from app.operations import Operations
from app.reconciliation import Reconciler
from app.session_bridge import SessionBridge
from app.structure_rows import (
    blotter_rows,
    cancel_result_text,
    leg_label,
    structure_preview,
    structure_request,
    structure_result_text,
)
from app.trading_rows import (
    ProfileTrading,
    TicketInputError,
    mode_view,
    order_request,
    order_result_text,
    question_view,
    read_only_text,
    tick_text,
    ticket_context,
)
from brokers.core.accounts import mask_account
from brokers.core.market import DataAge, InstrumentQuotes
from brokers.core.order_route import OrderRoute
from brokers.core.orders import BrokerExecution, BrokerOrder, Mode, OrderStatus
from brokers.core.profiles import Profile
from brokers.core.registry import Registry
from brokers.trading.audit import AuditLog
from brokers.trading.desk import TradingDesk
from brokers.trading.gate import ArmingRefused, ModeGate, WrongPhrase
from brokers.trading.limits import LimitError, Limits
from brokers.trading.mode_state import ModeStore
from brokers.trading.order_book import OrderRecord
from brokers.trading.readiness import Checklist, checklist, session_inputs
from brokers.trading.simulator import ShadowSimulator
from widgets.main_window import MainWindow
from widgets.trading_views import SINGLE, TicketValues

log = logging.getLogger(__name__)

SUPERVISE_INTERVAL_MS = 1000
SHADOW_MATCH_INTERVAL_MS = 250
BROKER_POLL_INTERVAL_S = 5.0  # IBKR allows one /iserver/account/orders call per 5 s


class TradingController(QObject):
    def __init__(
        self,
        data_dir: Path,
        window: MainWindow,
        registry: Registry,
        sessions: SessionBridge,
        market: MarketController,
        operations: Operations,
        profiles: Callable[[], Sequence[Profile]],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._registry = registry
        self._sessions = sessions
        self._market = market
        self._operations = operations
        self._profiles = profiles
        data_dir.mkdir(parents=True, exist_ok=True)
        self.gate = ModeGate(ModeStore(data_dir), AuditLog(data_dir), "window")
        self.desk = TradingDesk(
            data_dir,
            "window",
            self.gate,
            route_for=self.route_for,
            readiness_for=lambda request: self.checklist_for(request.profile, request.conid),
            quotes_for=lambda request: self.quotes_for(request.conid),
            simulator=ShadowSimulator(),
        )
        self._notes: dict[str, str] = {}
        self._polled_at = 0.0
        self._polling = False
        self._matched_version: tuple[int, int] | None = None
        self._asked: set[str] = set()  # questions already put to the trader
        self._listening: dict[str, OrderRoute] = {}  # routes streaming order updates to the desk
        self._supervisor = QTimer(self)
        self._supervisor.setInterval(SUPERVISE_INTERVAL_MS)
        self._supervisor.timeout.connect(self.supervise)
        self._matcher = QTimer(self)
        self._matcher.setInterval(SHADOW_MATCH_INTERVAL_MS)
        self._matcher.timeout.connect(self._match_shadow_orders)
        self.reconciler = Reconciler(self.desk, window, operations, self.route_for, window.mode_switch.selected_profile)

        switch = window.mode_switch
        switch.armRequested.connect(self.arm)
        switch.shadowRequested.connect(self.to_shadow)
        window.everything_shadow_action.triggered.connect(self.everything_to_shadow)
        switch.limitsRequested.connect(self.set_limits)
        switch.profileSelected.connect(lambda _name: self.supervise())
        window.blotter.reconcileRequested.connect(lambda: self.reconciler.run(switch.selected_profile()))
        window.blotter.cancelStructureRequested.connect(self.cancel_structure)
        window.order_ticket.valuesChanged.connect(self._preview)
        window.confirm_dialog.confirmed.connect(self.confirm)
        window.confirm_dialog.cancelled.connect(self._arming_cancelled)
        window.order_ticket.placeRequested.connect(self.place)
        window.question_dialog.answered.connect(self.answer)
        window.blotter.cancelRequested.connect(self.cancel)

    def start(self) -> None:
        self.gate.reset_all("the window started: every profile starts in SHADOW")
        verdict = self.gate.audit.verify()
        if not verdict.ok:
            summary = f"The trading audit log is broken ({len(verdict.problems)} problem(s)); it was not rewritten."
            details = (
                "\n".join(verdict.problems) + f"\n\n{self.gate.audit.path}\nCheck it with `brokerdeck audit verify`."
            )
            self._window.error_dialog.add_error(summary, details, str(self.gate.audit.path))
            log.error("%s %s", summary, "; ".join(verdict.problems))
        self._supervisor.start()
        self._matcher.start()
        self.supervise()

    def stop(self) -> None:
        self._supervisor.stop()
        self._matcher.stop()
        for route in self._listening.values():
            route.listen(None)
        self._listening.clear()

    # -- what the desk asks of the window --------------------------------------------------------------------

    def route_for(self, name: str) -> OrderRoute | None:
        session = self._sessions.session(name)
        return session.order_route() if session is not None else None

    def quotes_for(self, conid: int | None) -> InstrumentQuotes | None:
        feed = self._market.feed
        if feed is None or conid is None or conid != self._market.conid:
            return None  # only the instrument in the viewer is streamed
        return feed.quotes(conid)

    def checklist_for(self, name: str, conid: int | None, limits: Limits | None = None) -> Checklist:
        profile = next((p for p in self._profiles() if p.name == name), None)
        feed = self._market.feed
        streamed = feed is not None and conid is not None and conid == self._market.conid
        age: DataAge = feed.data_age(conid, time.monotonic()) if feed is not None and conid and streamed else "none"
        quotes = self.quotes_for(conid)
        detail = quotes.symbol if quotes is not None else ("the instrument in the viewer" if conid else "")
        facts = session_inputs(
            name,
            profile is not None and self._registry.of(profile).trades,
            self._sessions.session(name),
            limits if limits is not None else self.desk.limits.get(name),
            age,
            detail,
            time.time(),
        )
        return checklist(facts)

    # -- once a second -----------------------------------------------------------------------------------------

    def supervise(self) -> None:
        """Run every checklist, drop a LIVE profile whose checklist fails, and show the shared mode state."""
        facts: list[ProfileTrading] = []
        names: dict[str, str] = {}
        for profile in self._profiles():
            names[profile.name] = profile.display_name
            limits = self.desk.limits.get(profile.name)
            checks = self.checklist_for(profile.name, self._market.conid, limits)
            if self.gate.supervise(profile.name, checks):
                self._notes[profile.name] = f"Back to SHADOW: {checks.summary()}"
                log.warning("%s fell back to SHADOW: %s", profile.name, checks.summary())
            facts.append(
                ProfileTrading(
                    profile.name,
                    self._registry.of(profile).trades,
                    self.gate.state(profile.name),
                    checks,
                    limits,
                    self._notes.get(profile.name, ""),
                )
            )
        self._window.show_trading_modes(tuple(mode_view(f) for f in facts))
        records = self.desk.records()
        live_modes = {f.profile for f in facts if f.state.mode is Mode.LIVE}
        self._follow_order_updates(records, live_modes)
        selected = next((f for f in facts if f.profile == self._window.mode_switch.selected_profile()), None)
        self._show_ticket(read_only_text(names[selected.profile], selected.checklist) if selected else "")
        self._show_blotter(records)
        self._poll_when_due(records)
        self.reconciler.after_reconnects(f.profile for f in facts if f.can_trade)
        self.reconciler.show()

    def _follow_order_updates(self, records: Sequence[OrderRecord], live_modes: set[str]) -> None:
        """Stream the broker's order updates for profiles that are LIVE or still have LIVE orders open (a hint;
        the 5 s poll confirms); stop once neither holds."""
        open_live = {r.request.profile for r in records if r.mode is Mode.LIVE and not r.status.final}
        wanted: dict[str, OrderRoute] = {}
        for name in open_live | live_modes:
            route = self.route_for(name)
            if route is not None:
                wanted[name] = route
        for name, route in list(self._listening.items()):
            if wanted.get(name) is not route:
                route.listen(None)
                del self._listening[name]
        for name, route in wanted.items():
            if name not in self._listening:
                route.listen(self._broker_updated)
                self._listening[name] = route

    def _broker_updated(self, orders: tuple[BrokerOrder, ...], executions: tuple[BrokerExecution, ...]) -> None:
        if self.desk.apply_broker_updates(orders, executions):
            self._show_blotter(self.desk.records())

    def _show_ticket(self, read_only: str) -> None:
        name = self._window.mode_switch.selected_profile()
        conid = self._market.conid
        quotes = self.quotes_for(conid)
        if not name:
            self._window.order_ticket.show_context(None)
            return
        state = self.gate.state(name)
        why_not = "" if conid is not None else "Open an instrument in the market viewer first."
        symbol = quotes.symbol if quotes is not None else ""
        headroom = self.desk.headroom(name, state.mode)
        route = self.route_for(name) if state.mode is Mode.LIVE else None
        account = route.account if route is not None else state.account
        kinds = frozenset(kind.value for kind in route.structures) if route is not None else frozenset()
        tick = tick_text(quotes.tick_size() if quotes is not None else None)
        context = ticket_context(name, state.mode, account, symbol, conid, headroom, why_not, read_only, kinds, tick)
        self._window.order_ticket.show_context(context)

    def _preview(self, values: TicketValues) -> None:
        """The ticket's structure against the limits, as the trader types (the desk decides on Place)."""
        headroom = self.desk.headroom(values.profile, self.gate.mode(values.profile))
        preview = structure_preview(values, self.quotes_for(values.conid), headroom)
        self._window.order_ticket.show_preview(preview)

    def _show_blotter(self, records: Sequence[OrderRecord]) -> None:
        self._window.blotter.show_rows(blotter_rows(records))
        for record in records:
            if record.status is OrderStatus.QUESTION and record.key not in self._asked:
                self._ask(record)

    def _poll_when_due(self, records: Sequence[OrderRecord]) -> None:
        """Every 5 s while LIVE orders are open; never while the broker waits for an answer (IBKR drops a
        question's order when other requests arrive before the reply)."""
        open_live = any(r.mode is Mode.LIVE and not r.status.final for r in records)
        asking = any(r.status is OrderStatus.QUESTION for r in records)
        now = time.monotonic()
        if not open_live or asking or self._polling or now - self._polled_at < BROKER_POLL_INTERVAL_S:
            return
        self._polling = True
        self._polled_at = now

        def done(records: tuple[OrderRecord, ...]) -> None:
            self._polling = False
            self._show_blotter(self.desk.records())

        def failed(error: BaseException) -> None:
            self._polling = False
            log.warning("Reading the broker's orders failed: %s", error)

        self._operations.run(self.desk.poll(), done, failed)

    def _match_shadow_orders(self) -> None:
        conid = self._market.conid
        quotes = self.quotes_for(conid)
        if conid is None or quotes is None:
            return
        version = (conid, quotes.version)
        if version == self._matched_version:
            return
        self._matched_version = version
        if self.desk.on_market(conid, quotes):
            self._show_blotter(self.desk.records())

    # -- the trader's intents ----------------------------------------------------------------------------------

    def arm(self, name: str) -> None:
        checks = self.checklist_for(name, self._market.conid)
        route = self.route_for(name)
        try:
            arming = self.gate.begin_arming(name, checks, route.account if route is not None else "")
        except ArmingRefused as exc:
            self._notes[name] = str(exc)
            self.supervise()
            return
        self._window.confirm_dialog.open_for(name, mask_account(arming.account), arming.phrase)

    def confirm(self, name: str, typed: str) -> None:
        try:
            self.gate.confirm(name, typed, self.checklist_for(name, self._market.conid))
        except (WrongPhrase, ArmingRefused) as exc:
            self._window.confirm_dialog.show_error(str(exc))
            return
        self._notes.pop(name, None)
        self._window.confirm_dialog.accept()
        self.supervise()

    def _arming_cancelled(self, name: str) -> None:
        self._notes[name] = "Arming cancelled: still SHADOW."
        self.supervise()

    def to_shadow(self, name: str) -> None:
        self.gate.to_shadow(name, "the trader pressed Back to SHADOW")
        self._notes[name] = "Back to SHADOW (by you)."
        self.supervise()

    def everything_to_shadow(self) -> None:
        """Every profile back to SHADOW in one step (the Trading menu, the tray), through the gate as `mode shadow`."""
        for name in self.gate.everything_to_shadow("the trader chose Everything back to SHADOW"):
            self._notes[name] = "Back to SHADOW (by you, every profile)."
        self.supervise()

    def set_limits(self, name: str, per_order: str, daily: str) -> None:
        try:
            limits = self.desk.limits.set(name, per_order, daily)
        except LimitError as exc:
            self._window.mode_switch.show_limits_error(str(exc))
            return
        what = {"per_order": str(limits.per_order), "daily": str(limits.daily)}
        self.gate.audit.append("window", "limits.set", name, what, "set in the Trading panel")
        self._window.mode_switch.show_limits_error("")
        self.supervise()

    def place(self, values: TicketValues) -> None:
        decision_id = f"window-{uuid.uuid4().hex}"
        try:
            if values.structure != SINGLE:
                structure = structure_request(values, self.quotes_for(values.conid), decision_id)
                self._run(self.desk.place_structure(structure), lambda r: (structure_result_text(r), r.ok))
                return
            request = order_request(values, decision_id=decision_id)
        except (TicketInputError, ValueError) as exc:
            self._window.order_ticket.show_result(str(exc), False)
            return
        self._run(self.desk.place(request), order_result_text)

    def answer(self, key: str, confirm: bool) -> None:
        self._run(self.desk.answer(key, confirm), order_result_text)

    def cancel(self, key: str) -> None:
        self._run(self.desk.cancel(key), order_result_text)

    def cancel_structure(self, key: str) -> None:
        self._run(self.desk.cancel_structure(key), cancel_result_text)

    def _run[T](self, work: Awaitable[T], said: Callable[[T], tuple[str, bool]]) -> None:
        def done(result: T) -> None:
            text, ok = said(result)
            if not ok:
                log.info("Not done: %s", text)
            self._window.order_ticket.show_result(text, ok)
            self.supervise()

        def failed(error: BaseException) -> None:
            self._window.order_ticket.show_result(f"Not done: {error}", False)
            self._operations.report(error)
            self.supervise()

        self._operations.run(work, done, failed)

    def _ask(self, record: OrderRecord) -> None:
        route = self.route_for(record.request.profile)
        view = question_view(record, route.account if route is not None else "")
        if view is not None and record.structure:
            view = replace(view, order_label=f"{leg_label(record)}: {view.order_label}")
        if view is not None:
            self._asked.add(record.key)
            self._window.question_dialog.open_for(view)
