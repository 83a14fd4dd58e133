"""The Surrogate tab and the Slice plot's model curve, as a user sees them."""

import math

import numpy as np
import pytest

from desktop.plots import PlotsWidget
from desktop.plots.surrogate import ONE_PARAM
from desktop.plots.surrogate_curve import ModelCurve
from desktop.trial_feed import TrialFeed
from engine.space import CategoricalParam, FloatParam, IntParam
from engine.spec import StudySpec
from engine.study import Study
from engine.trial import TrialState

C = TrialState.COMPLETE
PARAMS = (FloatParam("lr", 1e-4, 1e-1, log=True), IntParam("layers", 1, 6),
          CategoricalParam("solver", ("adam", "sgd")))


def score(p: dict) -> float:
    return ((math.log10(p["lr"]) + 2.5) ** 2 + 0.1 * (p.get("layers", 3) - 3) ** 2
            + 0.5 * (p.get("solver") == "sgd"))


def make_study(n: int, sampler: str = "random", params=PARAMS, running: int = 0) -> Study:
    spec = StudySpec(name="surrogate", params=params, direction="minimize",
                     objective={"kind": "python", "path": "x.py", "function": "f"},
                     sampler=sampler, trials=n + running, seed=0)
    study = Study(spec)
    for _ in range(n):
        t = study.ask(worker=0)
        study.tell(t.number, C, value=score(t.params))
    for _ in range(running):
        study.ask(worker=1)
    return study


@pytest.fixture
def feed(qtbot):
    return TrialFeed()


@pytest.fixture
def panel(qtbot, feed):
    widget = PlotsWidget(feed)
    qtbot.addWidget(widget)
    widget.resize(1000, 560)
    widget.show()
    return widget


def shown_grid(qtbot, plot):
    qtbot.waitUntil(lambda: not plot.busy and plot.result is not None, timeout=30_000)
    return plot.result


def test_the_map_shows_where_the_model_puts_the_optimum_and_its_uncertainty(qtbot, panel,
                                                                              feed):
    feed.set_study(make_study(50))
    plot = panel.show_plot("surrogate")
    assert [plot.x_box.itemText(i) for i in range(plot.x_box.count())] == [
        "lr", "layers", "solver"]
    grid = shown_grid(qtbot, plot)
    assert (grid.param_x, grid.param_y) == ("lr", "layers")
    assert not plot.showing_message and panel.export_button.isEnabled()
    i, j = np.unravel_index(np.argmin(grid.mean), grid.mean.shape)
    assert abs(math.log10(grid.x[j]) + 2.5) < 0.5 and grid.y[i] == 3
    # Both maps are drawn, the uncertainty one from the model's std.
    (_, mean_image, _), (_, std_image, _) = plot.maps
    assert mean_image.image.shape == grid.mean.T.shape
    assert np.allclose(std_image.image, grid.std.T) and np.all(grid.std >= 0)
    # Every complete trial is drawn on the map, the best one ringed.
    assert len(plot.trial_items[0].data) == 50
    assert len(plot.best_items[0].data) == 1
    assert "GP fitted to 50 complete trials" in plot.legend.text
    assert "solver = " in plot.legend.text


def test_choosing_other_parameters_refits_the_view_and_a_stale_fit_is_dropped(qtbot, panel,
                                                                              feed):
    feed.set_study(make_study(40))
    plot = panel.show_plot("surrogate")
    shown_grid(qtbot, plot)
    answers = []
    plot.fitter.ready.connect(lambda request, out: answers.append(request))
    # Two choices in a row: the first one's answer, if it comes, is never drawn.
    plot.y_box.setCurrentText("solver")
    plot.x_box.setCurrentText("layers")
    qtbot.waitUntil(lambda: not plot.busy and plot.result is not None
                    and plot.result.param_x == "layers", timeout=30_000)
    assert answers[-1].first == "layers" and all(a.first == "layers" for a in answers)
    grid = plot.result
    assert grid.param_y == "solver" and grid.y == ["adam", "sgd"]
    assert np.all(grid.mean[1] > grid.mean[0])  # sgd costs 0.5 in every column
    plot.others_box.setCurrentIndex(plot.others_box.findData("average"))
    qtbot.waitUntil(lambda: plot.result is not None and plot.result.others == "average",
                    timeout=30_000)
    assert "partial dependence" in plot.legend.text


def test_a_live_bayes_run_marks_its_running_suggestions(qtbot, panel, feed):
    feed.set_study(make_study(12, sampler="bayes", running=2))
    plot = panel.show_plot("surrogate")
    shown_grid(qtbot, plot)
    assert len(plot.suggestion_items[0].data) == 2
    assert "next suggestion" in plot.legend.text
    feed.set_study(make_study(12, sampler="random", running=2))
    shown_grid(qtbot, plot)
    assert len(plot.suggestion_items[0].data) == 0


def test_a_single_parameter_points_to_the_slice_and_too_few_trials_are_named(qtbot, panel,
                                                                             feed):
    feed.set_study(make_study(10, params=PARAMS[:1]))
    plot = panel.show_plot("surrogate")
    assert plot.showing_message and plot.message.text() == ONE_PARAM
    feed.set_study(make_study(1))
    qtbot.waitUntil(lambda: not plot.busy, timeout=30_000)
    assert plot.showing_message
    assert plot.message.text() == ("The model needs at least 2 complete trials to fit; "
                                   "there are 1 shown.")


def test_the_slice_draws_the_model_curve_with_its_band(qtbot, panel, feed):
    feed.set_study(make_study(40))
    plot = panel.show_plot("slice")
    curve: ModelCurve = plot.model_curve
    qtbot.waitUntil(lambda: not curve.busy and curve.result is not None, timeout=30_000)
    assert curve.result.param == "lr"
    xs, ys = curve.line.getData()
    assert np.allclose(xs, np.log10(curve.result.x))  # on the slice's log axis
    upper, lower = curve.upper.getData()[1], curve.lower.getData()[1]
    assert np.all(upper >= ys) and np.all(lower <= ys)
    assert abs(xs[np.argmin(ys)] + 2.5) < 0.5
    assert "model" in plot.legend.text
    plot.set_param("solver")
    qtbot.waitUntil(lambda: curve.result is not None and curve.result.param == "solver",
                    timeout=30_000)
    assert len(curve.means.data) == 2 and len(curve.line.getData()[0]) == 0
    plot.model_box.setChecked(False)
    assert curve.result is None and "model" not in plot.legend.text


def test_numeric_choices_are_placed_by_their_order(qtbot, panel, feed):
    # Choices like 0.123456 are labelled "0.123456" on the axis; the map must not look
    # them up by a differently rounded text.
    params = (FloatParam("lr", 1e-4, 1e-1, log=True),
              CategoricalParam("alpha", (0.123456, 0.5, 2)))
    spec = StudySpec(name="choices", params=params, direction="minimize",
                     objective={"kind": "python", "path": "x.py", "function": "f"},
                     sampler="random", trials=20, seed=0)
    study = Study(spec)
    for _ in range(20):
        t = study.ask()
        study.tell(t.number, C, value=abs(math.log10(t.params["lr"]) + 2) + t.params["alpha"])
    feed.set_study(study)
    plot = panel.show_plot("surrogate")
    grid = shown_grid(qtbot, plot)
    assert grid.y == [0.123456, 0.5, 2]
    rect = plot.maps[0][1].boundingRect()
    assert rect.height() == len(grid.y)  # one image row per choice
    curve = panel.show_plot("slice").model_curve
    panel.plots["slice"].set_param("alpha")
    qtbot.waitUntil(lambda: curve.result is not None and curve.result.param == "alpha",
                    timeout=30_000)
    np.testing.assert_array_equal(curve.means.getData()[0], [0, 1, 2])
