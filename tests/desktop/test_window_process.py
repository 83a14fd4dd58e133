"""The real window in its own process, offscreen, driven as a user drives it: bad files
are refused with a dialog, code from a file is never run unseen, and a window killed
mid-study loses no finished trial. The engine's side of each rule is in tests/engine
(test_bad_input.py, test_security.py, test_faults.py), whose helpers build the files.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import tomli_w

from engine.trial import TrialState
from tests.desktop.window_process import start_window_run, window_open
from tests.engine.processes import knobs, saved_trials, wait_for_complete, wait_for_release
from tests.engine.test_bad_input import STUDY_CASES, _edit_foreign, _listing, _truncated, param
from tests.engine.test_faults import by_number, integrity, spec_file
from tests.engine.test_security import make_trapped, study_with_a_pickle

# --- bad files ---------------------------------------------------------------------------


def test_the_window_shows_a_dialog_for_each_bad_file_and_writes_nothing(tmp_path):
    folder = tmp_path / "files"
    folder.mkdir()
    cases = {
        "truncated.knobs": (_truncated, "the study file is damaged"),
        "future.knobs": (STUDY_CASES["future version"][0], "written by a newer Knobs"),
        "foreign.knobs": (_edit_foreign, "an SQLite database from another program"),
        "spec.knobs": (STUDY_CASES["spec not JSON"][0], "the stored spec is damaged"),
    }
    for name, (make, _) in cases.items():
        make(folder / name)
    (folder / "bad.toml").write_text(tomli_w.dumps(param(low=2.0)))
    (folder / "deep.json").write_text("[" * 50_000)
    before = _listing(folder)
    shown = window_open(tmp_path, *(folder / n for n in [*cases, "bad.toml", "deep.json"]))
    expected = [m for _, m in cases.values()] + ["must be greater than low (2.0)",
                                                 "nested too deeply"]
    assert len(shown) == len(expected)
    for result, message in zip(shown, expected):
        assert not result["opened"] and not result["exceptions"], result
        assert len(result["errors"]) == 1 and message in result["errors"][0], result
    assert _listing(folder) == before


def test_a_study_file_holding_a_pickle_is_refused_as_damage_never_loaded(tmp_path):
    path = study_with_a_pickle(tmp_path)
    [opened] = window_open(tmp_path, path)
    assert not opened["opened"] and "a trial row is damaged" in opened["errors"][0]
    assert not opened["exceptions"]
    assert not (tmp_path / "marker").exists()


# --- code from a file ----------------------------------------------------------------------


def test_the_window_opens_specs_and_studies_without_running_code_and_asks_before_run(
        tmp_path):
    trapped = make_trapped(tmp_path)
    shown = window_open(tmp_path, *trapped.values(), press_run=True)
    assert [r["path"] for r in shown] == [str(p) for p in trapped.values()]
    for result in shown:
        assert result["opened"] and not result["errors"] and not result["exceptions"], result
        # Run showed what would run; the user said no, so nothing started.
        assert len(result["confirmations"]) == 1 and "trap.py" in result["confirmations"][0]
        assert not result["running"]
    assert not (tmp_path / "marker").exists()


# --- the window is killed -----------------------------------------------------------------


def test_sigkill_of_the_window_mid_study_keeps_finished_trials_and_resume_meets_the_budget(
        tmp_path):
    spec = spec_file(tmp_path, "slow", trials=16)
    window = start_window_run(spec, tmp_path)
    try:
        path = Path(window.stdout.readline().strip())
        assert path.name.endswith(".knobs"), (tmp_path / "window.log").read_text()
        finished = wait_for_complete(path, at_least=3, proc=window)
        os.kill(window.pid, signal.SIGKILL)
        window.wait(30)
    finally:
        if window.poll() is None:
            window.kill()
            window.wait(30)
        window.stdout.close()
    wait_for_release(path)

    after = saved_trials(path)
    kept = by_number(after)
    assert all(kept[t.number] == t for t in finished)  # nothing finished was lost
    assert {t.state for t in after} <= {TrialState.COMPLETE, TrialState.INTERRUPTED}
    interrupted = [t for t in after if t.state is TrialState.INTERRUPTED]
    assert interrupted and all("stopped while it ran" in t.error for t in interrupted)
    assert integrity(path) == "ok"

    result = knobs("run", spec, "--out", path, "--resume")
    assert result.returncode == 0, result.stderr
    complete = [t for t in after if t.state is TrialState.COMPLETE]
    assert f"{len(complete)} finished trials kept" in result.stdout
    resumed = by_number(saved_trials(path))
    assert sum(t.state is TrialState.COMPLETE for t in resumed.values()) == 16
    assert all(resumed[t.number] == t for t in complete)  # untouched by the resume
