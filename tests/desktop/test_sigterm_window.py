"""SIGTERM to the window mid-run (a logout, `kill`): it ends at once without asking, trials in
flight interrupted, finished ones kept, no worker printing a traceback."""

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.desktop.window_process import window_env
from tests.engine.processes import wait_for_complete, write_python_spec
from tests.engine.test_sigterm import THREE_FAST_THEN_SLOW, assert_ended_quietly, wait_for_running

DRIVER = Path(__file__).resolve().parent / "knobs_window_run.py"


def test_sigterm_ends_the_window_quietly_and_keeps_finished_trials(tmp_path):
    spec = write_python_spec(tmp_path, THREE_FAST_THEN_SLOW, trials=20)
    with open(tmp_path / "stderr.log", "w") as log:
        # stderr to a file: worker processes share it, and a pipe nobody reads could fill.
        proc = subprocess.Popen([sys.executable, str(DRIVER), str(spec)], stdout=subprocess.PIPE,
                                stderr=log, text=True, env=window_env(tmp_path))
    try:
        path = Path(proc.stdout.readline().strip())
        assert path.name.endswith(".knobs"), (tmp_path / "stderr.log").read_text()
        wait_for_complete(path, 3, proc=proc)
        wait_for_running(path, 2, proc)
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    assert_ended_quietly(path, proc.returncode, (tmp_path / "stderr.log").read_text())
