"""The tick chart: last price over a bid/ask band, and volume bars below on the same time axis.

Every item is created once; an update only calls `setData`/`setOpts` and sets the X range itself, so
pyqtgraph never auto-ranges X. The range follows the data: a new instrument's first samples start at
the left edge of a short range, the range then spans all the data there is until it reaches the
window (default 5 minutes), and from then on it scrolls. Only the window's samples are handed over,
and clip-to-view with peak downsampling keeps them to about one point per pixel column.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QPainterPath
from PySide6.QtWidgets import QGraphicsPathItem, QWidget

from widgets.chart_axes import PriceAxis, TimeAxis, VolumeAxis
from widgets.market_view_models import COLORS, price_decimals

BAND_POINTS = 400  # columns of the bid/ask fill: a few pixels each on a wide chart, and a quarter of the fill cost
VOLUME_BINS = 120  # about this many bars across the range: wide enough to read
# Bar widths in seconds, so bars stay aligned to the clock (and do not jitter) while the range grows.
BAR_WIDTHS_S = (0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0, 60.0)
MIN_PRICE_STEPS = 10  # the price axis spans at least this many ticks
MIN_VOLUME_RANGE = 10.0  # shares
RANGE_PADDING = 0.05  # of the span, above and below the data
MIN_SPAN_S = 30.0  # the shortest time range shown: a few seconds of data start at its left edge


class TickChart(pg.GraphicsLayoutWidget):
    """Spans the data there is, up to a window (default 5 minutes) that then scrolls with the newest sample."""

    def __init__(self, window_s: float = 300.0, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent)
        self.setBackground(COLORS["background"])
        self.window_s = window_s
        self.ci.setContentsMargins(4, 4, 4, 4)
        self.ci.setSpacing(0)
        self.price_axis = PriceAxis()
        self.volume_axis = VolumeAxis()
        self.time_axis = TimeAxis()
        self.price_plot: pg.PlotItem = self.addPlot(
            row=0, col=0, axisItems={"bottom": TimeAxis(), "right": self.price_axis}
        )
        self.volume_plot: pg.PlotItem = self.addPlot(
            row=1, col=0, axisItems={"bottom": self.time_axis, "right": self.volume_axis}
        )
        self.ci.layout.setRowStretchFactor(0, 3)
        self.ci.layout.setRowStretchFactor(1, 1)
        self.volume_plot.setXLink(self.price_plot)
        self.price_plot.hideAxis("bottom")
        for plot in (self.price_plot, self.volume_plot):
            plot.setClipToView(True)
            plot.setDownsampling(auto=True, mode="peak")
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.showGrid(x=False, y=True, alpha=0.12)  # price and size levels; time lines cost a fifth of a paint
            plot.showAxis("right")
            plot.hideAxis("left")
            plot.getAxis("right").setWidth(64)
            for name in ("right", "bottom"):
                axis = plot.getAxis(name)
                axis.setPen(COLORS["grid"])
                axis.setTextPen(COLORS["muted"])
            plot.vb.setMouseEnabled(x=False, y=False)
            # Both ranges are set from the data in `set_history`: pyqtgraph's auto-range would ask every item
            # for its bounds on each update, in Python, about as long as drawing the chart.
            plot.vb.disableAutoRange()

        self.bid_curve = self.price_plot.plot(pen=pg.mkPen(COLORS["bid"] + "a0", width=1))
        self.ask_curve = self.price_plot.plot(pen=pg.mkPen(COLORS["ask"] + "a0", width=1))
        band = pg.mkColor(COLORS["band"])
        band.setAlpha(45)
        # One closed path built with numpy: FillBetweenItem rebuilds polygons in Python per curve change (~7 ms).
        self.band = QGraphicsPathItem()
        self.band.setBrush(pg.mkBrush(band))
        self.band.setPen(pg.mkPen(None))
        self.band.setZValue(-1)
        self.price_plot.addItem(self.band, ignoreBounds=True)
        # One pixel wide: a wider pen makes pyqtgraph draw each segment on its own, at twice the cost.
        self.last_curve = self.price_plot.plot(pen=pg.mkPen(COLORS["text"], width=1))
        self.last_line = pg.InfiniteLine(
            angle=0,
            movable=False,
            pen=pg.mkPen(COLORS["last"], width=1, style=pg.QtCore.Qt.PenStyle.DashLine),
            label="{value:.2f}",
            labelOpts={
                "position": 0.97,
                "color": COLORS["last"],
                "fill": COLORS["background"],
                "anchors": [(1, 1), (1, 0)],
            },
        )
        self.last_line.setVisible(False)
        self.price_plot.addItem(self.last_line, ignoreBounds=True)
        self.volume_bars = pg.BarGraphItem(x=[], height=[], width=1.0, brush=COLORS["volume"], pen=None)
        self.volume_plot.addItem(self.volume_bars)
        # Flat data must not zoom in to a tick or two (or to a share): the axes would have one label or none.
        self.volume_plot.vb.setLimits(yMin=0, minYRange=MIN_VOLUME_RANGE)
        self._tick_size = 0.01
        self.price_plot.vb.setLimits(minYRange=MIN_PRICE_STEPS * self._tick_size)
        self._bar_x = np.empty(0)
        self._bar_height = np.empty(0)
        self._prices_shown = 0

    def set_history(
        self,
        t: np.ndarray,
        last: np.ndarray,
        bid: np.ndarray,
        ask: np.ndarray,
        volume: np.ndarray,
        tick_size: float = 0.01,
    ) -> None:
        """Show the samples over the range that follows them (see the module doc).

        Only the window (and the sample before it, so the line enters from the left edge) is handed to
        pyqtgraph, which keeps an update's cost independent of how much history the app keeps.
        """
        span = self.window_s
        if len(t):
            start, end = self.x_range_for(float(t[0]), float(t[-1]))
            span = end - start
            self.price_plot.setXRange(start, end, padding=0.0)
            first = max(0, int(np.searchsorted(t, float(t[-1]) - self.window_s, side="left")) - 1)
            t, last, bid, ask, volume = t[first:], last[first:], bid[first:], ask[first:], volume[first:]
        self.bid_curve.setData(t, bid, connect="finite")
        self.ask_curve.setData(t, ask, connect="finite")
        self.last_curve.setData(t, last, connect="finite")
        self.band.setPath(self._band_path(t, bid, ask))
        finite = last[np.isfinite(last)]
        self._prices_shown = len(finite)
        self.last_line.setVisible(bool(len(finite)))
        if len(finite):
            if tick_size != self._tick_size:
                self._show_tick(tick_size)
            self.last_line.setValue(float(finite[-1]))
        self._bar_x, self._bar_height, width = self._bin_volume(t, volume, span)
        self.volume_bars.setOpts(x=self._bar_x, height=self._bar_height, width=width)
        self._fit_ranges(np.concatenate((bid, ask, last)))

    def _fit_ranges(self, prices: np.ndarray) -> None:
        """The price range over what the window shows, and the volume range up to its tallest bar; the views'
        limits keep both at least a few ticks (and shares) tall."""
        prices = prices[np.isfinite(prices)]
        if len(prices):
            self.price_plot.setYRange(float(prices.min()), float(prices.max()), padding=RANGE_PADDING)
        tallest = float(self._bar_height.max()) if len(self._bar_height) else 0.0
        self.volume_plot.setYRange(0.0, max(tallest, MIN_VOLUME_RANGE), padding=RANGE_PADDING)

    def _show_tick(self, tick_size: float) -> None:
        """Price labels, the last-price tag and the shortest price range follow the instrument's tick."""
        self._tick_size = tick_size
        decimals = price_decimals(tick_size)
        self.price_axis.set_tick(tick_size, decimals)
        self.price_plot.vb.setLimits(minYRange=MIN_PRICE_STEPS * self.price_axis.unit)
        self.last_line.label.format = f"{{value:,.{decimals}f}}"

    def x_range_for(self, oldest: float, newest: float) -> tuple[float, float]:
        """The time range to show for data from `oldest` to `newest` (epoch s)."""
        span = newest - oldest
        if span >= self.window_s:
            return newest - self.window_s, newest
        if span >= MIN_SPAN_S:
            return oldest, newest
        return oldest, oldest + MIN_SPAN_S

    def _band_path(self, t: np.ndarray, bid: np.ndarray, ask: np.ndarray) -> QPainterPath:
        """The bid-to-ask area, peak-decimated to at most BAND_POINTS columns."""
        if not len(t):
            return QPainterPath()
        step = -(-len(t) // BAND_POINTS)
        if step > 1:  # widest spread per column; the newest sample is kept so the band reaches the edge
            starts = np.arange(0, len(t), step)
            t = np.append(t[starts], t[-1])
            bid = np.append(np.minimum.reduceat(bid, starts), bid[-1])
            ask = np.append(np.maximum.reduceat(ask, starts), ask[-1])
        x = np.concatenate((t, t[::-1]))
        y = np.concatenate((bid, ask[::-1]))
        keep = np.isfinite(y)
        path: QPainterPath = pg.arrayToQPath(x[keep], y[keep], connect="all")
        return path

    def _bin_volume(self, t: np.ndarray, volume: np.ndarray, span: float) -> tuple[np.ndarray, np.ndarray, float]:
        """Sum volume into epoch-aligned bins over the window: bars stay put as the window scrolls.

        The bins are about `span / VOLUME_BINS` wide, rounded up to a step of BAR_WIDTHS_S.
        """
        width = next((w for w in BAR_WIDTHS_S if w >= span / VOLUME_BINS), BAR_WIDTHS_S[-1])
        if not len(t):
            return np.empty(0), np.empty(0), width
        start = float(t[-1]) - self.window_s
        first = int(np.searchsorted(t, start, side="left"))
        t_in, v_in = t[first:], np.nan_to_num(volume[first:].astype(float, copy=False))
        bins = np.floor(t_in / width).astype(np.int64)
        base = bins[0] if len(bins) else 0
        heights = np.bincount(bins - base, weights=v_in)
        centers = (np.arange(len(heights)) + base + 0.5) * width
        keep = heights > 0
        return centers[keep], heights[keep], width * 0.8

    def prices_shown(self) -> int:
        """How many last prices the chart's window holds."""
        return self._prices_shown

    def bar_data(self) -> tuple[np.ndarray, np.ndarray]:
        """The volume bars as drawn: bin centres (epoch s) and summed sizes."""
        return self._bar_x, self._bar_height
