"""Several objectives in the views, continued: marking the chosen trial (Pareto plot and
table), the History plot's objective and hypervolume views, colour for a third objective."""

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from desktop.chosen import CHOOSE, UNCHOOSE
from desktop.plots import PlotsWidget
from desktop.plots.history_goals import HV_TITLE
from desktop.run.run_panel import RunPanel
from desktop.trial_feed import TrialFeed
from desktop.trials.view import TrialsTableWidget
from engine.pareto import hypervolume
from engine.study import Study
from engine.trial import TrialState
from tests.desktop.test_pareto_plot import make_study


@pytest.fixture
def feed(qtbot):
    return TrialFeed()


@pytest.fixture
def views(qtbot, feed):
    """The plots and the trials table on one feed, shown."""
    plots, table = PlotsWidget(feed), TrialsTableWidget(feed)
    for w in (plots, table):
        qtbot.addWidget(w)
        w.resize(1000, 560)
        w.show()
    return plots, table


def click_point(qtbot, plot, x, y):
    qtbot.wait(20)  # the view applies its auto-range lazily, in the event loop
    scene = plot.plot.vb.mapViewToScene(QPointF(x, y))
    pos = plot.graphics.mapFromScene(scene)
    qtbot.mouseClick(plot.graphics.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def row_is_bold(table, number):
    index = table.model.index(table.model.row_of(number), 0)
    font = table.model.data(index, Qt.ItemDataRole.FontRole)
    return font is not None and font.bold()


def test_a_trial_picked_in_the_pareto_plot_is_marked_chosen_everywhere(views, feed, qtbot,
                                                                       tmp_path):
    plots, table = views
    study = make_study()
    path = tmp_path / "s.knobs"
    saved = Study.create(study.spec, path)
    for t in study.trials:  # the same five trials, in a study file
        saved.ask()
        saved.tell(t.number, t.state, value=t.value, metrics=t.metrics)
    feed.set_study(saved)
    plot = plots.show_plot("pareto")
    button = plot.choice.button
    assert not button.isEnabled() and plot.choice.label.text() == "No trial chosen yet"

    click_point(qtbot, plot, 0.85, 2.0)  # trial 4: beaten by trial 1
    assert feed.selection == 4
    assert not button.isEnabled() and "beats it in every objective" in button.toolTip()

    click_point(qtbot, plot, 0.95, 2.0)  # trial 1: on the front
    assert feed.selection == 1 and button.isEnabled() and button.text() == CHOOSE
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: list(zip(*plot.chosen.getData())) == [(0.95, 2.0)])
    assert "chosen (trial 1)" in plot.legend.text
    assert plot.choice.label.text() == "Chosen: trial 1" and button.text() == UNCHOOSE
    assert row_is_bold(table, 1) and not row_is_bold(table, 0)
    panel = RunPanel()
    qtbot.addWidget(panel)
    panel.show_progress(saved)
    assert panel.best_label.text() == "Best so far: 3 trials on the Pareto front; chosen: trial 1"
    saved.close()
    assert Study.open(path, readonly=True).chosen.number == 1  # kept in the study file


def test_the_table_menu_marks_a_trial_of_the_front_and_unmarks_it(views, feed, qtbot):
    plots, table = views
    study = make_study()
    feed.set_study(study)
    menu = table.row_menu(4)
    action = next(a for a in menu.actions() if a.text() == CHOOSE)
    assert not action.isEnabled() and "beats it in every objective" in action.toolTip()
    menu = table.row_menu(2)
    next(a for a in menu.actions() if a.text() == CHOOSE).trigger()
    assert study.chosen.number == 2
    qtbot.waitUntil(lambda: row_is_bold(table, 2))
    history = plots.show_plot("history")
    # Shown where it is in the objective on view (the first: the score 0.8).
    qtbot.waitUntil(lambda: list(zip(*history.goals.chosen.getData())) == [(2.0, 0.8)])
    menu = table.row_menu(2)
    next(a for a in menu.actions() if a.text() == UNCHOOSE).trigger()
    assert study.chosen is None
    qtbot.waitUntil(lambda: not row_is_bold(table, 2))


def test_a_study_of_one_objective_offers_no_choice(views, feed):
    plots, table = views
    feed.set_study(make_study(objectives=False))
    assert all(a.text() != CHOOSE for a in table.row_menu(0).actions())
    history = plots.show_plot("history")
    assert not history.goals.combo.isVisible()


def test_the_history_shows_one_objective_at_a_time_or_the_hypervolume(views, feed, qtbot):
    plots, _ = views
    study = make_study()
    feed.set_study(study)
    history = plots.show_plot("history")
    combo = history.goals.combo
    assert combo.isVisible()
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "Objective value, higher is better", "training time (s), lower is better", HV_TITLE]

    history.goals.choose_view("training time (s), lower is better")
    assert "training time" in history.plot.getAxis("left").labelText
    # Best so far in seconds, lower is better, among trials within the 5 s limit.
    _, best = history.best_line.getData()
    assert best.min() == 0.5 and 6.0 not in best

    history.goals.choose_view(HV_TITLE)
    label = history.goals.reference_label
    assert label.isVisible() and "training time 5 s (its limit)" in label.text()
    assert "provisional" in label.text()  # fewer than 10 trials within the limits so far
    _, y = history.goals.line.getData()
    ref = [-r if i == 0 else r for i, r in enumerate(history.goals._trace.reference.point)]
    front = np.array([[-0.9, 1.0], [-0.95, 2.0], [-0.8, 0.5]])
    assert y[-1] == pytest.approx(hypervolume(front, np.array(ref)))
    assert history.plot.getAxis("left").labelText.startswith("Hypervolume")

    # Trials that finish later extend the line from where it was.
    for value, seconds in [(0.99, 0.2)] + [(0.5, 4.0)] * 8:
        t = study.ask()
        study.tell(t.number, TrialState.COMPLETE, value=value, metrics={"fit_time": seconds})
    feed.flush()
    qtbot.waitUntil(lambda: "provisional" not in label.text())
    x, y = history.goals.line.getData()
    assert x[-1] == 13 and y[-1] > y[0]


def test_a_third_objective_is_shown_in_colour_with_a_colour_bar(views, feed):
    plots, _ = views
    feed.set_study(make_study(extra_goal=True))
    plot = plots.show_plot("pareto")
    assert plot.colour_combo.isVisible() and plot.colour_axis() == 2
    assert plot.colour_bar.isVisible()
    assert "model size" in plot.colour_bar.getAxis("left").labelText
    assert "coloured by model size" in plot.legend.text
    # The front's points take colours from model size: 10, 11 and 12 kB differ.
    brushes = {b.color().name() for b in plot.front.data["brush"]}
    assert len(brushes) == 3
    # Putting model size on an axis moves the colour to the objective left over.
    plot.set_axes(0, 2)
    assert plot.colour_axis() == 1 and "training time" in \
        plot.colour_bar.getAxis("left").labelText


def test_a_new_trial_changes_only_the_ranks_it_moves_in_the_table(views, feed, qtbot):
    _, table = views
    study = make_study()
    feed.set_study(study)
    model, rank = table.model, table.model.column_of("rank")
    touched = []
    model.dataChanged.connect(lambda a, b: touched.extend(
        model.data(model.index(r, 0), Qt.ItemDataRole.UserRole + 1)
        for r in range(a.row(), b.row() + 1)))
    # 0.93 in 0.9 s beats trial 0 (0.90 in 1 s): trial 0 falls to rank 2, and trial 4,
    # which trial 0 beats, to rank 3 (the front is rank 1).
    t = study.ask()
    feed.flush()
    touched.clear()
    study.tell(t.number, TrialState.COMPLETE, value=0.93, metrics={"fit_time": 0.9})
    feed.flush()
    cells = {model.index(model.row_of(n), 0).data(): model.index(model.row_of(n), rank).data()
             for n in range(6)}
    assert cells == {"0": "2", "1": "1", "2": "1", "3": "4", "4": "3", "5": "1"}
    # Repainted: the new trial and the trials whose rank moved (0, 4, and 3 outside the
    # limit, which ranks after one more front); not trials 1 and 2.
    assert sorted(set(touched)) == [0, 3, 4, 5]


def test_the_pareto_view_frames_the_trials_within_the_limits_until_the_user_zooms(
        views, feed, qtbot):
    plots, _ = views
    study = make_study(results=[(0.90, 1.0), (0.95, 2.0), (0.80, 0.5), (0.30, 45.0)])
    feed.set_study(study)
    plot = plots.show_plot("pareto")
    (x0, x1), (y0, y1) = plot.plot.vb.viewRange()
    # The 45 s trial outside the limit would squeeze the front into a corner: left out.
    assert y1 < 3.0 and x0 > 0.7 and "outside the limits (1)" in plot.legend.text
    # Once the user zooms, new trials do not move the view.
    plot.plot.vb.scaleBy((4.0, 4.0))
    plot.plot.vb.sigRangeChangedManually.emit([True, True])
    zoomed = plot.plot.vb.viewRange()
    t = study.ask()
    study.tell(t.number, TrialState.COMPLETE, value=0.99, metrics={"fit_time": 0.1})
    feed.flush()
    qtbot.waitUntil(lambda: plot.data is not None and t.number in plot.data.numbers)
    assert plot.plot.vb.viewRange() == zoomed
