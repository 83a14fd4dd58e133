"""The window and the command line open, continue and fail studies by the same rules
(engine/session.py and engine/runner.py): each test does one thing through both hosts,
on two copies of the same study file, and checks that both end the same way."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import Qt

from desktop.main_window import MainWindow
from engine.cli import main as cli_main
from engine.samplers import RandomSampler
from engine.study import Study
from engine.trial import TrialState
from tests.engine.processes import (
    knobs,
    saved_trials,
    start_knobs,
    wait_for_complete,
    write_python_spec,
)

FAULTY = Path(__file__).resolve().parents[1] / "engine" / "objectives" / "faulty.py"
PLAIN = "def f(params):\n    return params['x']\n"
# A step number SQLite cannot store: an error outside the trial's own code, which must stop
# the run (it once killed a worker thread quietly and the run said "Done").
UNSTORABLE = ("def f(params, report):\n    if params['x'] > 0.5:\n"
              "        report(2**63, 1.0)\n    return params['x']\n")


def run_in_window(qtbot, window: MainWindow, trials: int) -> None:
    window.run_panel.trials.setValue(trials)
    window.run_study()
    qtbot.waitUntil(lambda: window.pool is None, timeout=90_000)
    window.feed.flush()


def two_copies(tmp_path: Path, trials: int) -> tuple[Path, Path, Path]:
    """The spec, and a study of it with ``trials`` trials made by the CLI, copied."""
    spec = write_python_spec(tmp_path, PLAIN, trials=trials)
    cli_file, window_file = tmp_path / "cli.knobs", tmp_path / "window.knobs"
    made = knobs("run", spec, "--out", cli_file)
    assert made.returncode == 0, made.stderr
    shutil.copy(cli_file, window_file)
    return spec, cli_file, window_file


def test_both_continue_a_study_of_the_same_search_in_its_own_file(qtbot, window, tmp_path):
    spec, cli_file, window_file = two_copies(tmp_path, trials=3)
    spec.write_text(spec.read_text().replace("trials = 3", "trials = 5"))

    result = knobs("run", spec, "--out", cli_file, "--resume")
    assert result.returncode == 0, result.stderr
    assert window.open_path(window_file)
    run_in_window(qtbot, window, trials=5)

    assert window.errors == [] and window.study.file.path == window_file
    for path in (cli_file, window_file):
        trials = saved_trials(path)
        assert [t.state for t in trials] == [TrialState.COMPLETE] * 5
        assert trials[:3] == saved_trials(cli_file)[:3]  # the first three were kept as they were
    assert sorted(p.name for p in tmp_path.glob("*.knobs")) == ["cli.knobs", "window.knobs"]


def test_neither_adds_another_search_to_a_study_and_both_name_the_change(
        qtbot, window, tmp_path):
    spec, cli_file, window_file = two_copies(tmp_path, trials=3)
    before = saved_trials(cli_file)
    spec.write_text(spec.read_text().replace("high = 1.0", "high = 2.0"))

    result = knobs("run", spec, "--out", cli_file, "--resume")
    assert result.returncode == 2
    assert "parameters changed: x" in result.stderr and "cannot be resumed" in result.stderr

    assert window.open_path(window_file)
    [x] = window.space_editor.params()
    window.space_editor.set_params([x.__class__(**{**x.__dict__, "high": 2.0})])
    button = window.run_panel.run_button
    assert button.text() == "Run as a new study"
    assert "parameters changed: x" in button.toolTip()
    run_in_window(qtbot, window, trials=3)
    assert window.study.file.path not in (cli_file, window_file)  # a new file beside it

    assert saved_trials(cli_file) == before and saved_trials(window_file) == before


def test_both_stop_on_an_error_outside_the_trials_with_the_same_line(qtbot, window, tmp_path):
    spec = write_python_spec(tmp_path, UNSTORABLE, trials=40)

    result = knobs("run", spec, "--out", tmp_path / "cli.knobs")
    assert result.returncode == 1 and "Done" not in result.stdout
    [line] = [x for x in result.stderr.splitlines() if "error:" in x]

    assert window.import_spec(spec)
    run_in_window(qtbot, window, trials=40)
    [shown] = window.errors
    assert line == f"knobs run: error: {shown}"
    assert shown.startswith("the run stopped: ")

    window_file = window.study.file.path
    window._close_study()  # as closing the window would, so the file can be read as a whole
    for path in (tmp_path / "cli.knobs", window_file):
        trials = Study.open(path, readonly=True).trials
        states = [t.state for t in trials]
        assert len(trials) < 40 and TrialState.RUNNING not in states
        assert TrialState.INTERRUPTED in states  # the trial in flight, to run again


def test_both_say_when_the_sampler_failed_and_trials_got_random_points(
        qtbot, window, tmp_path, monkeypatch, capsys):
    def broken_ask(self, trials):
        raise ValueError("the sampler broke")

    monkeypatch.setattr(RandomSampler, "ask", broken_ask)
    spec = write_python_spec(tmp_path, PLAIN, trials=3)  # random search, the default

    assert cli_main(["run", str(spec), "--out", str(tmp_path / "cli.knobs")]) == 0
    said = "The random sampler failed 3 time(s)"
    assert said.replace("The", "the") in capsys.readouterr().out

    assert window.import_spec(spec)
    run_in_window(qtbot, window, trials=3)
    assert window.errors == [] and window.study.n_finished == 3
    assert said in window.statusBar().currentMessage()


def test_neither_writes_to_a_study_another_process_is_running(qtbot, window, tmp_path):
    spec = write_python_spec(tmp_path, PLAIN, trials=20)
    spec.write_text(spec.read_text().replace('path = "obj.py"', f'path = "{FAULTY}"')
                    .replace('function = "f"', 'function = "held"'))
    path = tmp_path / "held.knobs"
    hold = tmp_path / "hold"  # while it exists, the writer's trials wait: it surely runs
    writer = start_knobs("run", spec, "--out", path, env={"KNOBS_HOLD": str(hold)})
    try:
        wait_for_complete(path, at_least=2, proc=writer)
        hold.touch()

        result = knobs("run", spec, "--out", path, "--resume")
        assert result.returncode == 2 and "in use by another Knobs process" in result.stderr

        assert window.open_path(path)
        assert window.statusBar().currentMessage().startswith("Opened read-only")
        assert not window.run_panel.run_button.isEnabled()
        assert "being run by another Knobs" in window.run_panel.run_button.toolTip()
        qtbot.mouseClick(window.run_panel.run_button, Qt.LeftButton)
        assert window.pool is None and window.study.file.path == path
    finally:
        hold.unlink(missing_ok=True)
        writer.wait(120)
    assert writer.returncode == 0  # the writer finished its study undisturbed
    assert [t.state for t in saved_trials(path)] == [TrialState.COMPLETE] * 20
