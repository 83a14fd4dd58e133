"""The whole window, driven as a user would: open, edit, run, pause, stop, reopen, export."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt

import desktop.main_window as main_window_module
from desktop.main_window import EXAMPLE_SPEC, MainWindow
from engine.spec import load_spec
from engine.study import Study
from engine.trial import TrialState

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


@pytest.fixture
def toy(tmp_path) -> Path:
    """The fast toy example, copied so that studies are written next to it in tmp."""
    for name in ("toy_training.toml", "toy_training.py"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    return tmp_path / "toy_training.toml"


def wait_until_idle(qtbot, w: MainWindow, timeout: int = 60_000) -> None:
    qtbot.waitUntil(lambda: w.pool is None, timeout=timeout)
    w.feed.flush()


def test_opens_on_the_example_study_ready_to_run(window):
    window.load_spec(load_spec(EXAMPLE_SPEC), EXAMPLE_SPEC.parent, from_file=False)
    assert window.name_edit.text() == "MLP on digits"
    assert window.run_panel.run_button.isEnabled()
    assert window.run_panel.run_button.text() == "Run"
    assert "MLP on digits" in window.windowTitle()
    assert window.direction.currentData() == "maximize"  # implied by accuracy
    assert not window.direction.isEnabled()


def test_a_bad_range_disables_run_and_says_why_until_fixed(window, qtbot, toy):
    window.import_spec(toy)
    editor = window.space_editor
    params = list(editor.params())
    broken = params[0].__class__(**{**params[0].__dict__, "low": 2.0})  # learning_rate 2..1
    editor.set_params([broken, *params[1:]])
    assert not window.run_panel.run_button.isEnabled()
    assert "learning_rate" in window.run_panel.message.text()
    assert window.run_panel.message.isVisible()
    editor.set_params(params)
    assert window.run_panel.run_button.isEnabled()
    assert not window.run_panel.message.isVisible()


def test_run_fills_table_plots_progress_and_status(window, qtbot, toy):
    window.import_spec(toy)
    window.run_panel.trials.setValue(6)
    qtbot.mouseClick(window.run_panel.run_button, Qt.LeftButton)
    assert window.run_panel.stop_button.isEnabled()
    wait_until_idle(qtbot, window)

    study = window.study
    assert study.counts()[TrialState.COMPLETE] == 6
    assert study.file.path.parent == toy.parent  # saved next to the spec it came from
    assert window.table.model.rowCount() == 6
    assert window.table.model.best_number == study.best_trial.number
    bar = window.run_panel.progress
    assert (bar.value(), bar.maximum()) == (6, 6)
    assert "Best so far" in window.run_panel.best_label.text()
    assert "6 complete" in window.counts_label.text()
    assert window.run_panel.run_button.text() == "Continue"
    assert not window.run_panel.run_button.isEnabled()  # budget spent: raise Trials first
    message = window.run_panel.message
    assert message.isVisible() and message.text().startswith("All 6 trials are done")
    assert message.objectName() == "note"  # information, not styled as an error
    window.run_panel.trials.setValue(8)
    assert window.run_panel.run_button.isEnabled()
    assert window.run_panel.eta_label.text().startswith("2 more: about ")


def test_when_a_run_ends_the_history_axes_hug_its_trials(window, qtbot, toy):
    # While it runs the axes keep room for trials to come (and move in round steps);
    # once it ends there are none to come.
    window.import_spec(toy)
    window.run_panel.trials.setValue(6)
    history = window.plots.show_plot("history")
    window.run_study()
    wait_until_idle(qtbot, window)
    history.graphics.grab()
    (_, x_end), (y_low, y_high) = history.plot.vb.viewRange()
    values = [t.value for t in window.study.trials]
    span = max(values) - min(values)
    assert 5 < x_end < 5.5
    assert min(values) - 0.1 * span < y_low < min(values)
    assert max(values) < y_high < max(values) + 0.1 * span


def test_continue_adds_to_the_same_study_file(window, qtbot, toy):
    window.import_spec(toy)
    window.run_panel.trials.setValue(3)
    window.run_study()
    wait_until_idle(qtbot, window)
    first_file = window.study.file.path
    window.run_panel.trials.setValue(5)
    window.run_study()
    wait_until_idle(qtbot, window)
    assert window.study.file.path == first_file
    assert window.study.n_finished == 5


def test_pause_finishes_running_trials_and_starts_none_until_resumed(window, qtbot, toy):
    window.import_spec(toy)
    window.run_panel.trials.setValue(40)
    window.run_study()
    qtbot.waitUntil(lambda: window.study.n_finished >= 2, timeout=30_000)
    qtbot.mouseClick(window.run_panel.pause_button, Qt.LeftButton)
    assert window.run_panel.pause_button.text() == "Resume"
    assert window.statusBar().currentMessage().startswith("Paused")
    # Every worker parked by the pause: none can start a trial until Resume.
    pool = window.pool
    qtbot.waitUntil(lambda: pool.control.waiting == pool.workers, timeout=30_000)
    paused_at = window.study.n_finished
    assert window.study.counts()[TrialState.RUNNING] == 0
    qtbot.mouseClick(window.run_panel.pause_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.study.n_finished > paused_at, timeout=30_000)
    qtbot.mouseClick(window.run_panel.stop_button, Qt.LeftButton)
    wait_until_idle(qtbot, window)
    states = {t.state for t in window.study.trials}
    assert states <= {TrialState.COMPLETE, TrialState.INTERRUPTED}
    assert window.study.n_finished < 40


def test_stop_interrupts_hanging_trials_and_keeps_the_window_usable(window, qtbot, tmp_path):
    (tmp_path / "slow.py").write_text("import time\ndef f(params):\n    time.sleep(60)\n")
    spec = tmp_path / "slow.toml"
    spec.write_text(
        'name = "slow"\nworkers = 2\n[budget]\ntrials = 4\n'
        '[objective]\nkind = "python"\npath = "slow.py"\nfunction = "f"\n'
        '[[params]]\nname = "x"\ntype = "float"\nlow = 0.0\nhigh = 1.0\n'
    )
    window.import_spec(spec)
    window.run_study()
    qtbot.waitUntil(lambda: window.study.counts()[TrialState.RUNNING] == 2, timeout=30_000)
    window.stop_study()
    wait_until_idle(qtbot, window, timeout=20_000)
    assert [t.state for t in window.study.trials] == [TrialState.INTERRUPTED] * 2
    assert window.run_panel.run_button.isEnabled()


def test_a_saved_study_reopens_with_its_trials_without_running(window, qtbot, toy, tmp_path):
    window.import_spec(toy)
    window.run_panel.trials.setValue(4)
    window.run_study()
    wait_until_idle(qtbot, window)
    path = window.study.file.path
    window.setWindowModified(False)

    other = MainWindow(QSettings(str(tmp_path / "other.ini"), QSettings.IniFormat))
    qtbot.addWidget(other)
    assert other.open_path(path)
    other.feed.flush()
    assert other.table.model.rowCount() == 4
    assert other.pool is None
    assert other.name_edit.text() == "toy training"
    assert other.run_panel.run_button.text() == "Continue"
    other.close()


def test_export_csv_reads_back(window, qtbot, toy, tmp_path):
    window.import_spec(toy)
    window.run_panel.trials.setValue(3)
    window.run_study()
    wait_until_idle(qtbot, window)
    out = tmp_path / "out.csv"
    window.table.export(out, "csv")
    rows = list(csv.DictReader(out.open()))
    assert [int(r["number"]) for r in rows] == [0, 1, 2]
    assert all(r["state"] == "complete" and float(r["value"]) > 0 for r in rows)


def test_a_command_from_a_file_is_shown_before_it_runs(window, qtbot, monkeypatch):
    shown = []

    def refuse(parent, text):
        shown.append(text)
        return False

    monkeypatch.setattr(main_window_module, "confirm_objective", refuse)
    window.import_spec(EXAMPLES / "command.toml")
    window.run_study()
    assert shown and "train_mlp.py" in shown[0]
    assert window.pool is None and window.study is None  # nothing ran, nothing written


def test_rerun_from_the_table_runs_the_same_params_again(window, qtbot, toy):
    window.import_spec(toy)
    window.run_panel.trials.setValue(2)
    window.run_study()
    wait_until_idle(qtbot, window)
    first = window.study.trials[0]
    window.table.rerun(first.number)
    wait_until_idle(qtbot, window)
    assert window.study.trials[-1].params == first.params
    assert len(window.study.trials) == 3


def test_opening_a_damaged_file_shows_an_error_and_changes_nothing(window, tmp_path):
    bad = tmp_path / "bad.knobs"
    bad.write_bytes(b"not a database at all")
    assert not window.open_path(bad)
    assert window.errors and "not a Knobs study file" in window.errors[0]
    assert bad.read_bytes() == b"not a database at all"


def test_recent_files_and_layout_persist(window, qtbot, toy, tmp_path):
    window.import_spec(toy)
    window.run_panel.trials.setValue(1)
    window.run_study()
    wait_until_idle(qtbot, window)
    path = str(window.study.file.path.resolve())
    window.setWindowModified(False)
    window.close()
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    assert settings.value("files/recent")[0] == path or settings.value("files/recent") == path
    assert settings.value("window/geometry") is not None
    reopened = Study.open(path, readonly=True)
    assert len(reopened.trials) == 1
    reopened.close()


def test_dropping_a_spec_file_onto_the_window_opens_it(window, qtbot, toy):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(toy))])
    event = QDropEvent(QPointF(10, 10), Qt.CopyAction, data, Qt.LeftButton, Qt.NoModifier)
    window.dropEvent(event)
    qtbot.waitUntil(lambda: window.name_edit.text() == "toy training", timeout=5000)
    assert [p.name for p in window.space_editor.params()][0] == "learning_rate"


def test_a_changed_space_after_trials_says_run_starts_a_new_study_file(window, qtbot, toy):
    window.import_spec(toy)
    window.run_panel.trials.setValue(2)
    window.run_study()
    first = window.study.file.path
    assert f"Saving to {first}" in window.statusBar().currentMessage()  # says where it goes
    wait_until_idle(qtbot, window)
    params = list(window.space_editor.params())
    wider = params[0].__class__(**{**params[0].__dict__, "high": params[0].high * 2})
    window.space_editor.set_params([wider, *params[1:]])
    button = window.run_panel.run_button
    assert button.text() == "Run as a new study" and button.isEnabled()
    assert f"parameters changed: {wider.name}" in button.toolTip()
    assert "Run starts a new study file, toy-training-2.knobs" in button.toolTip()
    assert window.run_panel.progress.format() == "No trials yet"  # the new study's estimate
    window.run_study()
    wait_until_idle(qtbot, window)
    assert window.study.file.path != first and window.study.n_finished == 2
    assert len(Study.open(first, readonly=True).trials) == 2  # the old study is kept


def test_save_says_where_the_study_was_saved(window, qtbot, toy, tmp_path):
    window.import_spec(toy)
    assert window.save_as(tmp_path / "mine.knobs")
    assert window.statusBar().currentMessage() == f"Saved {tmp_path / 'mine.knobs'}"


def test_running_ones_own_study_again_does_not_ask_to_confirm_its_code(
        window, qtbot, toy, monkeypatch):
    asked = []
    monkeypatch.setattr(main_window_module, "confirm_objective",
                        lambda parent, text: asked.append(text) or True)
    window.import_spec(toy)
    window.run_panel.trials.setValue(2)
    window.run_study()
    wait_until_idle(qtbot, window)
    assert len(asked) == 1  # a Python file from a spec: shown before its first run
    path = window.study.file.path
    window.setWindowModified(False)
    assert window.open_path(path)
    window.run_panel.trials.setValue(3)
    window.run_study()
    wait_until_idle(qtbot, window)
    assert len(asked) == 1 and window.study.n_finished == 3


def test_a_model_switch_asks_before_replacing_an_edited_space(window, qtbot, monkeypatch):
    window.load_spec(load_spec(EXAMPLE_SPEC), EXAMPLE_SPEC.parent, from_file=False)
    questions = []
    monkeypatch.setattr(main_window_module.QMessageBox, "question",
                        lambda *args, **kw: questions.append(args[1])
                        or main_window_module.QMessageBox.No)
    edited = list(window.space_editor.params())[:1]
    window.space_editor.set_params(edited)  # the user's edit, as the editor reports it
    window._space_edited = True
    window.setup_tabs.setCurrentIndex(0)  # on "What to tune": the space editor is hidden
    window.objective_panel.default_space_suggested.emit(list(load_spec(EXAMPLE_SPEC).params))
    assert questions == ["Replace the search space?"]
    assert window.space_editor.params() == edited


def test_a_second_objective_and_a_limit_run_to_a_pareto_front(window, qtbot, toy):
    window.import_spec(toy)
    goals = window.objective_panel.goals
    qtbot.mouseClick(goals.add_objective_button, Qt.LeftButton)
    row = goals._objectives[0]
    qtbot.keyClicks(row.metric.lineEdit(), "epochs_run")  # what toy_training returns
    qtbot.mouseClick(goals.add_limit_button, Qt.LeftButton)
    limit = goals._limits[0]
    limit.metric.setCurrentIndex(limit.metric.findData("value"))
    limit.number.setValue(1.5)
    assert limit.words.text() == "Keep the score under 1.5"
    window.run_panel.trials.setValue(6)
    assert window.run_panel.run_button.isEnabled(), window.run_panel.message.text()
    qtbot.mouseClick(window.run_panel.run_button, Qt.LeftButton)
    wait_until_idle(qtbot, window)

    study = window.study
    assert [g.metric for g in study.spec.goals] == ["value", "epochs_run"]
    assert study.spec.constraints[0].max == 1.5
    assert load_spec_text_round_trips(study)
    plots = window.plots
    assert plots.tabs.isTabVisible(plots.tabs.indexOf(plots.plots["pareto"]))
    pareto = plots.show_plot("pareto")
    with_values = [t.number for t in study.trials if t.values]
    # The plots take each batch a moment after the table (desktop/plots/panel.py).
    qtbot.waitUntil(lambda: sorted(pareto.shown.tolist()) == with_values, timeout=5_000)
    n = len(study.pareto_front)
    assert window.run_panel.best_label.text().startswith(f"Best so far: {n} trial")
    chosen = study.pareto_front[0].number
    window.feed.select(chosen)  # as a click on its point does
    rows = window.table.view.selectionModel().selectedRows()
    assert [window.table.proxy.index(r.row(), 0).data() for r in rows] == [str(chosen)]


def load_spec_text_round_trips(study) -> bool:
    from engine.spec import dump_spec, parse_spec

    return parse_spec(dump_spec(study.spec)) == study.spec
