"""The tick chart's axes: prices at round multiples of the instrument's tick, whole shares, wall-clock times.

pyqtgraph picks tick spacings from the range alone, so a narrow price range on a tall axis gets steps
finer than the price format (190.00 190.00 190.01 190.01) and volume gets fractions of a share. Here
every axis picks its own step from the values it may show and the pixels it has: labels are always
distinct, round, and as many as fit with room between them.
"""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFontMetrics

# Round steps between time labels, in seconds; the axis takes the finest that leaves room for each label.
TIME_STEPS_S = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
TIME_FORMAT = "%H:%M:%S"
ROUND_MANTISSAS = (1.0, 2.0, 2.5, 5.0)  # a round step is one of these times a power of ten
UNIT_MULTIPLES = (1, 2, 5)  # steps of an odd unit (1/32, 0.03): these times a power of ten of it
COMFORTABLE_GAP = 3.0  # label heights from one price or volume label to the next, when there is room
TIGHT_GAP = 1.2  # the least, taken only to show MIN_LABELS on a short axis
MIN_LABELS = 3


def round_steps(unit: float, up_to: float) -> list[float]:
    """Every step from `unit` to past `up_to` that is a whole multiple of `unit`, finest first.

    Steps are round (1, 2, 2.5 or 5 times a power of ten) where a multiple of the unit is: a 0.25 tick
    gives 0.25, 0.5, 1, 2, 2.5, 5. Below the first round one (all the way, for a unit such as 0.03) they
    are the unit times 1, 2 or 5 times a power of ten: 1/32 gives 1/32, 1/16, 5/32, then 0.25, 0.5, 1.
    """
    round_multiples: set[int] = set()
    unit_multiples: set[int] = set()
    exponent = math.floor(math.log10(unit))
    for power in itertools.count():
        decade = 10.0 ** (exponent + power)
        for mantissa in ROUND_MANTISSAS:
            multiple = mantissa * decade / unit
            if multiple >= 1 - 1e-9 and abs(multiple - round(multiple)) < 1e-6:
                round_multiples.add(round(multiple))
        unit_multiples.update(m * 10**power for m in UNIT_MULTIPLES)
        if decade > up_to:
            break
    first_round = min(round_multiples, default=math.inf)
    multiples = round_multiples | {n for n in unit_multiples if n < first_round}
    return [unit * n for n in sorted(multiples)]  # exact multiples: no float drift between the labels


class StepAxis(pg.AxisItem):
    """A vertical axis whose ticks sit on whole multiples of `unit`, at round steps, never closer than a label.

    The step is the finest with COMFORTABLE_GAP between labels; on a short axis that would leave fewer
    than MIN_LABELS in view, a finer one down to TIGHT_GAP. The labels pyqtgraph then draws are those
    values, one text each, so no two of them can read the same.
    """

    def __init__(self, unit: float) -> None:
        super().__init__("right")
        self.unit = unit
        self.enableAutoSIPrefix(False)

    def set_unit(self, unit: float) -> None:
        self.unit = unit
        self.picture = None  # the cached tick labels
        self.update()

    def label_height(self) -> float:
        font = self.style["tickFont"] or self.font()
        return float(QFontMetrics(font).height())

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, list[float]]]:
        span = maxVal - minVal
        if not (span > 0 and size > 0 and math.isfinite(span) and self.unit > 0):
            return []
        step = self.step_for(minVal, maxVal, size)
        first, last = math.ceil(minVal / step - 1e-9), math.floor(maxVal / step + 1e-9)
        return [(step, [n * step for n in range(first, last + 1)])]

    def step_for(self, low: float, high: float, size: float) -> float:
        """The step for a view from `low` to `high` drawn over `size` pixels (see the class doc)."""
        per_pixel = (high - low) / size
        label = self.label_height()
        margin = label / 2 * per_pixel  # a label centred nearer the end than this is cut, so not drawn
        steps = round_steps(self.unit, high - low)
        readable = [s for s in steps if s >= TIGHT_GAP * label * per_pixel] or steps[-1:]
        comfortable = next((s for s in readable if s >= COMFORTABLE_GAP * label * per_pixel), readable[-1])
        if _count(low + margin, high - margin, comfortable) >= MIN_LABELS:
            return comfortable
        enough = [s for s in readable if _count(low + margin, high - margin, s) >= MIN_LABELS]
        return enough[-1] if enough else readable[0]


def _count(low: float, high: float, step: float) -> int:
    """How many multiples of `step` lie from `low` to `high`."""
    return max(0, math.floor(high / step + 1e-9) - math.ceil(low / step - 1e-9) + 1)


class PriceAxis(StepAxis):
    """Prices at multiples of the instrument's tick, to the decimals the tick needs."""

    def __init__(self) -> None:
        super().__init__(0.01)
        self.decimals = 2

    def set_tick(self, tick_size: float, decimals: int) -> None:
        self.decimals = decimals
        self.set_unit(tick_size if tick_size > 0 else 10.0**-decimals)

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [f"{v:,.{self.decimals}f}" for v in values]


class VolumeAxis(StepAxis):
    """Whole shares, compact (12.5k, 1.2M)."""

    def __init__(self) -> None:
        super().__init__(1.0)

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [compact(v) for v in values]


def compact(value: float) -> str:
    for divisor, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= divisor:
            return f"{value / divisor:.4g}{suffix}"
    return f"{value:.0f}"


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
