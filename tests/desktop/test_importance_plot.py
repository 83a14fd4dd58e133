"""The Importance tab: fANOVA shares with their spread over the forest's trees."""

import numpy as np
import pytest

from desktop.plots import PlotsWidget
from desktop.trial_feed import TrialFeed
from tests.desktop.test_surrogate_plot import make_study


@pytest.fixture
def panel(qtbot):
    widget = PlotsWidget(TrialFeed())
    qtbot.addWidget(widget)
    widget.resize(900, 500)
    widget.show()
    return widget


def test_bars_carry_whiskers_of_their_spread_over_the_trees(qtbot, panel):
    panel.feed.set_study(make_study(60))
    plot = panel.plots["importance"]
    with qtbot.waitSignal(plot.fitted, timeout=30_000):
        panel.show_plot("importance")
    shares, spread = plot.bar_values(), plot.whisker_values()
    assert max(shares, key=shares.get) == "lr" and set(spread) == set(shares)
    assert all(v > 0 for v in spread.values())
    # One whisker per bar, centred on the bar's end, as wide as the spread each side.
    x, right = plot.whiskers.opts["x"], plot.whiskers.opts["right"]
    names = plot.result.names
    np.testing.assert_allclose(x, [100 * shares[n] for n in names])
    np.testing.assert_allclose(right, [100 * spread[n] for n in names])
    assert "functional ANOVA" in plot.plot.titleLabel.text
    assert "standard deviation over the trees" in plot.note.text
