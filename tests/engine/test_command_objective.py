"""The command objective, with real subprocesses: output formats, failures, timeouts, safety."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from engine.objectives import _command_process
from engine.objectives._command_output import OutputParser, ScoreError
from engine.objectives.base import ObjectiveError, TrialFailure
from engine.objectives.command import CommandObjective
from engine.objectives.command_template import parse_template, render
from engine.pids import alive

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "resources" / "examples"

# Starts `sleep` as a child, writes "<own pid> <child pid>" to pids.txt, then hangs.
HANG = """
import os, subprocess, sys, time
child = subprocess.Popen(["sleep", "60"])
with open("pids.tmp", "w") as f:
    f.write(f"{os.getpid()} {child.pid}")
os.replace("pids.tmp", "pids.txt")
print("step=1 value=0.5", flush=True)
time.sleep(60)
"""


def run(tmp_path: Path, body: str, command: str = "python prog.py", params=None, **settings):
    """Write ``body`` as prog.py in tmp_path and evaluate ``command`` there."""
    (tmp_path / "prog.py").write_text(textwrap.dedent(body))
    objective = CommandObjective(command=command, workdir=str(tmp_path), **settings)
    reports: list[tuple[int, float]] = []
    evaluation = objective.evaluate(params or {}, lambda step, value: reports.append((step, value)))
    return evaluation, reports


def assert_gone(pids: list[int], within_s: float = 3.0) -> None:
    end = time.monotonic() + within_s
    while any(alive(p) for p in pids) and time.monotonic() < end:
        time.sleep(0.02)
    assert not [p for p in pids if alive(p)], "processes survived the trial"


def read_pids(tmp_path: Path) -> list[int]:
    return [int(p) for p in (tmp_path / "pids.txt").read_text().split()]


# --- output formats --------------------------------------------------------------------


def test_last_numeric_line_is_the_score(tmp_path):
    evaluation, reports = run(tmp_path, """
        print("loading data")
        print(0.5)
        print("epoch done")
        print("  0.75  ")
        print("bye")
    """)
    assert evaluation.value == 0.75
    assert evaluation.metrics == {}
    assert reports == []


def test_json_value_line_gives_score_and_metrics(tmp_path):
    evaluation, _ = run(tmp_path, """
        import json
        print(0.1)
        print(json.dumps({"value": 0.9, "loss": 0.25, "model": "mlp"}))
        print("saved checkpoint")
    """)
    assert evaluation.value == 0.9
    assert evaluation.metrics == {"loss": 0.25, "model": "mlp"}


def test_score_regex_takes_the_group_of_its_last_match(tmp_path):
    evaluation, _ = run(tmp_path, """
        print("val accuracy: 0.31")
        print("val accuracy: 0.62")
        print("7")
    """, score_regex=r"accuracy: ([0-9.]+)")
    assert evaluation.value == 0.62


def test_progress_lines_are_reported_while_the_program_runs(tmp_path):
    # The program only finishes once the first report has been seen: that proves streaming.
    body = """
        import json, os, time
        print("step=1 value=0.5", flush=True)
        while not os.path.exists("seen"):
            time.sleep(0.01)
        print(json.dumps({"step": 2, "value": 0.6}))
        print("step: 3, loss=0.2, value: 0.7")
        print("step=4 value=nan")
        print(0.8)
    """
    (tmp_path / "prog.py").write_text(textwrap.dedent(body))
    objective = CommandObjective("python prog.py", workdir=str(tmp_path), timeout_s=10)
    reports = []

    def report(step, value):
        reports.append((step, value))
        (tmp_path / "seen").touch()

    evaluation = objective.evaluate({}, report)
    assert reports == [(1, 0.5), (2, 0.6), (3, 0.7)]  # nan is skipped, not plotted
    assert evaluation.value == 0.8


@pytest.mark.parametrize("line, expected", [
    ("step=3 value=0.81", (3, 0.81)),
    ("step=3 loss=1.5 value=-2e-3", (3, -0.002)),
    ('{"step": 4, "value": 1, "lr": 0.1}', (4, 1.0)),
    ("step=3", None),
    ("value=0.81", None),
    ("stepping=3 value=0.8", None),
    ('{"step": "x", "value": 1}', None),
])
def test_progress_line_formats(line, expected):
    assert OutputParser().feed(line) == expected


def test_a_progress_line_is_not_a_final_score():
    parser = OutputParser()
    parser.feed('{"step": 9, "value": 0.9}')
    with pytest.raises(ScoreError, match="no score"):
        parser.result()


# --- failures --------------------------------------------------------------------------


def test_non_zero_exit_fails_with_the_code_and_the_end_of_stderr(tmp_path):
    with pytest.raises(TrialFailure) as info:
        run(tmp_path, """
            import sys
            print(0.9)
            for i in range(30):
                print(f"problem line {i}", file=sys.stderr)
            sys.exit(3)
        """)
    message = str(info.value)
    assert "exited with code 3" in message
    assert "problem line 29" in message and "problem line 10" in message
    assert "problem line 9\n" not in message  # only the last 20 lines


def test_a_signal_is_named(tmp_path):
    with pytest.raises(TrialFailure, match="killed by signal SIGKILL"):
        run(tmp_path, "import os, signal; os.kill(os.getpid(), signal.SIGKILL)")


@pytest.mark.parametrize("body, reason", [
    ("print('hello')", "printed no score"),
    ("print('nan')", "not a finite number"),
    ("print('{\"value\": \"high\"}')", "is not a number"),
])
def test_output_without_a_usable_score_fails(tmp_path, body, reason):
    with pytest.raises(TrialFailure, match=reason) as info:
        run(tmp_path, body)
    assert "wrote nothing to stderr" in str(info.value)


def test_regex_without_match_fails(tmp_path):
    with pytest.raises(TrialFailure, match="no line of output matched score_regex"):
        run(tmp_path, "print(0.5)", score_regex=r"acc=(\S+)")


def test_missing_program_fails_plainly(tmp_path):
    objective = CommandObjective("./no-such-program --x 1", workdir=str(tmp_path))
    with pytest.raises(TrialFailure, match="cannot start './no-such-program'"):
        objective.evaluate({}, lambda s, v: None)


# --- ending the program and all its children -------------------------------------------


def test_timeout_ends_the_program_and_its_children(tmp_path):
    started = time.monotonic()
    with pytest.raises(TrialFailure, match="longer than timeout_s = 1.0 s") as info:
        run(tmp_path, HANG, timeout_s=1.0)
    assert time.monotonic() - started < 5
    assert "Command: " in str(info.value)
    assert_gone(read_pids(tmp_path))


def test_sigterm_is_followed_by_sigkill(tmp_path, monkeypatch):
    monkeypatch.setattr(_command_process, "TERM_GRACE_S", 0.2)
    stubborn = "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN)\n" + HANG
    with pytest.raises(TrialFailure, match="longer than timeout_s"):
        run(tmp_path, stubborn, timeout_s=0.5)
    assert_gone(read_pids(tmp_path))


def test_children_left_behind_by_a_finished_program_are_ended(tmp_path):
    # The background child inherits stdout; the trial must not wait for it to close.
    started = time.monotonic()
    evaluation, _ = run(tmp_path, """
        import os, subprocess
        child = subprocess.Popen(["sleep", "60"])
        open("pids.txt", "w").write(f"{child.pid}")
        print(0.5)
    """)
    assert evaluation.value == 0.5
    assert time.monotonic() - started < 5
    assert_gone(read_pids(tmp_path))


def test_an_error_in_report_ends_the_program(tmp_path):
    def report(step, value):
        raise RuntimeError("stop this trial")

    (tmp_path / "prog.py").write_text(HANG)
    objective = CommandObjective("python prog.py", workdir=str(tmp_path))
    with pytest.raises(RuntimeError, match="stop this trial"):
        objective.evaluate({}, report)
    assert_gone(read_pids(tmp_path))


def test_killing_the_worker_ends_the_program_and_its_children(tmp_path):
    (tmp_path / "prog.py").write_text(HANG)
    worker_code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from engine.objectives.command import CommandObjective
        CommandObjective("python prog.py", workdir={str(tmp_path)!r}).evaluate(
            {{}}, lambda step, value: None)
    """)
    worker = subprocess.Popen([sys.executable, "-c", worker_code])
    try:
        end = time.monotonic() + 20
        while not (tmp_path / "pids.txt").exists():
            assert time.monotonic() < end and worker.poll() is None, "program never started"
            time.sleep(0.02)
    finally:
        worker.kill()  # SIGKILL: no handler or finally block in the worker can run
        worker.wait()
    assert_gone(read_pids(tmp_path))


# --- arguments and environment ---------------------------------------------------------

ECHO_ARGS = """
    import json, os, sys
    print(json.dumps({"value": 1, "args": sys.argv[1:], "seed": os.environ.get("SEED")}))
"""


@pytest.mark.parametrize("value", ["; rm -rf /tmp/x", "$(touch f)", "`touch f`", "a b  c",
                                   "x' && touch f '", "*", "{other}"])
def test_a_value_reaches_the_program_as_one_plain_argument(tmp_path, value):
    evaluation, _ = run(tmp_path, ECHO_ARGS, "python prog.py --name {name} --tag=v{name}",
                        params={"name": value})
    assert evaluation.metrics["args"] == ["--name", value, "--tag=v" + value]
    assert not (tmp_path / "f").exists()


def test_quoting_formatting_and_environment(tmp_path):
    command = "python prog.py 'two words' --lr {lr:.2e} --flag {flag} --n {n} {{literal}}"
    evaluation, _ = run(tmp_path, ECHO_ARGS, command,
                        params={"lr": 0.00123, "flag": True, "n": 32}, env={"SEED": 7})
    assert evaluation.metrics["args"] == [
        "two words", "--lr", "1.23e-03", "--flag", "true", "--n", "32", "{literal}",
    ]
    assert evaluation.metrics["seed"] == "7"


def test_inactive_parameters_drop_their_arguments_and_flags():
    args = parse_template("train.py --solver {solver} --momentum {momentum} --nesterov "
                          "--beta={beta} -1 {gamma} {delta}")
    argv = render(args, {"solver": "adam", "delta": 4})
    # --momentum goes with its value; "-1" is a number, not a flag, so it stays.
    assert argv == ["train.py", "--solver", "adam", "--nesterov", "-1", "4"]


def test_a_parameter_cannot_choose_the_program(tmp_path):
    objective = CommandObjective("{tool} --x 1", workdir=str(tmp_path))
    with pytest.raises(TrialFailure, match="program name must be plain text"):
        objective.evaluate({"tool": "rm"}, lambda s, v: None)
    with pytest.raises(ObjectiveError, match="must not contain a placeholder"):
        objective.check()


# --- check, settings, describe ---------------------------------------------------------


def test_unknown_placeholders_are_an_error_before_the_run(tmp_path):
    (tmp_path / "prog.py").write_text("")
    objective = CommandObjective("python prog.py --lr {lr} --bs {batch}", workdir=str(tmp_path))
    objective.check()  # without the space's names, placeholders cannot be judged
    objective.check(param_names=["lr", "batch", "unused"])
    with pytest.raises(ObjectiveError) as info:
        objective.check(param_names=["lr", "momentum"])
    assert "{batch} names no parameter" in str(info.value)
    assert "the parameters are: lr, momentum" in str(info.value)
    assert objective.placeholders() == ["lr", "batch"]


@pytest.mark.parametrize("settings, message", [
    ({"command": ""}, "objective.command is empty"),
    ({"command": "python 'x.py"}, "close every quote"),
    ({"command": "python x.py --lr {lr"}, "expected '}'"),
    ({"command": "python x.py {0}"}, "needs a parameter name"),
    ({"command": "python x.py {lr!r}"}, "conversions such as !r"),
    ({"command": "no-such-program-knobs --x"}, "was not found on PATH"),
    ({"command": "./missing.sh"}, "'./missing.sh' does not exist"),
    ({"command": "python x.py", "workdir": "/no/such/dir"}, "objective.workdir = '/no/such/dir'"),
    ({"command": "python x.py", "score_regex": "acc=\\S+"}, "has 0 groups"),
    ({"command": "python x.py", "score_regex": "acc=(\\S+"}, "not a valid regular expression"),
    ({"command": "python x.py", "timeout_s": 0}, "objective.timeout_s = 0"),
    ({"command": "python x.py", "timeout_s": "10"}, "objective.timeout_s = '10'"),
    ({"command": "python x.py", "env": ["A=1"]}, "objective.env = ['A=1']"),
    ({"command": "python x.py", "env": {"1A": "x"}}, "'1A' is not a valid variable name"),
])
def test_check_names_the_setting_and_the_value(settings, message):
    with pytest.raises(ObjectiveError, match=message.replace("(", r"\(").replace("[", r"\[")):
        CommandObjective.from_settings(settings).check()


def test_check_reports_every_problem_at_once():
    objective = CommandObjective.from_settings(
        {"command": "python x.py", "workdir": "/no/such/dir", "timeout_s": -1}
    )
    with pytest.raises(ObjectiveError) as info:
        objective.check()
    assert len(str(info.value).splitlines()) == 2


def test_settings_round_trip_and_description():
    settings = {"command": "python train.py --lr {lr}", "workdir": "/data/run",
                "env": {"CUDA_VISIBLE_DEVICES": "0"}, "score_regex": "acc=(\\S+)",
                "timeout_s": 60}
    objective = CommandObjective.from_settings(settings)
    assert objective.to_settings() == settings
    assert CommandObjective.from_settings({"command": "x"}).to_settings() == {"command": "x"}
    described = objective.describe()
    assert "python train.py --lr {lr}" in described and "CUDA_VISIBLE_DEVICES=0" in described
    assert "\n" not in described


# --- the shipped example ---------------------------------------------------------------


def test_example_training_script_end_to_end():
    objective = CommandObjective.from_settings({
        "command": "python train_mlp.py --learning-rate {learning_rate} "
                   "--batch-size {batch_size} --solver {solver} --momentum {momentum} "
                   "--epochs {epochs}",
        "workdir": str(EXAMPLES),
        "timeout_s": 60,
    })
    objective.check(param_names=["learning_rate", "batch_size", "solver", "momentum", "epochs"])
    reports = []
    evaluation = objective.evaluate(
        {"learning_rate": 0.01, "batch_size": 64, "solver": "adam", "epochs": 4},  # no momentum
        lambda step, value: reports.append((step, value)),
    )
    assert [step for step, _ in reports] == [1, 2, 3, 4]
    assert 0.5 < evaluation.value <= 1.0
    assert evaluation.value == pytest.approx(reports[-1][1], abs=1e-4)
    assert set(evaluation.metrics) == {"train_accuracy", "final_loss", "fit_seconds"}
    json.dumps(evaluation.metrics)  # storable as is
