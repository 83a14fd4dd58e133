"""SIGTERM (a service manager, `kill`, a logout) ends a headless run as Ctrl-C does: quietly,
trials in flight interrupted, finished ones kept."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from engine.trial import TrialState
from tests.engine.processes import ROOT, saved_trials, wait_for_complete, write_python_spec

# The first three trials finish at once; every later one runs until it is stopped.
THREE_FAST_THEN_SLOW = """\
import os, time
from pathlib import Path

def f(params):
    for i in range(3):
        try:
            os.close(os.open(Path(__file__).with_name(f"fast-{i}"), os.O_CREAT | os.O_EXCL))
            return params["x"]
        except FileExistsError:
            pass
    time.sleep(600)
    return params["x"]
"""


def wait_for_running(path: Path, count: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the process ended early with code {proc.returncode}"
        if sum(t.state is TrialState.RUNNING for t in saved_trials(path)) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"{path} never had {count} trials running")


def assert_ended_quietly(path: Path, code: int, stderr: str) -> None:
    assert code == 128 + signal.SIGTERM, stderr
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr
    trials = saved_trials(path)
    states = sorted(t.state.value for t in trials)
    assert states == ["complete"] * 3 + ["interrupted"] * 2, states


def test_sigterm_stops_a_headless_run_quietly_and_keeps_finished_trials(tmp_path):
    spec = write_python_spec(tmp_path, THREE_FAST_THEN_SLOW, trials=20)
    out = tmp_path / "study.knobs"
    with open(tmp_path / "stderr.log", "w") as log:
        proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "run", str(spec),
                                 "--out", str(out)], stdout=subprocess.PIPE, stderr=log,
                                text=True)
    try:
        wait_for_complete(out, 3, proc=proc)
        wait_for_running(out, 2, proc)
        os.kill(proc.pid, signal.SIGTERM)
        stdout, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert "Stopped. 3 finished trials are saved" in stdout
    assert_ended_quietly(out, proc.returncode, (tmp_path / "stderr.log").read_text())
