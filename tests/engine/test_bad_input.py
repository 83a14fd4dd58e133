"""Bad input of every kind gives a clear message naming what is wrong, and changes nothing.

Tables, one row per rule: specs (every validation rule of engine/space.py and
engine/spec.py), CSV files for the scikit-learn objective, study files and command
templates; then a representative subset through the command line (exit 2, one line per
problem, no traceback, no file written) and through the window's File > Open (an error
dialog, no file written); then a fuzz of spec files.

Covered elsewhere and not repeated: CSV files that are empty, header-only, one column,
ragged, with repeated names or an Excel file (tests/engine/test_sklearn_objective.py::
test_csv_problems_are_clear_errors and neighbours); each command-template and objective
setting rule (tests/engine/test_command_objective.py::test_check_names_the_setting_and_the_
value); study files that are empty, random bytes, a spec, truncated, foreign or from a newer
Knobs at the StudyFile level (tests/engine/test_storage.py); bad command-line arguments
(tests/engine/test_cli.py::test_bad_arguments_exit_2_with_a_clear_line).
"""

from __future__ import annotations

import copy
import json
import math
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.objectives.base import ObjectiveError
from engine.objectives.sklearn_data import load_csv
from engine.objectives.sklearn_objective import SklearnObjective
from engine.samplers import make_sampler
from engine.spec import SpecError, dump_spec, load_spec, parse_spec, spec_from_dict
from engine.storage import SCHEMA_VERSION, StudyFile, StudyFileError
from engine.study import Study
from engine.trial import Trial, TrialState
from tests.engine.processes import knobs, window_open

X = {"name": "x", "type": "float", "low": 0.0, "high": 1.0}
BASE = {
    "name": "bad input",
    "objective": {"kind": "python", "path": "obj.py", "function": "f"},
    "params": [X],
}
SOLVER = {"name": "solver", "type": "categorical", "choices": ["adam", "sgd"]}


def spec_with(**changes) -> dict:
    """BASE with top-level settings replaced; a value of ``...`` removes the setting."""
    data = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is ...:
            data.pop(key)
        else:
            data[key] = value
    return data


def param(**fields) -> dict:
    """BASE with its one parameter changed; a field set to ``...`` is removed."""
    p = {**X, **fields}
    return spec_with(params=[{k: v for k, v in p.items() if v is not ...}])


def params(*items: dict) -> dict:
    return spec_with(params=list(items))


# One row per rule: the spec, and the one problem it must report (location, value, rule).
SPEC_CASES = {
    # --- engine/spec.py: the file's settings ---
    "unknown setting": (spec_with(trails=5), "trails: unknown setting; accepted: name, "),
    "name missing": (spec_with(name=...), "name: missing"),
    "name empty": (spec_with(name="  "), "name = '  ': expected non-empty text"),
    "name not text": (spec_with(name=3), "name = 3: expected non-empty text"),
    "direction": (spec_with(direction="up"), "direction = 'up': expected one of minimize, "
                                              "maximize"),
    "seed negative": (spec_with(seed=-1), "seed = -1: expected a whole number >= 0"),
    "seed true": (spec_with(seed=True), "seed = true: expected a whole number >= 0"),
    "workers": (spec_with(workers=0), "workers = 0: expected a whole number from 1 to 1,024"),
    "timeout zero": (spec_with(timeout_s=0), "timeout_s = 0: expected a number greater than 0"),
    "timeout inf": (spec_with(timeout_s=math.inf),
                    "timeout_s = inf: expected a number greater than 0"),
    "memory limit": (spec_with(memory_limit_mb=10),
                     "memory_limit_mb = 10: expected a whole number from 64 to 16,777,216"),
    "budget not a table": (spec_with(budget=5), "budget = 5: expected a [budget] table"),
    "budget unknown": (spec_with(budget={"trails": 5}),
                       "budget.trails: unknown setting; accepted: trials, time_s"),
    "budget trials": (spec_with(budget={"trials": 0}),
                      "budget.trials = 0: expected a whole number >= 1"),
    "budget time": (spec_with(budget={"time_s": -1}),
                    "budget.time_s = -1: expected a number greater than 0"),
    "sampler not a table": (spec_with(sampler="grid"),
                            "sampler = 'grid': expected a [sampler] table"),
    "sampler name": (spec_with(sampler={"name": "genetic"}),
                     "sampler.name = 'genetic': expected one of grid, random, sobol, bayes"),
    "objective missing": (spec_with(objective=...), "objective: missing; add a [objective] table"),
    "objective not a table": (spec_with(objective="train.py"),
                              "objective = 'train.py': expected a [objective] table"),
    "objective kind": (spec_with(objective={"path": "obj.py"}),
                       "objective.kind = nothing: name the kind of objective"),
    "direction against metric": (
        spec_with(direction="minimize", objective={"kind": "sklearn", "model": "svc",
                                                   "dataset": "iris", "metric": "accuracy"}),
        "direction = 'minimize': the objective's accuracy is better when higher"),
    "params missing": (spec_with(params=...), "params: missing; add at least one [[params]]"),
    "params not a list": (spec_with(params={"name": "x"}),
                          "params = {name = 'x'}: expected a list of [[params]] tables"),
    "param not a table": (spec_with(params=[3]), "params[0] = 3: expected a table with name"),
    "param type": (param(type="double"), "params[0] 'x'.type = 'double': expected one of float, "
                                         "int, categorical, fixed"),
    "param unknown setting": (param(choices=[1]),
                              "params[0] 'x'.choices: unknown setting; accepted: name, type, "),
    "param name not text": (param(name=5), "params[0] '5'.name = 5: expected text"),
    "condition shape": (param(condition={"a": [1], "b": [2]}),
                        "params[0] 'x'.condition = {a = [1], b = [2]}: expected one parent"),
    "help not text": (param(help=5), "params[0] 'x'.help = 5: expected text"),
    "choices not a list": (params({"name": "c", "type": "categorical", "choices": "a,b"}),
                           "params[0] 'c'.choices = 'a,b': expected a list of values"),
    "fixed without value": (params({"name": "e", "type": "fixed"}),
                            "params[0] 'e'.value: missing; a fixed parameter needs its value"),
    "low missing": (param(low=...), "params[0] 'x'.low: missing; a float parameter needs low "
                                    "and high"),
    "log not true/false": (param(log="yes"), "params[0] 'x'.log = 'yes': expected true or false"),
    "grid not a list": (param(grid=0.5), "params[0] 'x'.grid = 0.5: expected a list of values"),
    # --- engine/space.py: the search space ---
    "no parameters": (spec_with(params=[]), "params = []: add at least one parameter"),
    "name empty (space)": (param(name=""), "params[0] ''.name = '': a name must not be empty"),
    "name repeated": (params(X, X), "params[1] 'x'.name = 'x': another parameter already has "
                                    "this name"),
    "low not a number": (param(low="0"), "params[0] 'x'.low = '0': must be a finite number"),
    "high nan": (param(high=math.nan), "params[0] 'x'.high = nan: must be a finite number"),
    "int low fractional": (params({"name": "n", "type": "int", "low": 0.5, "high": 4}),
                           "params[0] 'n'.low = 0.5: must be a whole number"),
    "low above high": (param(low=1.0, high=0.0),
                       "params[0] 'x'.high = 0.0: must be greater than low (1.0)"),
    "range too wide": (param(low=-1e308, high=1e308),
                       "params[0] 'x'.high = 1e+308: the range -1e+308..1e+308 is too wide"),
    "log from zero": (param(log=True), "params[0] 'x'.low = 0.0: must be greater than 0 on a "
                                       "log scale"),
    "int step fractional": (params({"name": "n", "type": "int", "low": 0, "high": 4,
                                    "step": 0.5}),
                            "params[0] 'n'.step = 0.5: must be a whole number >= 1"),
    "step zero": (param(step=0), "params[0] 'x'.step = 0: must be a finite number greater "
                                 "than 0"),
    "step infinite": (param(step=math.inf), "params[0] 'x'.step = inf: must be a finite number "
                                            "greater than 0"),
    "step with log": (param(low=0.1, log=True, step=0.1),
                      "params[0] 'x'.step = 0.1: cannot be combined with a log scale"),
    "step not dividing": (param(step=0.3), "params[0] 'x'.step = 0.3: must divide the range "
                                           "0.0..1.0 into whole steps"),
    "step too small": (param(high=1e300, step=1e-300),
                       "params[0] 'x'.step = 1e-300: is too small for the range 0.0..1e+300"),
    "grid empty": (param(grid=[]), "params[0] 'x'.grid = []: list at least one value"),
    "grid not numbers": (param(grid=["a"]), "params[0] 'x'.grid = 'a': grid values must be "
                                            "numbers"),
    "grid of lists": (param(grid=[[0.5]]), "params[0] 'x'.grid = [0.5]: grid values must be "
                                           "numbers"),
    "grid outside": (param(grid=[2.0]), "params[0] 'x'.grid = 2.0: must lie within 0.0..1.0"),
    "grid off step": (param(step=0.25, grid=[0.3]),
                      "params[0] 'x'.grid = 0.3: must be 0.0 plus a whole number of steps of 0.25"),
    "grid repeats": (param(grid=[0.5, 0.5]), "params[0] 'x'.grid = [0.5, 0.5]: values must not "
                                             "repeat"),
    "grid points": (param(grid_points=0), "params[0] 'x'.grid_points = 0: must be a whole number "
                                          "from 1 to 9999"),
    "grid points huge": (param(grid_points=10**9), "params[0] 'x'.grid_points = 1000000000: "
                                                   "must be a whole number from 1 to 9999"),
    "choices empty": (params({**SOLVER, "choices": []}),
                      "params[0] 'solver'.choices = []: list at least one choice"),
    "choice a table": (params({**SOLVER, "choices": ["adam", {"lr": 1}]}),
                       "params[0] 'solver'.choices = {lr = 1}: choices must be text, finite "
                       "numbers or true/false"),
    "choice infinite": (params({**SOLVER, "choices": ["adam", math.inf]}),
                        "params[0] 'solver'.choices = inf: choices must be text, finite numbers"),
    "fixed value a list": (params({"name": "e", "type": "fixed", "value": [1, 2]}),
                           "params[0] 'e'.value = [1, 2]: must be text, a finite number or "
                           "true/false"),
    "fixed value nan": (params({"name": "e", "type": "fixed", "value": math.nan}),
                        "params[0] 'e'.value = nan: must be text, a finite number or true/false"),
    "choices repeat": (params({**SOLVER, "choices": ["adam", "adam"]}),
                       "params[0] 'solver'.choices = ['adam']: each choice must appear once"),
    "condition on itself": (param(condition={"x": [0.5]}),
                            "params[0] 'x'.condition = 'x': a parameter cannot depend on itself"),
    "condition unknown parent": (param(condition={"solver": ["sgd"]}),
                                 "params[0] 'x'.condition = 'solver': no parameter has this name "
                                 "(have: x)"),
    "condition no values": (params(SOLVER, {**X, "condition": {"solver": []}}),
                            "params[1] 'x'.condition = []: list the values of 'solver' that "
                            "enable it"),
    "condition impossible": (params(SOLVER, {**X, "condition": {"solver": ["lbfgs"]}}),
                             "params[1] 'x'.condition = 'lbfgs': 'solver' can never take this "
                             "value (choices: 'adam', 'sgd')"),
    "condition on an infinite range": (
        params({**X, "low": -math.inf, "step": 1.0},
               {"name": "e", "type": "fixed", "value": 1, "condition": {"x": [0.0]}}),
        "params[0] 'x'.low = -inf: must be a finite number"),
    "condition cycle": (params({**SOLVER, "condition": {"x": [0.5]}},
                               {**X, "grid": [0.5], "condition": {"solver": ["sgd"]}}),
                        "params[0] 'solver'.condition = 'solver -> x -> solver': conditions "
                        "must not form a cycle"),
}


@pytest.mark.parametrize("data, message", SPEC_CASES.values(), ids=SPEC_CASES.keys())
def test_each_spec_rule_reports_one_problem_naming_the_setting_value_and_rule(data, message):
    for fmt, text in (("json", json.dumps(data)), ("toml", tomli_w.dumps(data))):
        with pytest.raises(SpecError) as info:
            parse_spec(text, fmt=fmt, source="study.toml")
        assert len(info.value.problems) == 1, info.value.problems
        assert message in info.value.problems[0], fmt
        assert str(info.value).startswith("study.toml: ")  # the file is named too


def test_a_huge_whole_number_is_a_problem_not_a_crash():
    # JSON allows whole numbers beyond any float; sampling would overflow on them.
    with pytest.raises(SpecError, match=r"params\[0\] 'n'.high = 1000.*must be a number below "
                                        "1e308"):
        spec_from_dict(params({"name": "n", "type": "int", "low": 0, "high": 10**400}))
    with pytest.raises(SpecError, match=r"params\[0\] 'x'.low = -1000.*must be a number"):
        spec_from_dict(params({"name": "x", "type": "float", "low": -10**400, "high": 1}))
    with pytest.raises(SpecError, match=r"timeout_s = 1000.*: expected a number greater than 0"):
        spec_from_dict({**BASE, "timeout_s": 10**400})


FILE_CASES = {
    "no such file": (None, "no such file"),
    "a folder": ("folder", "cannot read the file"),
    "not UTF-8": (b"name = \"caf\xe9\"\n", "not UTF-8 text (invalid continuation byte at byte"),
    "bad TOML": (b"name = \"unclosed\n", "not valid TOML: "),
    "bad JSON": (b"{\"name\": }", "not valid JSON: "),
    "JSON list": (b"[1, 2]", "expected a table of settings, got list"),
    "nested too deeply": (b"a = " + b"[" * 100_000, "nested too deeply"),
    "number too long": (b"seed = " + b"9" * 5000, "a number has more than 4300 digits"),
}


@pytest.mark.parametrize("content, message", FILE_CASES.values(), ids=FILE_CASES.keys())
def test_a_spec_file_that_cannot_be_read_is_one_clear_problem(tmp_path, content, message):
    suffix = ".json" if content and content.lstrip()[:1] in (b"{", b"[") else ".toml"
    path = tmp_path / f"spec{suffix}"
    if content == "folder":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert len(info.value.problems) == 1 and message in info.value.problems[0]
    assert str(info.value).startswith(f"{path}: ")


# --- CSV files for the scikit-learn objective --------------------------------------------


def _numbers(n: int = 30) -> list[str]:
    return [f"{i},{i % 2}" for i in range(n)]


CSV_CASES = {
    "unbalanced quote": (b'a,b,y\n1,"2,3\n4,5,6\n',
                         "line 3 has 2 fields but the header has 3; check the quoting"),
    "huge cell": (b"a,b,y\n" + b"x" * 200_000 + b",2,3\n4,5,6\n",
                  "does not parse as CSV at line 2 (field larger than field limit (131072))"),
    "huge text in a number column": (
        "\n".join(["a,y", *_numbers(), "9" * 100_000 + "x,1"]).encode(),
        "column 'a' holds numbers, but line 32 has the text '99999"),
    "latin-1 read as UTF-8": ("a,b,y\n1,Orléans,3\n4,5,6\n".encode("latin-1"),
                              "not readable as utf-8 text (byte 0xe9 at position 11)"),
    "UTF-16": ("a,b,y\n1,2,3\n4,5,6\n".encode("utf-16"), "which looks like 'utf-16'"),
    "binary": (bytes(range(256)) * 16, "not readable as utf-8 text (byte 0x80"),
    "blank lines only": (b"\n \n\n", "the file is empty"),
}


@pytest.mark.parametrize("content, message", CSV_CASES.values(), ids=CSV_CASES.keys())
def test_a_bad_csv_gives_one_short_message_naming_the_file_and_the_problem(
        tmp_path, content, message):
    path = tmp_path / "data.csv"
    path.write_bytes(content)
    with pytest.raises(ObjectiveError) as info:
        SklearnObjective(model="logistic_regression", csv=str(path), target="y").check()
    text = str(info.value)
    assert text.startswith(f"objective.csv = '{path}': ") and message in text
    assert len(text) < 400  # a runaway cell is cut, not pasted into the message
    assert path.read_bytes() == content


def test_a_utf16_csv_reads_once_its_encoding_is_named(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes("a,b,y\n1,2,x\n4,5,z\n".encode("utf-16"))
    assert load_csv(path, "y", encoding="utf-16").classes == ("x", "z")


# --- study files --------------------------------------------------------------------

GOOD_SPEC = spec_with(budget={"trials": 2})


def _study(path: Path) -> None:
    file = StudyFile.create(path, GOOD_SPEC)
    file.write_trial(Trial(0, {"x": 0.5}, TrialState.COMPLETE, value=0.5, started_at=1.0,
                           finished_at=2.0))
    file.close()


def _edit(path: Path, sql: str) -> None:
    _study(path)
    with sqlite3.connect(path) as conn:
        conn.execute(sql)
    conn.close()


def _truncated(path: Path) -> None:
    _study(path)
    path.write_bytes(path.read_bytes()[:300])


STUDY_CASES = {
    "truncated": (_truncated, "the study file is damaged"),
    "random bytes": (lambda p: p.write_bytes(bytes(range(256)) * 40), "not an SQLite database"),
    "future version": (lambda p: _edit(p, f"PRAGMA user_version = {SCHEMA_VERSION + 1}"),
                       f"written by a newer Knobs (study file version {SCHEMA_VERSION + 1}"),
    "another program's SQLite": (lambda p: _edit_foreign(p), "an SQLite database from another "
                                                            "program"),
    "spec not JSON": (lambda p: _edit(p, "UPDATE meta SET value = '{oops' WHERE key = 'spec'"),
                      "the stored spec is damaged"),
    "spec not a table": (lambda p: _edit(p, "UPDATE meta SET value = '[1]' WHERE key = 'spec'"),
                         "the stored spec is damaged: expected a table of settings, got list"),
    "spec breaks a rule": (lambda p: _edit(p, "UPDATE meta SET value = json_set(value, "
                                              "'$.params[0].high', -1) WHERE key = 'spec'"),
                           "params[0] 'x'.high = -1.0: must be greater than low (0.0)"),
    "trial row damaged": (lambda p: _edit(p, "UPDATE trials SET state = 'exploded'"),
                          "a trial row is damaged: 'exploded' is not a valid TrialState"),
    "value as text": (lambda p: _edit(p, "UPDATE trials SET value = 'high'"),
                      "trial 0: value = 'high': expected a number or nothing"),
    "value as blob": (lambda p: _edit(p, "UPDATE trials SET value = x'00ff'"),
                      "trial 0: value = b'\\x00\\xff': expected a number or nothing"),
    "params not an object": (lambda p: _edit(p, "UPDATE trials SET params = '[0.5]'"),
                             "trial 0: params = '[0.5]': expected a JSON object"),
    "started in the year 1e300": (lambda p: _edit(p, "UPDATE trials SET started_at = 1e300"),
                                  "trial 0: started_at = 1e+300: expected seconds since 1970"),
    "params outside the space": (
        lambda p: _edit(p, "UPDATE trials SET params = '{\"x\": 5.0}'"),
        "trial 0: params = {x = 5.0} do not fit the study's search space"),
    "a value not among the choices": (
        lambda p: _edit(p, "UPDATE trials SET params = '{\"x\": \"adam\"}'"),
        "trial 0: params = {x = 'adam'} do not fit"),
    "a FIFO": (lambda p: os.mkfifo(p), "not a regular file (a pipe or device)"),
}


def _edit_foreign(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE songs (title TEXT)")
    conn.close()


def _listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


@pytest.mark.parametrize("make, message", STUDY_CASES.values(), ids=STUDY_CASES.keys())
def test_a_bad_study_file_is_refused_with_its_reason_and_left_unchanged(tmp_path, make, message):
    path = tmp_path / "bad.knobs"
    make(path)
    before = _listing(tmp_path)
    for readonly in (True, False):
        with pytest.raises((StudyFileError, SpecError)) as info:
            Study.open(path, readonly=readonly)
        assert str(path) in str(info.value) and message in str(info.value)
    assert _listing(tmp_path) == before  # no lock, journal or change left behind


# --- through the command line -------------------------------------------------------

PROGRAM = "import json, sys\nprint(json.dumps({'value': 1}))\n"


def _write_spec(folder: Path, objective: dict, **extra) -> Path:
    spec = folder / "study.toml"
    spec.write_text(tomli_w.dumps(spec_with(objective=objective, **extra)))
    return spec


def _command(folder: Path, command: str) -> list:
    (folder / "prog.py").write_text(PROGRAM)
    return ["run", _write_spec(folder, {"kind": "command", "command": command})]


def _csv(folder: Path, content: bytes) -> list:
    (folder / "data.csv").write_bytes(content)
    objective = {"kind": "sklearn", "model": "logistic_regression", "csv": "data.csv",
                 "target": "y"}
    return ["run", _write_spec(folder, objective, params=[
        {"name": "C", "type": "float", "low": 0.01, "high": 10.0, "log": True}])]


def _spec_text(folder: Path, text: str, name: str = "study.toml") -> list:
    (folder / name).write_text(text)
    return ["run", folder / name]


def _study_then(command: str, make: Callable[[Path], None]) -> Callable[[Path], list]:
    """Setup for a CLI case: a bad study file made by ``make``, then ``command`` on it."""
    def setup(folder: Path) -> list:
        make(folder / "s.knobs")
        if command == "resume":
            spec = _write_spec(folder, BASE["objective"])
            return ["run", spec, "--out", folder / "s.knobs", "--resume"]
        return [command, folder / "s.knobs", *(["-o", folder / "t.csv"]
                                               if command == "export" else [])]
    return setup


CLI_CASES = {
    "TOML syntax": (lambda f: _spec_text(f, "name = 'a\n"), ["not valid TOML: "]),
    "nested too deeply": (lambda f: _spec_text(f, "[" * 50_000, "study.json"),
                          ["nested too deeply"]),
    "two space rules": (lambda f: ["run", _write_spec(f, BASE["objective"], params=[
        {**X, "low": 2.0}, {**X, "name": "y", "log": True}])],
        ["params[0] 'x'.high = 1.0: must be greater than low (2.0)",
         "params[1] 'y'.low = 0.0: must be greater than 0 on a log scale"]),
    "command quote": (lambda f: _command(f, "python 'prog.py --x {x}"), ["close every quote"]),
    "command placeholder": (lambda f: _command(f, "python prog.py --lr {lr}"),
                            ["{lr} names no parameter of the search space; the parameters "
                             "are: x"]),
    "command program": (lambda f: _command(f, "{x} prog.py"),
                        ["must not contain a placeholder"]),
    "CSV empty": (lambda f: _csv(f, b""), ["the file is empty"]),
    "CSV one column": (lambda f: _csv(f, b"y\n1\n2\n"), ["found only one column ('y')"]),
    "CSV encoding": (lambda f: _csv(f, "a,y\nOrléans,1\n".encode("latin-1")),
                     ["not readable as utf-8 text"]),
    "show truncated": (_study_then("show", _truncated), ["the study file is damaged"]),
    "export random bytes": (_study_then("export", STUDY_CASES["random bytes"][0]),
                            ["not an SQLite database"]),
    "resume future version": (_study_then("resume", STUDY_CASES["future version"][0]),
                              ["written by a newer Knobs"]),
    "show damaged spec": (_study_then("show", STUDY_CASES["spec not JSON"][0]),
                          ["the stored spec is damaged"]),
}


@pytest.mark.parametrize("setup, messages", CLI_CASES.values(), ids=CLI_CASES.keys())
def test_the_command_line_exits_2_with_one_line_per_problem_and_writes_nothing(
        tmp_path, setup, messages):
    args = setup(tmp_path)
    before = _listing(tmp_path)
    result = knobs(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == len(messages), result.stderr
    for line, message in zip(lines, messages):
        assert line.startswith(f"knobs {args[0]}: error: ") and message in line
    assert "Traceback" not in result.stderr
    assert _listing(tmp_path) == before


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


# --- fuzz: no spec file crashes the loader ------------------------------------------

_scalars = (st.booleans() | st.integers(-10**6, 10**6) | st.floats() | st.text(max_size=8)
            | st.sampled_from(["float", "int", "categorical", "fixed", "grid", "random",
                               "python", "sklearn", "command", "x", "y", ""]))
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4)
                       | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=12)
_param_keys = st.sampled_from(["name", "type", "low", "high", "log", "step", "grid",
                               "grid_points", "condition", "help", "choices", "value"])
_param = st.dictionaries(_param_keys, _values, max_size=7) | st.fixed_dictionaries(
    {"name": st.sampled_from(["x", "y", "z"]),
     "type": st.sampled_from(["float", "int", "categorical", "fixed"])},
    optional={"low": _scalars, "high": _scalars, "log": st.booleans(), "step": _scalars,
              "grid": st.lists(_scalars, max_size=3), "grid_points": _scalars,
              "choices": st.lists(_scalars, max_size=3), "value": _scalars,
              "condition": st.dictionaries(st.sampled_from(["x", "y", "z"]), _values,
                                           max_size=2)})
_specs = st.fixed_dictionaries({}, optional={
    "name": _values, "direction": _values, "seed": _values, "workers": _values,
    "timeout_s": _values, "memory_limit_mb": _values,
    "budget": st.dictionaries(st.sampled_from(["trials", "time_s", "x"]), _values) | _values,
    "sampler": st.dictionaries(st.sampled_from(["name", "shuffle", "n_startup"]), _values),
    "objective": st.dictionaries(st.sampled_from(["kind", "model", "dataset", "metric",
                                                  "path", "command", "csv"]), _values)
                 | _values,
    "params": st.lists(_param, max_size=4) | _values,
}) | st.dictionaries(st.text(max_size=10), _values, max_size=5)

# Parameters that are often valid, so that the space rules and the round trip of a spec
# that loads are exercised too, not only the first checks.
_names = st.sampled_from(["x", "y", "z"])
_conditions = st.dictionaries(_names, st.lists(_scalars, max_size=2), min_size=1, max_size=1)


def _numeric(kind: str, numbers: st.SearchStrategy) -> st.SearchStrategy:
    return st.fixed_dictionaries(
        {"name": _names, "type": st.just(kind), "low": numbers, "high": numbers},
        optional={"log": st.booleans(), "step": numbers, "grid": st.lists(numbers, max_size=3),
                  "grid_points": st.integers(-1, 6), "condition": _conditions})


_likely_param = st.one_of(
    _numeric("float", st.floats(-1e3, 1e3)
             | st.sampled_from([0.0, 0.1, 0.5, 1.0, math.inf, -math.inf, math.nan])),
    _numeric("int", st.integers(-5, 50)),
    st.fixed_dictionaries({"name": _names, "type": st.just("categorical"),
                           "choices": st.lists(_scalars, max_size=4)},
                          optional={"condition": _conditions}),
    st.fixed_dictionaries({"name": _names, "type": st.just("fixed"), "value": _scalars},
                          optional={"condition": _conditions}),
)
_specs |= st.fixed_dictionaries({
    "name": st.just("fuzz"), "objective": st.just(BASE["objective"]),
    "params": st.lists(_likely_param, min_size=1, max_size=3, unique_by=lambda p: p["name"]),
}, optional={"sampler": st.fixed_dictionaries({"name": st.sampled_from(["grid", "random"])})})

_FUZZ = settings(max_examples=500, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow])


def _loads_or_says_why(text: str, fmt: str) -> None:
    try:
        spec = parse_spec(text, fmt=fmt)
    except SpecError as exc:
        assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)
        return
    # What loads is usable: its space builds, its samplers suggest params that fit it, and it
    # survives a round trip through a file (compared as JSON text: NaN != NaN).
    space = spec.space
    samplers = ["random"] + (["grid"] if space.grid_size() <= 1000 else [])
    for name in samplers:
        params = make_sampler(name, space, seed=0).ask([])
        assert space.contains(params) and json.dumps(params, allow_nan=False)
    written = dump_spec(spec, fmt=fmt)
    assert dump_spec(parse_spec(written, fmt=fmt), fmt="json") == dump_spec(spec, fmt="json")


@_FUZZ
@given(_specs)
def test_fuzzed_spec_tables_load_or_give_a_spec_error(data):
    _loads_or_says_why(json.dumps(data), "json")
    try:
        text = tomli_w.dumps(data)
    except (TypeError, ValueError):
        return  # not expressible in TOML (e.g. a list at the top of a table); JSON was tried
    _loads_or_says_why(text, "toml")


@_FUZZ
@given(st.text(max_size=200) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_fuzzed_text_loads_or_gives_a_spec_error(text):
    for fmt in ("toml", "json"):
        _loads_or_says_why(text, fmt)


_EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "resources" / "examples").glob("*.toml"))


@st.composite
def _edited_examples(draw) -> str:
    """A shipped example spec with a few typing slips: inserted, deleted or replaced text."""
    text = draw(st.sampled_from(_EXAMPLES)).read_text()
    slips = st.sampled_from(['"', "'", "[", "]", "{", "}", "=", ",", "\n", "#", ".", " ", "-1",
                             "1e999", "nan", "inf", "true", "x", "9" * 30, "[]", "{}"])
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        kind, slip = draw(st.sampled_from(["insert", "delete", "replace"])), draw(slips)
        if kind == "insert":
            text = text[:i] + slip + text[i:]
        elif kind == "delete":
            text = text[:i] + text[i + draw(st.integers(1, 20)):]
        else:
            text = text[:i] + slip + text[i + len(slip):]
    return text


@_FUZZ
@given(_edited_examples())
def test_fuzzed_edits_of_the_example_specs_load_or_give_a_spec_error(text):
    _loads_or_says_why(text, "toml")


# Objective settings as a spec could hold them: huge whole numbers, lists and tables where a
# number is expected, text where a table is. Checking them must end in an ObjectiveError that
# names the setting, never in OverflowError or TypeError from deep inside.
_odd_values = (st.integers() | st.sampled_from([10**400, -10**400, 2**63, 2**62, 0.5, math.inf,
                                                math.nan, True, "", "x", [], [1], {}, {"a": 1}])
               | st.lists(_scalars, max_size=2) | st.dictionaries(st.text(max_size=3), _scalars,
                                                                     max_size=2))
_OBJECTIVE_KEYS = {
    "sklearn": ["model", "dataset", "metric", "folds", "holdout", "seed", "n_threads",
                "task", "csv", "target", "categorical", "ignore"],
    "command": ["command", "workdir", "env", "score_regex", "timeout_s", "memory_limit_mb"],
    "python": ["path", "function", "timeout_s", "memory_limit_mb"],
}
_objective_settings = st.sampled_from(sorted(_OBJECTIVE_KEYS)).flatmap(
    lambda kind: st.fixed_dictionaries(
        {"kind": st.just(kind)},
        optional={k: _odd_values for k in _OBJECTIVE_KEYS[kind]}).map(
        lambda d: {**({"model": "ridge", "dataset": "diabetes"} if kind == "sklearn" else {}),
                   **({"command": "echo 1"} if kind == "command" else {}), **d}))


@_FUZZ
@given(_objective_settings)
def test_fuzzed_objective_settings_are_named_problems_never_crashes(settings_):
    from engine.objectives.registry import make_objective

    try:
        objective = make_objective(settings_)
        objective.describe()
        objective.check()
    except ObjectiveError as exc:
        assert str(exc).startswith("objective."), str(exc)


def test_workers_and_memory_limits_beyond_any_machine_are_refused(tmp_path):
    with pytest.raises(SpecError, match=r"workers = 1000000: expected a whole number from 1 "
                                        r"to 1,024"):
        spec_from_dict({**BASE, "workers": 1_000_000})
    with pytest.raises(SpecError, match=r"memory_limit_mb = 4611686018427387904: expected a "
                                        r"whole number from 64 to 16,777,216"):
        spec_from_dict({**BASE, "memory_limit_mb": 2**62})
    spec_file = tmp_path / "s.toml"
    spec_file.write_text(tomli_w.dumps(BASE))
    result = knobs("run", spec_file, "--workers", "1000000")
    assert result.returncode == 2
    assert "--workers: expected a whole number from 1 to 1024, got 1000000" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]


def test_the_progress_line_shows_a_grid_beyond_any_float(tmp_path):
    import io

    from engine.progress import ProgressLine

    many = [{"name": f"p{i}", "type": "categorical", "choices": list(range(10))}
            for i in range(400)]  # 10^400 cells
    spec = spec_from_dict({**BASE, "sampler": {"name": "grid"}, "params": many})
    study = Study.create(spec, tmp_path / "big.knobs")
    line = ProgressLine(study, io.StringIO())
    trial = study.ask()
    study.tell(trial.number, TrialState.COMPLETE, value=1.0)
    try:
        text = line.text()
    finally:
        study.close()
    assert "1/about 10^400" in text and "ETA over a year" in text


def test_a_gap_in_trial_numbers_is_refused_for_writing_so_no_number_is_reused(tmp_path):
    path = tmp_path / "gap.knobs"
    _study(path)
    file = StudyFile.open(path)
    file.write_trial(Trial(2, {"x": 0.25}, TrialState.COMPLETE, value=0.25, started_at=3.0,
                           finished_at=4.0))
    file.close()
    with pytest.raises(StudyFileError, match=r"trial 1 missing from the file; a study "
                                             r"continued from it would reuse that number"):
        Study.open(path)
    study = Study.open(path, readonly=True)  # show and export still read it
    assert [t.number for t in study.trials] == [0, 2]
    study.close()


def test_a_study_file_deleted_or_replaced_while_it_runs_stops_the_saving_loudly(tmp_path):
    for how in ("deleted", "replaced"):
        path = tmp_path / f"{how}.knobs"
        study = Study.create(spec_from_dict(GOOD_SPEC), path)
        first = study.ask()
        study.tell(first.number, TrialState.COMPLETE, value=0.5)
        path.unlink()
        if how == "replaced":
            path.write_bytes(b"someone else's file")
        second = study.ask
        with pytest.raises(StudyFileError, match="the study file was deleted or replaced "
                                                 "while the study ran"):
            second()
        study.close()


def test_show_and_export_of_a_type_confused_study_exit_2_with_the_reason(tmp_path):
    path = tmp_path / "bad.knobs"
    _edit(path, "UPDATE trials SET value = 'high'")
    for args in (("show", path), ("export", path, "-o", tmp_path / "out.csv")):
        result = knobs(*args)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert "trial 0: value = 'high': expected a number or nothing" in result.stderr
    assert not (tmp_path / "out.csv").exists()


def test_a_3000_long_condition_chain_closing_on_itself_is_one_cycle_problem():
    # The old check searched a list at every step (cubic): this took 86 s; now milliseconds.
    n = 3000
    chain = [{"name": f"p{i}", "type": "categorical", "choices": ["a", "b"],
              "condition": {f"p{(i - 1) % n}": ["a"]}} for i in range(n)]
    with pytest.raises(SpecError) as info:
        spec_from_dict({**BASE, "params": chain})
    cycles = [p for p in info.value.problems if "conditions must not form a cycle" in p]
    assert len(cycles) == 1 and cycles[0].startswith("params[0] 'p0'.condition = 'p0 -> p2999")
