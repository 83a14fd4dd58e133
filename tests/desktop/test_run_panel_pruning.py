"""The run panel's "Stop bad trials early": pruners in plain words, their options in the
spec, what each objective is judged by, and a pruned run in the toy_window."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from desktop.run.run_panel import RunPanel
from engine.spec import load_spec
from engine.trial import TrialState

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


@pytest.fixture
def panel(qtbot):
    p = RunPanel()
    qtbot.addWidget(p)
    p.show()
    qtbot.mouseClick(p.more_button, Qt.LeftButton)  # these settings fold under it
    return p


def choose(panel: RunPanel, name: str) -> None:
    panel.pruning.choice.setCurrentIndex(panel.pruning.choice.findData(name))


def test_pruners_are_named_in_plain_words_and_none_is_the_default(panel):
    texts = [panel.pruning.choice.itemText(i) for i in range(panel.pruning.choice.count())]
    assert "Stop trials that fall behind the median" in texts
    assert "Successive halving: keep the best third at each checkpoint" in texts
    spec = panel.apply(load_spec(EXAMPLES / "mlp_digits.toml"))
    assert spec.pruner == "none" and spec.pruner_options == {}


def test_successive_halving_shows_its_options_and_writes_them_to_the_spec(qtbot, panel):
    spec = load_spec(EXAMPLES / "mlp_digits.toml")
    panel.load(spec)
    with qtbot.waitSignal(panel.changed):
        choose(panel, "asha")
    spins = panel.pruning.spins
    assert spins["min_steps"].isVisible() and spins["eta"].isVisible()
    assert not spins["warmup_steps"].isVisible()
    assert panel.pruning._form.labelForField(spins["eta"]).text() == "Keep 1 in"
    spins["eta"].setValue(4)
    out = panel.apply(spec)
    assert (out.pruner, out.pruner_options) == ("asha", {"min_steps": 1, "eta": 4})
    # Loading it back shows the same choice and values.
    other = RunPanel()
    qtbot.addWidget(other)
    other.load(out)
    assert other.pruning.choice.currentData() == "asha"
    assert other.pruning.spins["eta"].value() == 4


def test_the_box_says_what_each_objective_is_judged_by(panel):
    choose(panel, "asha")
    panel.pruning.set_objective({"kind": "sklearn", "model": "svc", "dataset": "digits"})
    assert panel.pruning.choice.isEnabled() and panel.pruning.fidelity.isVisible()
    assert panel.pruning.fidelity.text().startswith("Judged by data fraction")
    assert panel.apply(load_spec(EXAMPLES / "mlp_digits.toml")).pruner == "asha"
    for objective, words in [({"kind": "sklearn", "model": "mlp_classifier"}, "epochs"),
                             ({"kind": "sklearn", "model": "hist_gradient_boosting_classifier"},
                              "boosting iterations"),
                             ({"kind": "sklearn", "model": "random_forest_classifier"}, "trees"),
                             ({"kind": "command", "command": "python x.py"},
                              "the steps your code reports")]:
        panel.pruning.set_objective(objective)
        assert panel.pruning.fidelity.text().startswith(f"Judged by {words}")


def test_a_running_study_locks_the_pruner(panel):
    panel.set_mode("running")
    assert not panel.pruning.choice.isEnabled()
    panel.set_mode("idle")
    assert panel.pruning.choice.isEnabled()


def test_successive_halving_in_the_window_prunes_and_shows_the_compute_saved(qtbot, toy_window):
    panel = toy_window.run_panel
    choose(panel, "asha")
    panel.trials.setValue(12)
    panel.workers.setValue(2)
    qtbot.mouseClick(panel.run_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: toy_window.pool is None, timeout=60_000)
    toy_window.feed.flush()
    assert toy_window.errors == []
    study = toy_window.study
    assert study.spec.pruner == "asha"
    pruned = [t for t in study.trials if t.state is TrialState.PRUNED]
    assert pruned and all(len(t.intermediate) < 10 for t in pruned)
    assert toy_window.table.model.rowCount() == 12
    assert "epochs run" not in panel.savings_label.text()  # a Python function: "steps"
    assert "steps run;" in panel.savings_label.text()
    assert panel.savings_label.text().endswith("% saved")
    # The status bar says it too, after the counts.
    status = toy_window.counts_label.text()
    assert f"{len(pruned)} pruned · " in status and status.endswith(panel.savings_label.text())


def test_the_table_shows_steps_and_where_a_pruned_trial_stopped(qtbot, toy_window):
    panel = toy_window.run_panel
    choose(panel, "asha")
    panel.trials.setValue(8)
    qtbot.mouseClick(panel.run_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: toy_window.pool is None, timeout=60_000)
    toy_window.feed.flush()
    model = toy_window.table.model
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert "Steps" in titles and "Stopped at" in titles and "Pruned by" in titles
    steps, stopped = titles.index("Steps"), titles.index("Stopped at")
    for row in range(model.rowCount()):
        trial = model.trial_at(row)
        shown_steps = model.data(model.index(row, steps))
        shown_stop = model.data(model.index(row, stopped))
        assert shown_steps == str(trial.intermediate[-1][0])
        if trial.state is TrialState.PRUNED:
            assert shown_stop == str(trial.metrics["stopped_at"]) == shown_steps
        else:
            assert shown_stop in ("", None)


def test_a_step_budget_sits_beside_trials_and_time(qtbot, panel):
    spec = load_spec(EXAMPLES / "mlp_digits.toml")
    panel.load(spec)
    assert not panel.steps.isEnabled()
    assert panel.apply(spec).steps is None
    qtbot.mouseClick(panel.use_steps, Qt.LeftButton)
    assert panel.steps.isEnabled()
    panel.steps.setValue(500)
    out = panel.apply(spec)
    assert out.steps == 500
    other = RunPanel()
    qtbot.addWidget(other)
    other.load(out)
    assert other.use_steps.isChecked() and other.steps.value() == 500
