"""The live plots as a user sees them: a study built in memory, fed through a TrialFeed."""

import math

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QToolTip

from desktop.plots import PlotsWidget
from desktop.plots._base import LIVE_SECONDS_PER_TRIAL, NO_STUDY, NO_TRIALS
from desktop.plots.learning import NO_CURVES
from desktop.trial_feed import TrialFeed
from engine.space import CategoricalParam, Condition, FloatParam, IntParam
from engine.spec import StudySpec
from engine.study import Study
from engine.trial import Trial, TrialState

C, F, P, R = TrialState.COMPLETE, TrialState.FAILED, TrialState.PRUNED, TrialState.RUNNING
PARAMS = (
    FloatParam("lr", 1e-4, 1e-1, log=True),
    IntParam("layers", 1, 4),
    CategoricalParam("solver", ("adam", "sgd")),
    FloatParam("momentum", 0.5, 0.99, condition=Condition("solver", ("sgd",))),
)


def make_spec(trials: int, direction: str = "minimize") -> StudySpec:
    return StudySpec(name="plots", params=PARAMS, direction=direction,
                     objective={"kind": "python", "path": "x.py", "function": "f"},
                     sampler="random", trials=trials, seed=0)


def score(params: dict) -> float:
    return (math.log10(params["lr"]) + 2.5) ** 2 + 0.05 * params["layers"]


def run(study: Study, n: int, *, fail_every: int = 0, prune_every: int = 0,
        curves: bool = False, leave_running: int = 0) -> None:
    """Ask and tell ``n`` trials on one thread, as workers would."""
    for i in range(n):
        t = study.ask(worker=i % 3)
        if curves:
            for step in range(1, 6):
                study.report(t.number, step, score(t.params) + 1.0 / step)
        if i >= n - leave_running:
            continue
        if fail_every and i % fail_every == fail_every - 1:
            study.tell(t.number, F, error="ValueError: the objective gave up")
        elif prune_every and i % prune_every == prune_every - 1:
            study.tell(t.number, P, value=score(t.params) + 1.0)
        else:
            study.tell(t.number, C, value=score(t.params))


@pytest.fixture
def feed(qtbot):
    return TrialFeed()


@pytest.fixture
def panel(qtbot, feed):
    widget = PlotsWidget(feed)
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    return widget


@pytest.fixture
def study(feed):
    study = Study(make_spec(40))
    run(study, 40, fail_every=8, prune_every=7, curves=True, leave_running=2)
    feed.set_study(study)
    return study


def numbers_in(study: Study, *states: TrialState) -> list[int]:
    return [t.number for t in study.trials if t.state in states]


def scatter_x(item) -> list[int]:
    return sorted(int(round(x)) for x in item.getData()[0])


def test_history_shows_each_value_the_best_line_and_failed_trials_at_the_bottom(panel, study):
    history = panel.show_plot("history")
    assert scatter_x(history.scatters[C]) == numbers_in(study, C)
    assert scatter_x(history.scatters[F]) == numbers_in(study, F) != []
    assert scatter_x(history.scatters[R]) == numbers_in(study, R)
    complete_y = history.scatters[C].getData()[1]
    failed_y = history.scatters[F].getData()[1]
    assert failed_y.max() < complete_y.min()  # in the strip under every score
    assert history.strip.line.isVisible()

    # The step line holds the best value so far from one complete trial to the next.
    values = [t.value for t in study.trials if t.state is C]
    expected = np.minimum.accumulate(values)
    x, y = history.best_line.getData()
    assert np.all(np.diff(y) <= 0) and y[-1] == pytest.approx(min(values))
    assert set(np.round(y, 12)) == set(np.round(expected, 12))
    assert x[-1] == study.trials[-1].number  # carried to the newest trial
    # Read at any complete trial, the line gives the best value up to that trial.
    numbers = [t.number for t in study.trials if t.state is C]
    at = np.searchsorted(x, numbers, side="right") - 1
    assert y[at] == pytest.approx(expected)


def test_new_trials_appear_after_the_feed_flushes(qtbot, panel, feed):
    history = panel.show_plot("history")
    assert history.showing_message and history.message.text() == NO_STUDY
    study = Study(make_spec(30))
    feed.set_study(study)
    assert history.showing_message and history.message.text() == NO_TRIALS
    assert not panel.export_button.isEnabled()
    assert history.shown.size == 0
    run(study, 12)
    assert history.shown.size == 0  # nothing is drawn from a worker thread's event
    feed.flush()
    # The table takes a batch first; the plots draw it an event-loop turn later.
    qtbot.waitUntil(lambda: history.shown.tolist() == list(range(12)), timeout=2_000)
    assert not history.showing_message and panel.export_button.isEnabled()
    assert panel.state_boxes[C].text() == "Complete (12)"
    run(study, 12, fail_every=4)  # later batches add points to the ones already drawn
    feed.flush()
    qtbot.waitUntil(lambda: history.shown.tolist() == list(range(24)), timeout=2_000)
    assert scatter_x(history.scatters[C]) == numbers_in(study, C)
    assert scatter_x(history.scatters[F]) == numbers_in(study, F) == [15, 19, 23]
    y = dict(zip(*history.scatters[C].getData()))
    assert all(y[t.number] == t.value for t in study.trials if t.state is C)


def test_a_running_study_moves_the_history_axis_in_steps(qtbot, panel, feed):
    history = panel.show_plot("history")
    study = Study(make_spec(200))
    feed.set_study(study)
    run(study, 40)
    feed.flush()
    qtbot.waitUntil(lambda: history.shown.size == 40, timeout=2_000)
    history.graphics.grab()  # paint: the view takes its new range
    first = history.plot.vb.viewRange()[0]
    assert first[0] <= 0 and first[1] >= 39  # every trial in view, room for the next ones
    run(study, 5)
    feed.flush()
    qtbot.waitUntil(lambda: history.shown.size == 45, timeout=2_000)
    history.graphics.grab()
    # New trials within the room: the axis stays where it was (give or take the view's
    # padding, which follows the width the value axis takes).
    assert history.plot.vb.viewRange()[0] == pytest.approx(first, abs=0.5)
    # Not live (here the state filter redraws every plot): the range hugs the trials.
    panel.state_boxes[F].setChecked(False)
    history.graphics.grab()
    x_range = history.plot.vb.viewRange()[0]
    assert 44 <= x_range[1] < first[1]


def test_state_filter_changes_what_every_plot_shows(panel, study):
    failed = set(numbers_in(study, F))
    before = {}
    for key in ("history", "slice", "parallel", "learning", "timeline"):
        before[key] = set(panel.show_plot(key).shown.tolist())
        assert failed <= before[key], key
    panel.state_boxes[F].setChecked(False)
    for key in before:
        shown = set(panel.show_plot(key).shown.tolist())
        assert shown == before[key] - failed, key
    assert panel.plots["history"].scatters[F].getData()[0].size == 0

    panel.state_boxes[C].setChecked(False)
    importance = panel.show_plot("importance")
    assert importance.showing_message and "Complete" in importance.message.text()
    assert not panel.export_button.isEnabled()


def test_slice_uses_a_log_axis_for_log_params_and_labels_categories(panel, study):
    plot = panel.show_plot("slice")
    plot.set_param("lr")
    axis = plot.plot.getAxis("bottom")
    assert axis.logMode
    lrs = sorted(math.log10(t.params["lr"]) for t in study.trials)
    xs = np.concatenate([item.getData()[0] for item in plot.scatters.values()])
    np.testing.assert_allclose(sorted(xs), lrs)
    assert "log scale" in axis.labelText

    plot.set_param("solver")
    assert not axis.logMode
    assert [label for _, label in axis._tickLevels[0]] == ["adam", "sgd"]
    xs = np.concatenate([item.getData()[0] for item in plot.scatters.values()])
    assert np.all(np.abs(xs - np.round(xs)) <= 0.3)  # jittered around each category

    plot.set_param("momentum")  # conditional: only the sgd trials are in this slice
    assert plot.shown.tolist() == [t.number for t in study.trials if "momentum" in t.params]
    assert panel.show_plot("history").shown.size == len(study.trials)


def test_parallel_keeps_trials_without_a_param_on_the_not_set_line(panel, study):
    plot = panel.show_plot("parallel")
    assert plot.shown.tolist() == list(range(len(study.trials)))
    adam = next(t for t in study.trials if t.params["solver"] == "adam" and t.state is C)
    sgd = next(t for t in study.trials if t.params["solver"] == "sgd" and t.state is C)
    from desktop.plots.parallel import INACTIVE_Y

    assert plot.line_of(adam.number)[3] == INACTIVE_Y
    assert 0.0 <= plot.line_of(sgd.number)[3] <= 1.0
    assert plot.lines.n_groups >= 2 and plot.colour_bar.isVisible()
    lo, hi = plot.colour_bar.levels()
    complete = [t.value for t in study.trials if t.value is not None]
    assert (lo, hi) == pytest.approx((min(complete), max(complete)))


def viewport_pos(qtbot, plot, x: float, y: float):
    """Where a point of the plot's view is on screen, once layout and ranges settled."""
    qtbot.wait(20)  # the view applies its auto-range lazily, in the event loop
    return plot.graphics.mapFromScene(plot.plot.vb.mapViewToScene(QPointF(x, y)))


def click_at(qtbot, plot, x: float, y: float) -> None:
    qtbot.mouseClick(plot.graphics.viewport(), Qt.LeftButton,
                     pos=viewport_pos(qtbot, plot, x, y))


def test_clicking_a_point_selects_its_trial_and_every_plot_highlights_it(qtbot, panel, feed,
                                                                         study):
    history = panel.show_plot("history")
    target = next(t for t in study.trials if t.state is C and t.number > 5)
    click_at(qtbot, history, target.number, target.value)
    assert feed.selection == target.number
    assert history.selection.getData()[0].tolist() == [target.number]

    parallel = panel.show_plot("parallel")
    line = parallel.line_of(target.number)
    assert parallel.selection.getData()[1].tolist() == pytest.approx(line.tolist())
    timeline = panel.show_plot("timeline")
    assert timeline.selection.opts["y"].tolist() == [target.worker]
    learning = panel.show_plot("learning")
    assert learning.selection.getData()[0].tolist() == [1, 2, 3, 4, 5]
    slice_plot = panel.show_plot("slice")
    assert slice_plot.selection.getData()[0].size == 1

    # A line of the parallel plot is picked halfway between two axes.
    other = next(t for t in study.trials if t.state is C and t.number != target.number)
    y = parallel.line_of(other.number)
    feed.select(-1)
    assert parallel.selection.getData()[0].size == 0
    click_at(qtbot, parallel, 0.5, (y[0] + y[1]) / 2)
    assert feed.selection >= 0
    picked = parallel.line_of(feed.selection)
    assert abs((picked[0] + picked[1]) / 2 - (y[0] + y[1]) / 2) < 0.05


def test_hover_names_the_trial_its_value_and_params(qtbot, panel, study):
    history = panel.show_plot("history")
    trial = next(t for t in study.trials if t.params["solver"] == "sgd" and t.state is C)
    number = history.pick(QPointF(trial.number, trial.value))
    assert number == trial.number
    text = history.hover_text(number)
    assert f"Trial {trial.number}" in text and f"{trial.value:.4g}" in text
    assert "momentum" in text and "layers" in text and "sgd" in text

    qtbot.mouseMove(history.graphics.viewport(),
                    viewport_pos(qtbot, history, trial.number, trial.value))
    qtbot.waitUntil(lambda: f"Trial {trial.number}" in QToolTip.text(), timeout=2_000)
    failed = study.trials[numbers_in(study, F)[0]]
    assert "the objective gave up" in history.hover_text(failed.number)


def test_export_writes_png_and_svg_files(panel, study, tmp_path):
    panel.show_plot("parallel")
    png = panel.export_current(tmp_path / "plot.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5_000
    panel.show_plot("history")
    svg = panel.export_current(tmp_path / "plot.svg")
    text = svg.read_text(encoding="utf-8")
    assert "<svg" in text and len(text) > 5_000
    assert QSvgRenderer(str(svg)).isValid()
    with pytest.raises(ValueError, match="got '.gif'"):
        panel.export_current(tmp_path / "plot.gif")


def test_learning_curves_say_plainly_when_nothing_was_reported(panel, feed):
    study = Study(make_spec(10))
    run(study, 10)
    feed.set_study(study)
    plot = panel.show_plot("learning")
    assert plot.showing_message and plot.message.text() == NO_CURVES
    assert not panel.export_button.isEnabled()


def test_importance_is_fitted_off_the_gui_thread_and_ranks_the_driver_first(qtbot, panel,
                                                                           feed):
    study = Study(make_spec(60))
    run(study, 60)
    feed.set_study(study)
    plot = panel.plots["importance"]
    with qtbot.waitSignal(plot.fitted, timeout=20_000):
        panel.show_plot("importance")
    shares = plot.bar_values()
    assert max(shares, key=shares.get) == "lr"
    assert sum(shares.values()) == pytest.approx(1.0)
    assert not plot.busy and panel.export_button.isEnabled()


def test_six_thousand_trials_render_in_every_plot_and_redraw_live_less_often(qtbot, panel,
                                                                             feed):
    rng = np.random.default_rng(0)
    trials = []
    for i in range(6_000):
        solver = "sgd" if i % 2 else "adam"
        params = {"lr": float(10 ** rng.uniform(-4, -1)), "layers": int(rng.integers(1, 5)),
                  "solver": solver}
        if solver == "sgd":
            params["momentum"] = float(rng.uniform(0.5, 0.99))
        state = F if i % 50 == 0 else R if i >= 5_990 else C
        trials.append(Trial(
            number=i, params=params, state=state,
            value=score(params) if state is C else None, started_at=1000.0 + i,
            finished_at=None if state is R else 1001.5 + i, worker=i % 4,
            intermediate=((1, 1.0), (2, 0.5)) if i % 10 == 0 else (),
        ))
    study = Study(make_spec(6_000), trials=trials)
    feed.set_study(study)
    for key in ("history", "slice", "parallel", "learning", "timeline"):
        plot = panel.show_plot(key)
        assert plot.shown.size > 0, key
        plot.graphics.grab()  # paint it
    assert panel.plots["history"].shown.size == 6_000
    assert panel.plots["learning"].shown.size == 600

    history = panel.show_plot("history")
    history.refresh()
    redrawn = history.last_refresh
    for number in range(5_990, 6_000):
        study.tell(number, C, value=0.5)
    feed.flush()  # right after a redraw: a plot this big waits a moment before the next
    qtbot.waitUntil(lambda: history.scatters[C].getData()[0].size
                    == len(numbers_in(study, C)), timeout=3_000)
    assert history.last_refresh - redrawn >= 6_000 * LIVE_SECONDS_PER_TRIAL


def test_pruned_curves_end_in_a_marker_and_asha_rungs_are_guides(qtbot, panel, feed):
    spec = make_spec(30).evolve(pruner="asha", pruner_options={"min_steps": 1, "eta": 3})
    study = Study(spec)
    for _ in range(12):
        t = study.ask()
        stopped = None
        for step in range(1, 10):
            if study.report(t.number, step, score(t.params) + 1.0 / step):
                stopped = step
                break
        study.tell(t.number, P if stopped else C, value=None if stopped else score(t.params))
    feed.set_study(study)
    learning = panel.show_plot("learning")
    pruned = [t for t in study.trials if t.state is P]
    assert pruned
    x, y = learning.stops.getData()
    assert sorted(zip(x.tolist(), y.tolist())) == sorted(t.intermediate[-1] for t in pruned)
    guides = [line.value() for line in learning.rung_lines if line.isVisible()]
    assert guides == [1, 3, 9]


def test_a_long_timeline_draws_few_rectangles_and_still_picks_each_trial(qtbot, panel, feed):
    from desktop.plots.timeline import MERGE_ABOVE

    n = MERGE_ABOVE + 1000
    spec = make_spec(n)
    # Back to back on 4 workers, a failure now and then: one bar per trial would be n rects.
    trials = [Trial(k, {"lr": 0.01, "layers": 1, "solver": "adam"}, F if k % 50 == 7 else C,
                    value=None if k % 50 == 7 else 1.0, started_at=1000.0 + (k // 4) * 10.0,
                    finished_at=1000.0 + (k // 4) * 10.0 + 9.5, worker=k % 4)
              for k in range(n)]
    feed.set_study(Study(spec, trials=trials))
    timeline = panel.show_plot("timeline")
    drawn = sum(len(bar.opts["x0"]) for bar in timeline.bars.values())
    assert drawn < n / 20
    tl, starts, ends = timeline._data
    target = 2 * 4 + 1  # the third trial on worker 2 (lane 1)
    i = int(np.flatnonzero(tl.numbers == target)[0])
    middle = (starts[i] + ends[i]) / 2
    assert timeline.pick(QPointF(middle, float(tl.lanes[i]))) == target


def test_a_scatter_of_many_trials_draws_every_one_and_the_view_holds_them_all(qtbot, panel,
                                                                               feed):
    from desktop.plots._scatter import BLOCK_POINTS

    n = 2 * BLOCK_POINTS + 500  # more points than one block holds: kept in several
    trials = [Trial(number=i, params={"lr": 0.01, "layers": 1 + i % 4, "solver": "adam"},
                    state=C, value=float(i % 97), started_at=1000.0 + i,
                    finished_at=1001.0 + i, worker=0) for i in range(n)]
    feed.set_study(Study(make_spec(n), trials=trials))
    history = panel.show_plot("history")
    complete = history.scatters[C]
    qtbot.waitUntil(lambda: history.shown.size == n and complete.pending == 0
                    and complete.isVisible(), timeout=20_000)
    x, y = complete.getData()
    assert sorted(x.tolist()) == list(range(n))  # every trial, once
    assert dict(zip(x.tolist(), y.tolist()))[n - 1] == float((n - 1) % 97)
    history.graphics.grab()
    (x_low, x_high), (y_low, y_high) = history.plot.vb.viewRange()
    assert x_low <= 0 and x_high >= n - 1 and y_low <= 0 and y_high >= 96


def test_big_scatters_of_several_states_are_all_drawn_in_full(qtbot, panel, feed):
    from desktop.plots._scatter import CHUNK_POINTS

    # Both clouds are too big for one event-loop turn: their chunks take turns.
    n = 8 * CHUNK_POINTS
    trials = [Trial(number=i, params={"lr": 0.01, "layers": 1, "solver": "adam"},
                    state=F if i % 2 else C, value=None if i % 2 else float(i % 50),
                    started_at=1000.0 + i, finished_at=1001.0 + i, worker=0) for i in range(n)]
    history = panel.show_plot("history")
    complete, failed = history.scatters[C], history.scatters[F]
    # Each cloud appears whole, and both at once: the plot is not redrawn for one cloud and
    # then again for the other. The view ranges over both from the start, so the axes do
    # not move when they appear.
    turns = []  # per event-loop turn: is each cloud drawn, how many points it holds
    sampler = QTimer()
    ranges = []  # the view's range while any cloud fills
    sampler.timeout.connect(lambda: turns.append(
        [(not s.filling, s.total) for s in (complete, failed)]))
    sampler.timeout.connect(lambda: any(s.filling for s in (complete, failed))
                            and ranges.append(history.plot.vb.viewRange()))
    sampler.start(0)
    feed.set_study(Study(make_spec(n), trials=trials))
    qtbot.waitUntil(lambda: not any(s.pending or s.filling for s in (complete, failed))
                    and history.shown.size == n, timeout=20_000)
    sampler.stop()
    partly = [t for t in turns if any(drawn and total > 2 * CHUNK_POINTS for drawn, total in t)
              and not all(drawn for drawn, _ in t)]
    assert any(t[0][1] > 2 * CHUNK_POINTS and not t[0][0] for t in turns)  # filled hidden
    assert not partly
    history.graphics.grab()
    assert history.plot.vb.viewRange() == ranges[-1]
    (x_low, x_high), (y_low, y_high) = ranges[-1]
    assert x_low <= 0 and x_high >= n - 1 and y_low <= 0 and y_high >= 49
    assert sorted(complete.getData()[0].tolist()) == list(range(0, n, 2))
    assert sorted(failed.getData()[0].tolist()) == list(range(1, n, 2))


def test_while_trials_stream_only_the_plot_on_screen_redraws(qtbot, panel, feed):
    study = Study(make_spec(40))
    feed.set_study(study)
    run(study, 10)
    timeline = panel.show_plot("timeline")
    history = panel.show_plot("history")
    qtbot.waitUntil(lambda: history.shown.size == 10)
    timeline_drawn = timeline.last_refresh
    for _ in range(3):
        run(study, 5)
        feed.flush()
        qtbot.waitUntil(lambda: history.shown.size == study.n_finished)
    # The hidden tab did no work for these batches; it catches up when it is opened.
    assert timeline.last_refresh == timeline_drawn and timeline.is_stale
    panel.show_plot("timeline")
    qtbot.waitUntil(lambda: timeline.shown.size == 25)
