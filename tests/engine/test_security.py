"""The promises of docs/security.md, each checked the way an attacker would try to break it.

1. Opening a spec or a study file never runs code: the objective's Python file is not
   imported and its command not started until the user presses Run and confirms it.
2. A study file holds no pickles: plain JSON, numbers and text, and a pickle slipped into one
   is refused as damage, never loaded.
3. Command objectives never use a shell: a parameter value reaches the program as one plain
   argument. Single values are checked in tests/engine/test_command_objective.py::test_a_
   value_reaches_the_program_as_one_plain_argument (``;``, ``$(…)``, backticks, ``&&``,
   ``*``, spaces); here the remaining shell syntax goes the whole way: spec file, study,
   worker process, program.

The window's side of 1 and 2 runs the real window: tests/desktop/test_window_process.py.
"""

from __future__ import annotations

import json
import pathlib
import pickle
import re
import sqlite3
from pathlib import Path

import pytest
import tomli_w

from engine.objectives.registry import make_objective, resolve_paths
from engine.runner import Runner
from engine.spec import load_spec, spec_from_dict
from engine.storage import StudyFileError
from engine.study import Study
from engine.trial import TrialState
from tests.engine.processes import ROOT, knobs, saved_trials

# A file that leaves a marker the moment anything imports or runs it.
TRAP = """
import pathlib
pathlib.Path(__file__).with_name("marker").write_text("this code ran")

def f(params):
    return 0.0
"""


@pytest.fixture
def trapped(tmp_path) -> dict[str, Path]:
    return make_trapped(tmp_path)


def make_trapped(tmp_path: Path) -> dict[str, Path]:
    """Specs and study files whose objectives would leave ``marker`` if they ever ran."""
    (tmp_path / "trap.py").write_text(TRAP)
    param = [{"name": "x", "type": "float", "low": 0.0, "high": 1.0}]
    objectives = {
        "python": {"kind": "python", "path": "trap.py", "function": "f"},
        "command": {"kind": "command", "command": "python trap.py --x {x}"},
    }
    files = {}
    for kind, objective in objectives.items():
        data = {"name": kind, "budget": {"trials": 3}, "objective": objective, "params": param}
        spec_file = tmp_path / f"{kind}.toml"
        spec_file.write_text(tomli_w.dumps(data))
        spec = spec_from_dict(data)
        spec = spec.evolve(objective=resolve_paths(spec.objective, tmp_path))
        study = Study.create(spec, tmp_path / f"{kind}.knobs")
        trial = study.ask()
        study.tell(trial.number, TrialState.COMPLETE, value=0.5)  # told, never run
        study.close()
        files[f"{kind} spec"] = spec_file
        files[f"{kind} study"] = tmp_path / f"{kind}.knobs"
    return files


def test_the_trap_is_live(tmp_path):
    """Guards the tests below: running the trap's objective does leave the marker."""
    (tmp_path / "trap.py").write_text(TRAP)
    objective = make_objective({"kind": "python", "path": str(tmp_path / "trap.py"),
                                "function": "f"})
    objective.evaluate({"x": 0.5}, lambda step, value: None)
    assert (tmp_path / "marker").exists()


def test_loading_specs_and_opening_studies_in_the_engine_runs_no_code(trapped):
    folder = next(iter(trapped.values())).parent
    for name, path in trapped.items():
        if name.endswith("spec"):
            spec = load_spec(path)
            objective = make_objective(resolve_paths(spec.objective, folder))
            objective.check(spec.space.names)  # what Run checks first: reads, never runs
            objective.describe()
        else:
            for readonly in (True, False):
                study = Study.open(path, readonly=readonly)
                assert [t.value for t in study.trials] == [0.5]
                make_objective(study.spec.objective).describe()
                study.close()
    assert not (folder / "marker").exists()


def test_show_and_export_on_the_command_line_run_no_code(trapped):
    folder = next(iter(trapped.values())).parent
    for name, path in trapped.items():
        if name.endswith("study"):
            shown = knobs("show", path)
            assert shown.returncode == 0 and "trap.py" in shown.stdout
            assert knobs("export", path, "-o", folder / f"{name}.json").returncode == 0
    assert not (folder / "marker").exists()


# --- no pickles ------------------------------------------------------------------------

RICH = """
import numpy as np

def f(params, report):
    for step in range(3):
        report(step, np.float32(step / 10))
    return {"value": np.float64(params["x"]), "folds": np.array([0.5, 0.25]).tolist(),
            "count": np.int64(3), "model": object(), "ok": True, "note": None}
"""


def test_the_study_file_holds_only_json_numbers_and_text(tmp_path):
    (tmp_path / "rich.py").write_text(RICH)
    spec = spec_from_dict({
        "name": "rich", "workers": 2, "budget": {"trials": 4},
        "objective": {"kind": "python", "path": str(tmp_path / "rich.py"), "function": "f"},
        "params": [{"name": "x", "type": "float", "low": 0.0, "high": 1.0},
                   {"name": "kind", "type": "categorical", "choices": ["a", 1, True]}],
    })
    study = Study.create(spec, tmp_path / "rich.knobs")
    Runner(study, make_objective(spec.objective)).run()
    study.close()

    conn = sqlite3.connect(tmp_path / "rich.knobs")
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"meta", "trials", "intermediate", "notes"}
    for table in tables:
        for column in [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]:
            kinds = {r[0] for r in conn.execute(f"SELECT DISTINCT typeof({column}) FROM {table}")}
            assert kinds <= {"null", "integer", "real", "text"}, (table, column, kinds)
    for params, metrics in conn.execute("SELECT params, metrics FROM trials"):
        assert set(json.loads(params)) <= {"x", "kind"}
        # Anything that is not JSON (a model object) was stored as its text.
        assert json.loads(metrics)["model"].startswith("<object object at")
    meta = dict(conn.execute("SELECT key, value FROM meta"))
    conn.close()
    assert json.loads(meta["spec"])["name"] == "rich" and float(meta["created_at"]) > 0
    trials = saved_trials(tmp_path / "rich.knobs")
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 4
    assert all(t.metrics["count"] == 3.0 and len(t.intermediate) == 3 for t in trials)


class _Payload:
    """Unpickling this writes a file: what a malicious study file would carry."""

    def __init__(self, target: Path):
        self.target = target

    def __reduce__(self):
        return (pathlib.Path.write_text, (self.target, "unpickled"))


def study_with_a_pickle(tmp_path: Path) -> Path:
    """A study file whose trial metrics and meta table hold a pickle that, if loaded, writes
    ``marker`` next to it."""
    path = tmp_path / "evil.knobs"
    spec = spec_from_dict({
        "name": "evil", "budget": {"trials": 1},
        "objective": {"kind": "python", "path": "x.py", "function": "f"},
        "params": [{"name": "x", "type": "float", "low": 0.0, "high": 1.0}],
    })
    study = Study.create(spec, path)
    trial = study.ask()
    study.tell(trial.number, TrialState.COMPLETE, value=0.5)
    study.close()
    payload = pickle.dumps(_Payload(tmp_path / "marker"))
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE trials SET metrics = ?", (payload,))
        conn.execute("INSERT INTO meta (key, value) VALUES ('extra', ?)", (payload,))
    conn.close()
    return path


def test_a_pickle_slipped_into_a_study_file_is_refused_as_damage_never_loaded(tmp_path):
    live = tmp_path / "live"
    pickle.loads(pickle.dumps(_Payload(live)))
    assert live.exists()  # the payload works when unpickled

    path = study_with_a_pickle(tmp_path)
    with pytest.raises(StudyFileError, match="a trial row is damaged"):
        Study.open(path, readonly=True)
    shown = knobs("show", path)
    assert shown.returncode == 2 and "a trial row is damaged" in shown.stderr
    assert not (tmp_path / "marker").exists()
    # The window refuses it too: tests/desktop/test_window_process.py.


# --- no shell --------------------------------------------------------------------------

ECHO = """
import json, os, sys
print(json.dumps({"value": 0, "args": sys.argv[1:], "tag": os.environ["TAG"]}))
"""
SHELL_SYNTAX = [
    "a | touch piped", "b > redirected", "c < /etc/passwd", "$HOME", "${HOME}", "~", "~root",
    "line\nbreak; touch newline", "d & touch backgrounded", "(touch subshell)",
    "e || touch ored", "<(touch procsub)", "\\$(touch escaped)", "-o /tmp/owned",
]


def test_shell_syntax_in_values_env_and_template_reaches_the_program_as_plain_text(tmp_path):
    (tmp_path / "echo.py").write_text(ECHO)
    spec_file = tmp_path / "shell.toml"
    spec_file.write_text(tomli_w.dumps({
        "name": "shell", "workers": 2, "sampler": {"name": "grid"},
        "objective": {
            "kind": "command",
            # The template's own ";" and "touch" are arguments too: no shell reads them.
            "command": "python echo.py --name {name} --tag=v{name} ; touch template",
            "env": {"TAG": "$(touch from-env)"},
        },
        "params": [{"name": "name", "type": "categorical", "choices": SHELL_SYNTAX}],
    }))
    spec = load_spec(spec_file)
    spec = spec.evolve(objective=resolve_paths(spec.objective, tmp_path))
    study = Study.create(spec, tmp_path / "shell.knobs")
    Runner(study, make_objective(spec.objective)).run()
    study.close()

    trials = saved_trials(tmp_path / "shell.knobs")
    assert [t.state for t in trials] == [TrialState.COMPLETE] * len(SHELL_SYNTAX), [
        t.error for t in trials]
    for t in trials:
        value = t.params["name"]
        assert t.metrics["args"] == ["--name", value, f"--tag=v{value}", ";", "touch",
                                     "template"]
        assert t.metrics["tag"] == "$(touch from-env)"
    created = {p.name for p in tmp_path.iterdir()} - {"echo.py", "shell.toml", "shell.knobs"}
    assert created == set(), created


def test_each_promise_in_the_docs_names_tests_that_exist():
    doc = (ROOT / "docs" / "security.md").read_text()
    named = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", doc)
    assert len(named) >= 5
    for file, test in named:
        assert f"def {test}(" in (ROOT / file).read_text(), f"{file}::{test}"


# --- text from files reaches the terminal escaped -------------------------------------

HOSTILE = "\x1b]0;owned\x07\x1b[2J\x1b[H\u202e"  # set the title, clear, cursor home, bidi


def test_escape_sequences_from_a_study_are_shown_escaped_by_show_and_run(tmp_path):
    (tmp_path / "f.py").write_text(
        "def f(params):\n    return {'value': params['x'], 'note" + "\\x1b[2J': 1.0}\n")
    data = {"name": "evil" + HOSTILE, "budget": {"trials": 2},
            "objective": {"kind": "python", "path": "f.py", "function": "f"},
            "params": [{"name": "x", "type": "float", "low": 0.0, "high": 1.0}]}
    spec_file = tmp_path / "evil.toml"
    spec_file.write_text(tomli_w.dumps(data))
    ran = knobs("run", spec_file, "--out", tmp_path / "evil.knobs")
    shown = knobs("show", tmp_path / "evil.knobs")
    for result in (ran, shown):
        assert result.returncode == 0, result.stderr
        text = result.stdout + result.stderr
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "evil\\x1b]0;owned\\x07\\x1b[2J\\x1b[H\\u202e" in shown.stdout


def test_an_error_with_escape_sequences_is_printed_escaped(tmp_path):
    spec_file = tmp_path / "bad.toml"
    spec_file.write_text(tomli_w.dumps({"name": "x", "direction": "up" + HOSTILE}))
    result = knobs("run", spec_file)
    assert result.returncode == 2
    assert "\x1b" not in result.stderr and "\\x1b]0;owned" in result.stderr


# --- exports ---------------------------------------------------------------------------


def test_an_export_over_a_study_file_is_refused_and_the_study_kept(trapped, tmp_path):
    study = trapped["python study"]
    before = study.read_bytes()
    for target in (study, trapped["command study"]):
        result = knobs("export", study, "--format", "csv", "-o", target)
        assert result.returncode == 2
        assert "study" in result.stderr and str(target) in result.stderr
    assert study.read_bytes() == before
    assert [t.value for t in saved_trials(study)] == [0.5]


def test_an_export_is_not_writable_by_others_even_with_umask_000(trapped, tmp_path):
    import subprocess
    import sys
    code = ("import os, sys; os.umask(0); from engine.cli import main; "
            "sys.exit(main(sys.argv[1:]))")
    for suffix in ("csv", "json"):
        target = tmp_path / f"out.{suffix}"
        done = subprocess.run([sys.executable, "-c", code, "export",
                               str(trapped["python study"]), "-o", str(target)],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert target.stat().st_mode & 0o022 == 0, oct(target.stat().st_mode)
