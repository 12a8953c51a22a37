"""The chart's price and volume axes label round, distinct values at every height, read back as drawn."""

from __future__ import annotations

import re
from fractions import Fraction

import numpy as np
import pytest

from tests.widgets.axis_labels import drawn_labels
from widgets.chart_axes import round_steps
from widgets.tick_chart import TickChart

T0 = 1_760_000_000.0
HEIGHTS = (200, 600, 1300)


def flat(price: float, tick: float, volume: float, n: int = 40) -> dict[str, np.ndarray]:
    """One price and one size for every sample: the narrowest range the axes ever get."""
    last = np.full(n, price)
    return {"last": last, "bid": last - tick, "ask": last + tick, "volume": np.full(n, volume)}


def walk(price: float, tick: float, volume: float, n: int = 400, seed: int = 3) -> dict[str, np.ndarray]:
    """A random walk of a few ticks a step, with sizes around `volume`."""
    rng = np.random.default_rng(seed)
    last = price + np.cumsum(rng.integers(-2, 3, n)) * tick
    sizes = np.where(rng.random(n) < 0.5, rng.integers(1, 9, n) * volume, 0)
    return {"last": last, "bid": last - tick, "ask": last + tick, "volume": sizes.astype(float)}


MARKETS = {
    # name: (tick size, samples)
    "flat stock": (0.01, flat(190.0, 0.01, 0.0)),
    "moving stock": (0.01, walk(189.42, 0.01, 100.0)),
    "FX, 4 decimals": (0.0001, flat(1.0842, 0.0001, 1_000_000.0)),
    "moving FX, half pips": (0.00005, walk(1.08425, 0.00005, 250_000.0)),
    "future in quarters": (0.25, walk(5200.25, 0.25, 12_345.0)),
}


def number(label: str) -> Fraction:
    """A drawn label as an exact number: 1,234.50 -> 1234.5, 12.5k -> 12500."""
    match = re.fullmatch(r"(-?[\d,]+(?:\.\d+)?)([kMB]?)", label)
    assert match, label
    scale = {"": 1, "k": 10**3, "M": 10**6, "B": 10**9}[match.group(2)]
    return Fraction(match.group(1).replace(",", "")) * scale


def shown_chart(qtbot, height: int, tick: float, samples: dict[str, np.ndarray]) -> TickChart:
    chart = TickChart()
    qtbot.addWidget(chart)
    chart.resize(640, height)
    chart.show()
    qtbot.waitExposed(chart)
    t = T0 + np.arange(len(samples["last"])) * 0.25
    chart.set_history(t, samples["last"], samples["bid"], samples["ask"], samples["volume"], tick)
    chart.grab()  # pyqtgraph ranges Y just before it paints
    return chart


@pytest.mark.parametrize("height", HEIGHTS)
@pytest.mark.parametrize("market", MARKETS)
def test_price_labels_are_distinct_sorted_multiples_of_the_tick(qtbot, market, height):
    tick, samples = MARKETS[market]
    chart = shown_chart(qtbot, height, tick, samples)

    labels = drawn_labels(chart.price_axis)
    values = [number(label) for label in labels]
    assert len(labels) >= 3, labels
    assert values == sorted(set(values)), labels  # ascending, and no two labels read the same
    unit = Fraction(str(tick))
    assert all((value / unit).denominator == 1 for value in values), labels
    low, high = chart.price_plot.vb.viewRange()[1]
    assert all(low <= value <= high for value in values), (labels, low, high)


@pytest.mark.parametrize("height", HEIGHTS)
@pytest.mark.parametrize("market", MARKETS)
def test_volume_labels_are_distinct_sorted_whole_shares(qtbot, market, height):
    tick, samples = MARKETS[market]
    chart = shown_chart(qtbot, height, tick, samples)

    labels = drawn_labels(chart.volume_axis)
    values = [number(label) for label in labels]
    # The volume pane is a quarter of the plots: a 200 px chart leaves it room for a label or two.
    assert len(labels) >= (3 if height >= 600 else 1), labels
    assert values == sorted(set(values)), labels
    assert all(value.denominator == 1 and value > 0 for value in values), labels


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        (0.01, [0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0]),
        (0.25, [0.25, 0.5, 1.0, 2.0, 2.5, 5.0]),  # whole points next, never 1.25
        (0.0001, [0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.0025, 0.005, 0.01]),
        (1 / 32, [1 / 32, 1 / 16, 5 / 32, 0.25, 0.5, 1.0]),  # a unit no round step divides, until 0.25
        (1.0, [1.0, 2.0, 5.0, 10.0, 20.0, 25.0, 50.0, 100.0]),
    ],
)
def test_round_steps_are_whole_multiples_of_the_unit(unit, expected):
    steps = round_steps(unit, expected[-1])
    assert steps[: len(expected)] == pytest.approx(expected)
    assert steps[-1] > expected[-1]  # one past the span, for a span that fits in one step
    assert all(abs(step / unit - round(step / unit)) < 1e-9 for step in steps)
