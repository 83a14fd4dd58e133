"""Several objectives in the views: the Pareto plot, the table's rank and front filter,
"Best so far", and objectives and limits chosen in the objective panel."""

import pytest
from PySide6.QtCore import QPointF, Qt

from desktop.plots import PlotsWidget
from desktop.plots.pareto import ONE_OBJECTIVE
from desktop.run.run_panel import RunPanel
from desktop.setup.objective_panel import ObjectivePanel
from desktop.trial_feed import TrialFeed
from desktop.trials.view import TrialsTableWidget
from engine.goals import Goal, Limit
from engine.spec import spec_from_dict
from engine.study import Study
from engine.trial import TrialState

# (accuracy, fit seconds): 0, 1, 2 trade off; 4 is beaten by 1; 3 breaks the 5 s limit.
RESULTS = [(0.90, 1.0), (0.95, 2.0), (0.80, 0.5), (0.97, 6.0), (0.85, 2.0)]


def make_study(objectives=True, results=RESULTS, extra_goal=False):
    goals = [{"metric": "value"}, {"metric": "fit_time"}]
    if extra_goal:
        goals.append({"metric": "model_size_kb"})
    data = {"name": "mo", "sampler": {"name": "random"}, "seed": 0,
            "objective": {"kind": "sklearn", "model": "logistic_regression", "dataset": "iris"},
            "params": [{"name": "C", "type": "float", "low": 0.01, "high": 10.0, "log": True}]}
    if objectives:
        data.update(objectives=goals, constraints=[{"metric": "fit_time", "max": 5}])
    study = Study(spec_from_dict(data))
    for i, (acc, seconds) in enumerate(results):
        t = study.ask()
        study.tell(t.number, TrialState.COMPLETE, value=acc,
                   metrics={"fit_time": seconds, "model_size_kb": 10.0 + i})
    return study


@pytest.fixture
def feed(qtbot):
    return TrialFeed()


@pytest.fixture
def views(qtbot, feed):
    """The plots and the trials table on one feed, shown."""
    plots, table = PlotsWidget(feed), TrialsTableWidget(feed)
    for w in (plots, table):
        qtbot.addWidget(w)
        w.resize(900, 500)
        w.show()
    return plots, table


def test_the_plot_draws_the_front_greys_trials_outside_the_limits(views, feed):
    plots, _ = views
    feed.set_study(make_study())
    assert plots.tabs.isTabVisible(plots.tabs.indexOf(plots.plots["pareto"]))
    plot = plots.show_plot("pareto")
    front_x, front_y = plot.front.getData()
    assert sorted(zip(front_x, front_y)) == [(0.8, 0.5), (0.9, 1.0), (0.95, 2.0)]
    assert list(zip(*plot.infeasible.getData())) == [(0.97, 6.0)]
    assert list(zip(*plot.dominated.getData())) == [(0.85, 2.0)]
    # The staircase joins the front: accuracy up, seconds up, never through a beaten trial.
    line_x, line_y = plot.line.getData()
    assert line_x.min() == pytest.approx(0.8) and line_x.max() == pytest.approx(0.95)
    assert "training time" in plot.plot.getAxis("left").labelText
    assert "3 trials on the front" not in plot.legend.text  # legend counts each kind
    assert "on the front (3)" in plot.legend.text and "outside the limits (1)" in plot.legend.text


def test_one_objective_hides_the_tab(views, feed):
    plots, _ = views
    feed.set_study(make_study(objectives=False))
    assert not plots.tabs.isTabVisible(plots.tabs.indexOf(plots.plots["pareto"]))
    plot = plots.plots["pareto"]
    plot.refresh()
    assert plot.showing_message and plot.message.text() == ONE_OBJECTIVE


def test_clicking_a_point_selects_the_row_and_a_row_rings_the_point(views, feed, qtbot):
    plots, table = views
    feed.set_study(make_study())
    plot = plots.show_plot("pareto")
    qtbot.wait(20)  # the view applies its auto-range lazily, in the event loop
    # Click trial 1 (0.95, 2.0) on screen.
    scene = plot.plot.vb.mapViewToScene(QPointF(0.95, 2.0))
    widget_pos = plot.graphics.mapFromScene(scene)
    with qtbot.waitSignal(feed.selected) as got:
        qtbot.mouseClick(plot.graphics.viewport(), Qt.MouseButton.LeftButton, pos=widget_pos)
    assert got.args == [1]
    rows = table.view.selectionModel().selectedRows()
    assert [table.proxy.index(r.row(), 0).data() for r in rows] == ["1"]

    table.view.selectRow(table.proxy.mapFromSource(table.model.index(
        table.model.row_of(2), 0)).row())
    qtbot.waitUntil(lambda: feed.selection == 2)
    assert list(zip(*plot.selection.getData())) == [(0.8, 0.5)]


def test_three_objectives_show_a_chosen_pair(views, feed):
    plots, _ = views
    feed.set_study(make_study(extra_goal=True))
    plot = plots.show_plot("pareto")
    assert plot.x_combo.isVisible() and plot.x_combo.count() == 3
    plot.set_axes(0, 2)
    _, y = plot.front.getData()
    assert "model size" in plot.plot.getAxis("left").labelText
    assert set(y) <= {10.0, 11.0, 12.0, 14.0}


def test_the_table_ranks_trials_and_filters_to_the_front(views, feed, qtbot):
    _, table = views
    study = make_study()
    feed.set_study(study)
    rank = table.model.column_of("rank")
    assert rank >= 0 and table.front_button.isVisible()
    shown = {table.proxy.index(r, 0).data(): table.proxy.index(r, rank).data()
             for r in range(table.proxy.rowCount())}
    assert shown == {"0": "1", "1": "1", "2": "1", "4": "2", "3": "3"}  # the front is 1
    table.front_button.click()
    assert sorted(table.proxy.index(r, 0).data() for r in range(table.proxy.rowCount())) \
        == ["0", "1", "2"]
    # A new trial that beats trial 0 pushes it off the front while the filter is on.
    t = study.ask()
    study.tell(t.number, TrialState.COMPLETE, value=0.93, metrics={"fit_time": 0.9})
    feed.flush()
    qtbot.waitUntil(lambda: sorted(table.proxy.index(r, 0).data()
                                   for r in range(table.proxy.rowCount())) == ["1", "2", "5"])


def test_the_table_exports_objectives_feasibility_and_rank(views, feed, tmp_path):
    import csv

    _, table = views
    feed.set_study(make_study())
    assert table.export(tmp_path / "t.csv", "csv") == 5
    rows = {r["number"]: r for r in csv.DictReader(open(tmp_path / "t.csv"))}
    assert (rows["3"]["objective_fit_time"], rows["3"]["feasible"], rows["3"]["pareto_rank"]) \
        == ("6.0", "false", "3")
    assert rows["1"]["pareto_rank"] == "1" and rows["4"]["pareto_rank"] == "2"


def test_best_so_far_counts_the_front(qtbot):
    panel = RunPanel()
    qtbot.addWidget(panel)
    panel.show_progress(make_study())
    assert panel.best_label.text() == "Best so far: 3 trials on the Pareto front"


def test_objectives_and_limits_are_chosen_in_plain_words(qtbot):
    panel = ObjectivePanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.set_settings({"kind": "sklearn", "model": "mlp_classifier", "dataset": "digits"})
    goals = panel.goals
    qtbot.mouseClick(goals.add_objective_button, Qt.MouseButton.LeftButton)
    row = goals._objectives[0]
    assert row.metric.currentText() == "training time (s)"
    assert row.choice.currentText() == "lower is better" and not row.choice.isEnabled()
    qtbot.mouseClick(goals.add_limit_button, Qt.MouseButton.LeftButton)
    limit = goals._limits[0]
    limit.number.setValue(5)
    assert limit.words.text() == "Keep training time under 5 s"
    assert panel.objectives("maximize") == (Goal("value", "maximize"),
                                            Goal("fit_time", "minimize"))
    assert panel.constraints() == (Limit("fit_time", max=5.0),)
    assert panel.problems() == []

    limit.choice.setCurrentIndex(1)  # at least
    limit.metric.setCurrentIndex(limit.metric.findData("value"))
    limit.number.setValue(0.9)
    assert limit.words.text() == "Keep the score at least 0.9"


def test_a_function_names_its_metrics_and_says_which_way_is_better(qtbot, tmp_path):
    panel = ObjectivePanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.set_settings({"kind": "python", "path": str(tmp_path / "f.py"), "function": "f"})
    panel.goals.add_objective()
    row = panel.goals._objectives[0]
    assert row.metric.isEditable() and row.choice.isEnabled()
    assert any("Objective 2 metric = ''" in p for p in panel.problems())
    qtbot.keyClicks(row.metric.lineEdit(), "latency_ms")
    assert not any("Objective 2" in p for p in panel.problems())
    assert panel.objectives("minimize")[1] == Goal("latency_ms", "minimize")


def test_a_spec_with_goals_shows_them_in_the_panel(qtbot):
    panel = ObjectivePanel()
    qtbot.addWidget(panel)
    panel.set_settings({"kind": "sklearn", "model": "mlp_classifier", "dataset": "digits"})
    panel.set_goals((Goal("value", "maximize"), Goal("predict_time", "minimize")),
                    (Limit("fit_time", max=60.0), Limit("value", min=0.9)))
    assert [r.metric.currentText() for r in panel.goals._objectives] == ["prediction time (s)"]
    assert [r.words.text() for r in panel.goals._limits] == [
        "Keep training time under 60 s", "Keep the score at least 0.9"]
    assert panel.constraints() == (Limit("fit_time", max=60.0), Limit("value", min=0.9))
