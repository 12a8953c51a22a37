"""The tick chart: last price over a bid/ask band, and volume bars below on the same time axis.

Every item is created once; an update only calls `setData`/`setOpts` and sets the X range itself, so
pyqtgraph never auto-ranges X. The range follows the data: a new instrument's first samples start at
the left edge of a short range, the range then spans all the data there is until it reaches the
window (default 5 minutes), and from then on it scrolls. Only the window's samples are handed over,
and clip-to-view with peak downsampling keeps them to about one point per pixel column.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFontMetrics, QPainterPath
from PySide6.QtWidgets import QGraphicsPathItem, QWidget

from widgets.market_view_models import COLORS

BAND_POINTS = 1500  # columns of the bid/ask fill; more than any screen shows across the window
VOLUME_BINS = 120  # about this many bars across the range: wide enough to read
# Bar widths in seconds, so bars stay aligned to the clock (and do not jitter) while the range grows.
BAR_WIDTHS_S = (0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0, 60.0)
MIN_PRICE_STEPS = 6  # the price axis spans at least this many steps of its last decimal
MIN_VOLUME_RANGE = 10.0  # shares
MIN_SPAN_S = 30.0  # the shortest time range shown: a few seconds of data start at its left edge
# Round steps between time labels, in seconds; the axis takes the finest that leaves room for each label.
TIME_STEPS_S = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
TIME_FORMAT = "%H:%M:%S"


class ValueAxis(pg.AxisItem):
    """Tick labels in the instrument's own format: prices to the tick's decimals, volume compact."""

    def __init__(self, orientation: str, volume: bool = False) -> None:
        super().__init__(orientation)
        self.decimals = 2
        self.volume = volume
        self.enableAutoSIPrefix(False)

    def set_decimals(self, decimals: int) -> None:
        self.decimals = decimals
        self.picture = None  # the cached tick labels
        self.update()

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        if self.volume:
            return [_compact(v) for v in values]
        return [f"{v:,.{self.decimals}f}" for v in values]


class TimeAxis(pg.AxisItem):
    """Local wall-clock labels (HH:MM:SS) at round steps, as many as fit side by side, never none.

    pyqtgraph's DateAxisItem picks its steps from zoom levels and leaves a short axis with one label or
    none; here the step is chosen from the axis' own length in pixels, so a few labels always show.
    """

    def __init__(self) -> None:
        super().__init__("bottom")
        self.enableAutoSIPrefix(False)

    def label_width(self) -> float:
        """Pixels one label takes, with a gap to the next."""
        font = self.style["tickFont"] or self.font()
        return float(QFontMetrics(font).horizontalAdvance("00:00:00")) + 24

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, list[float]]]:
        span = maxVal - minVal
        if not (span > 0 and size > 0 and math.isfinite(span)):
            return []
        room = max(2, int(size // self.label_width()))
        step = next((s for s in TIME_STEPS_S if span / s <= room), TIME_STEPS_S[-1])
        offset = time.localtime(minVal).tm_gmtoff  # steps fall on round local times, e.g. every :15
        first = math.ceil((minVal + offset) / step) * step - offset
        return [(float(step), [float(v) for v in np.arange(first, maxVal + step * 1e-6, step)])]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [time.strftime(TIME_FORMAT, time.localtime(round(v))) for v in values]


def _compact(value: float) -> str:
    for divisor, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= divisor:
            return f"{value / divisor:.4g}{suffix}"
    return f"{value:.0f}"


class TickChart(pg.GraphicsLayoutWidget):
    """Spans the data there is, up to a window (default 5 minutes) that then scrolls with the newest sample."""

    def __init__(self, window_s: float = 300.0, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent)
        self.setBackground(COLORS["background"])
        self.window_s = window_s
        self.ci.setContentsMargins(4, 4, 4, 4)
        self.ci.setSpacing(0)
        self.price_axis = ValueAxis("right")
        self.time_axis = TimeAxis()
        self.price_plot: pg.PlotItem = self.addPlot(
            row=0, col=0, axisItems={"bottom": TimeAxis(), "right": self.price_axis}
        )
        self.volume_plot: pg.PlotItem = self.addPlot(
            row=1, col=0, axisItems={"bottom": self.time_axis, "right": ValueAxis("right", volume=True)}
        )
        self.ci.layout.setRowStretchFactor(0, 4)
        self.ci.layout.setRowStretchFactor(1, 1)
        self.volume_plot.setXLink(self.price_plot)
        self.price_plot.hideAxis("bottom")
        for plot in (self.price_plot, self.volume_plot):
            plot.setClipToView(True)
            plot.setDownsampling(auto=True, mode="peak")
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.showGrid(x=True, y=True, alpha=0.12)
            plot.showAxis("right")
            plot.hideAxis("left")
            plot.getAxis("right").setWidth(64)
            for name in ("right", "bottom"):
                axis = plot.getAxis(name)
                axis.setPen(COLORS["grid"])
                axis.setTextPen(COLORS["muted"])
            plot.vb.setMouseEnabled(x=False, y=False)
            plot.vb.enableAutoRange(axis="y", enable=True)
            plot.vb.setAutoVisible(y=True)
            plot.vb.enableAutoRange(axis="x", enable=False)

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
        self.last_curve = self.price_plot.plot(pen=pg.mkPen(COLORS["text"], width=1.5))
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
        # Flat data must not zoom in below the price format (or to fractions of a share): the labels
        # would repeat one value, e.g. 190.00 190.00 190.01 190.01.
        self.volume_plot.vb.setLimits(yMin=0, minYRange=MIN_VOLUME_RANGE)
        self._decimals = 2
        self.price_plot.vb.setLimits(minYRange=MIN_PRICE_STEPS * 10.0**-self._decimals)
        self._bar_x = np.empty(0)
        self._bar_height = np.empty(0)

    def set_history(
        self,
        t: np.ndarray,
        last: np.ndarray,
        bid: np.ndarray,
        ask: np.ndarray,
        volume: np.ndarray,
        decimals: int = 2,
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
        self.last_line.setVisible(bool(len(finite)))
        if len(finite):
            if decimals != self._decimals:
                self._decimals = decimals
                self.price_axis.set_decimals(decimals)
                self.price_plot.vb.setLimits(minYRange=MIN_PRICE_STEPS * 10.0**-decimals)
                self.last_line.label.format = f"{{value:,.{decimals}f}}"
            self.last_line.setValue(float(finite[-1]))
        self._bar_x, self._bar_height, width = self._bin_volume(t, volume, span)
        self.volume_bars.setOpts(x=self._bar_x, height=self._bar_height, width=width)

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

    def bar_data(self) -> tuple[np.ndarray, np.ndarray]:
        """The volume bars as drawn: bin centres (epoch s) and summed sizes."""
        return self._bar_x, self._bar_height
