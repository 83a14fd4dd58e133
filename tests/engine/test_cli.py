"""The headless command line, driven as a user would: through a subprocess."""

import csv
import json
import os
import signal
from pathlib import Path

import pytest

from engine.study import Study
from engine.trial import TrialState
from tests.engine.processes import (
    ROOT,
    knobs,
    start_knobs,
    wait_for_complete,
    wait_for_release,
    write_python_spec,
)

EXAMPLE = ROOT / "resources" / "examples" / "toy_training.toml"


def write_spec(folder: Path, objective_body: str, trials: int = 6, extra: str = "") -> Path:
    return write_python_spec(folder, objective_body, trials=trials, extra=extra)


def test_the_bundled_example_runs_and_prints_the_best_trial(tmp_path):
    out = tmp_path / "toy.knobs"
    result = knobs("run", EXAMPLE, "--trials", 8, "--out", out)
    assert result.returncode == 0, result.stderr
    assert "Best trial" in result.stdout and "learning_rate = " in result.stdout
    assert "8/8" in result.stderr  # the progress line reached the end
    study = Study.open(out, readonly=True)
    assert study.counts()[TrialState.COMPLETE] == 8
    assert all(len(t.intermediate) == 10 for t in study.trials)  # learning curves kept
    study.close()


def test_show_and_export(tmp_path):
    out = tmp_path / "toy.knobs"
    assert knobs("run", EXAMPLE, "--trials", 5, "--out", out).returncode == 0
    shown = knobs("show", out)
    assert shown.returncode == 0
    assert "5 complete" in shown.stdout and "Top 5:" in shown.stdout

    assert knobs("export", out, "-o", tmp_path / "t.csv").returncode == 0
    rows = list(csv.DictReader(open(tmp_path / "t.csv")))
    assert len(rows) == 5
    for row in rows:
        assert (row["momentum"] == "") == (row["solver"] == "adam")  # inactive stays blank
        assert float(row["value"]) > 0 and row["state"] == "complete"

    assert knobs("export", out, "--format", "json", "-o", tmp_path / "t.out").returncode == 0
    data = json.loads((tmp_path / "t.out").read_text())
    assert data["study"]["name"] == "toy training" and len(data["trials"]) == 5
    assert len(data["trials"][0]["intermediate"]) == 10


def test_overrides_from_the_command_line(tmp_path):
    result = knobs("run", EXAMPLE, "--trials", 4, "--sampler", "sobol", "--workers", 1,
                   "--seed", 3, "--out", tmp_path / "s.knobs")
    assert result.returncode == 0, result.stderr
    assert "sobol search, 1 workers" in result.stdout
    study = Study.open(tmp_path / "s.knobs", readonly=True)
    assert study.spec.sampler == "sobol" and study.spec.seed == 3 and len(study.trials) == 4
    study.close()


@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "nope.toml"], "nope.toml: no such file"),
        (["run", EXAMPLE, "--trials", "0"], "--trials: expected a whole number >= 1, got 0"),
        (["run", EXAMPLE, "--trials", "many"], "expected a whole number >= 1, got 'many'"),
        (["run", EXAMPLE, "--timeout-s", "-1"], "expected a number greater than 0, got '-1'"),
        (["run", EXAMPLE, "--sampler", "genetic"], "invalid choice: 'genetic'"),
        (["show", "nope.knobs"], "no such file"),
        (["export", EXAMPLE, "-o", "x.csv"], "not a Knobs study file"),
    ],
)
def test_bad_arguments_exit_2_with_a_clear_line(tmp_path, args, message):
    result = knobs(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_a_bad_spec_lists_every_problem_and_writes_nothing(tmp_path):
    spec = tmp_path / "bad.toml"
    spec.write_text("""
name = "bad"
direction = "up"
[budget]
trails = 5
[objective]
kind = "python"
path = "missing.py"
function = "f"
[[params]]
name = "lr"
type = "float"
low = 0.0
high = 1.0
log = true
[[params]]
name = "m"
type = "float"
low = 0.0
high = 1.0
condition = { solver = ["sgd"] }
""")
    result = knobs("run", spec, cwd=tmp_path)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line]
    assert len(lines) == 4, result.stderr
    assert "direction = 'up': expected one of minimize, maximize" in lines[0]
    assert "budget.trails: unknown setting; accepted: trials, time_s" in result.stderr
    assert "params[0] 'lr'.low = 0.0: must be greater than 0 on a log scale" in result.stderr
    assert "params[1] 'm'.condition = 'solver': no parameter has this name" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]


def test_an_objective_that_cannot_run_is_refused_before_any_trial(tmp_path):
    spec = write_spec(tmp_path, "def g(params):\n    return 1.0\n")
    result = knobs("run", spec)
    assert result.returncode == 2
    assert "objective.function = 'f': no 'def f' in" in result.stderr
    assert not (tmp_path / "study.knobs").exists()


def test_an_existing_study_file_is_not_overwritten(tmp_path):
    spec = write_spec(tmp_path, "def f(params):\n    return params['x']\n", trials=2)
    assert knobs("run", spec).returncode == 0
    before = (tmp_path / "study.knobs").read_bytes()
    again = knobs("run", spec)
    assert again.returncode == 2 and "--resume" in again.stderr
    assert (tmp_path / "study.knobs").read_bytes() == before


def test_sigkill_mid_study_loses_no_finished_trial_and_resume_meets_the_budget(tmp_path):
    spec = write_spec(
        tmp_path, "import time\ndef f(params):\n    time.sleep(0.3)\n    return params['x']\n",
        trials=12,
    )
    study_file = tmp_path / "study.knobs"
    proc = start_knobs("run", spec)
    try:
        finished = len(wait_for_complete(study_file, at_least=3, proc=proc))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        proc.kill()
    wait_for_release(study_file)  # orphaned workers leave when their pipe closes

    survived = Study.open(study_file, readonly=True)
    kept = [t for t in survived.trials if t.state is TrialState.COMPLETE]
    survived.close()
    assert len(kept) >= finished
    assert all(t.state in (TrialState.COMPLETE, TrialState.INTERRUPTED) for t in survived.trials)

    result = knobs("run", spec, "--resume")
    assert result.returncode == 0, result.stderr
    assert f"{len(kept)} finished trials kept" in result.stdout
    resumed = Study.open(study_file, readonly=True)
    assert resumed.counts()[TrialState.COMPLETE] == 12
    by_number = {t.number: t for t in resumed.trials}
    assert all(by_number[t.number] == t for t in kept)  # untouched by the resume
    resumed.close()



def test_an_unexpected_error_in_the_run_loop_stops_the_run_and_exits_non_zero(tmp_path):
    # report(2**63, v) cannot be stored: it used to kill a worker thread, print "Done" and
    # exit 0 with the budget unmet.
    spec = write_spec(tmp_path, "def f(params, report):\n    if params['x'] > 0.5:\n"
                      "        report(2**63, 1.0)\n    return params['x']\n", trials=40)
    result = knobs("run", spec)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Done" not in result.stdout
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and "the run stopped" in errors[0], result.stderr
    assert "--resume" in result.stdout
    trials = Study.open(tmp_path / "study.knobs", readonly=True).trials
    assert len(trials) < 40
    assert not any(t.state is TrialState.RUNNING for t in trials)
    assert any(t.state is TrialState.INTERRUPTED for t in trials)


def test_resume_reads_the_spec_and_applies_its_run_settings(tmp_path):
    spec = write_spec(tmp_path, "def f(params):\n    return params['x']\n", trials=3)
    assert knobs("run", spec).returncode == 0
    missing = knobs("run", tmp_path / "nope.toml", "--out", tmp_path / "study.knobs", "--resume")
    assert missing.returncode == 2 and "nope.toml" in missing.stderr
    spec.write_text(spec.read_text().replace("trials = 3", "trials = 5"))  # a raised budget
    result = knobs("run", spec, "--resume")
    assert result.returncode == 0, result.stderr
    study = Study.open(tmp_path / "study.knobs", readonly=True)
    assert study.counts()[TrialState.COMPLETE] == 5 and study.spec.trials == 5
    study.close()


def test_resume_refuses_a_changed_search_naming_what_changed(tmp_path):
    spec = write_spec(tmp_path, "def f(params):\n    return params['x']\n", trials=2)
    assert knobs("run", spec).returncode == 0
    before = (tmp_path / "study.knobs").read_bytes()
    spec.write_text(spec.read_text().replace("high = 1.0", "high = 2.0"))
    result = knobs("run", spec, "--resume")
    assert result.returncode == 2
    assert "parameters changed: x" in result.stderr
    assert (tmp_path / "study.knobs").read_bytes() == before


def test_resume_never_runs_a_stored_objective_the_spec_does_not_name(tmp_path):
    spec = write_spec(tmp_path, "def f(params):\n    return params['x']\n", trials=2)
    assert knobs("run", spec).returncode == 0
    # The run's objective is always the one the spec names, and it must be the stored one:
    # a spec naming another file is refused, and neither file runs.
    (tmp_path / "evil.py").write_text("def f(params):\n    open('ran', 'w').close()\n"
                                      "    return 0.0\n")
    other = tmp_path / "other.toml"
    other.write_text(spec.read_text().replace("obj.py", "evil.py").replace("trials = 2",
                                                                          "trials = 4"))
    result = knobs("run", other, "--out", tmp_path / "study.knobs", "--resume", cwd=tmp_path)
    assert result.returncode == 2 and "objective changed: path" in result.stderr
    assert not (tmp_path / "ran").exists()


def test_a_spec_without_a_budget_exits_2_before_any_file_is_written(tmp_path):
    spec = write_spec(tmp_path, "def f(params):\n    return params['x']\n")
    spec.write_text(spec.read_text().replace("[budget]\ntrials = 6\n", ""))
    result = knobs("run", spec)
    assert result.returncode == 2 and "no budget" in result.stderr
    assert not (tmp_path / "study.knobs").exists()


def test_several_objectives_run_headless_show_prints_the_front_and_export_ranks(tmp_path):
    body = ("def f(p):\n    x = p['x']\n"
            "    return {'value': x, 'cost': (1 - x) ** 2, 'noise': abs(x - 0.5)}\n")
    extra = ('direction = "minimize"\n'
             '[[objectives]]\nmetric = "value"\n'
             '[[objectives]]\nmetric = "cost"\ndirection = "minimize"\n'
             '[[constraints]]\nmetric = "cost"\nmax = 0.64\n')
    spec = write_spec(tmp_path, body, trials=8, extra=extra)
    out = tmp_path / "mo.knobs"
    result = knobs("run", spec, "--out", out)
    assert result.returncode == 0, result.stderr
    assert "Pareto front:" in result.stdout

    study = Study.open(out, readonly=True)
    trials = study.trials
    front = study.pareto_front
    study.close()
    feasible = [t for t in trials if t.values[1] <= 0.64]
    # x against (1 - x)^2: every trial meeting the limit is on the front.
    assert sorted(t.number for t in front) == sorted(t.number for t in feasible)

    shown = knobs("show", out)
    assert shown.returncode == 0, shown.stderr
    assert "objectives: the score (minimize), cost (minimize)" in shown.stdout
    assert "constraints: cost <= 0.64" in shown.stdout
    rows = [line.split() for line in shown.stdout.splitlines() if line.startswith("  #")
            and line.split()[0] != "#"]
    assert [int(r[0][1:]) for r in rows] == [t.number for t in front]  # by value, best first
    assert [float(r[1]) for r in rows] == sorted(float(r[1]) for r in rows)

    assert knobs("export", out, "-o", tmp_path / "t.csv").returncode == 0
    table = list(csv.DictReader(open(tmp_path / "t.csv")))
    assert {"objective_value", "objective_cost", "feasible", "pareto_rank"} <= table[0].keys()
    for row in table:
        meets = float(row["objective_cost"]) <= 0.64
        assert row["feasible"] == ("true" if meets else "false")
        assert (row["pareto_rank"] == "1") == meets  # the front, counted from 1

    assert knobs("export", out, "-o", tmp_path / "t.json").returncode == 0
    data = json.loads((tmp_path / "t.json").read_text())
    assert data["study"]["objectives"][1] == {"metric": "cost", "direction": "minimize"}
    assert set(data["trials"][0]["objectives"]) == {"value", "cost"}
