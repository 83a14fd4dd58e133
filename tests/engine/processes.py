"""Knobs in other processes, as a user starts it: the command line, and what another
process sees in a study file. The window's own process: tests/desktop/window_process.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from engine.storage import StudyFileError
from engine.study import Study
from engine.trial import Trial, TrialState

ROOT = Path(__file__).resolve().parents[2]


def knobs(*args, cwd=None, timeout=120) -> subprocess.CompletedProcess:
    """``python main.py ARGS`` to its end."""
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *map(str, args)],
        capture_output=True, text=True, cwd=cwd, timeout=timeout,
    )


def write_python_spec(folder: Path, body: str, *, trials: int = 6, extra: str = "",
                      name: str = "cli test") -> Path:
    """``folder/study.toml`` tuning x in [0, 1] with ``f`` from ``body`` written to obj.py."""
    (folder / "obj.py").write_text(body)
    spec = folder / "study.toml"
    spec.write_text(
        f'name = "{name}"\nseed = 1\nworkers = 2\n{extra}\n[budget]\ntrials = {trials}\n'
        '[objective]\nkind = "python"\npath = "obj.py"\nfunction = "f"\n'
        '[[params]]\nname = "x"\ntype = "float"\nlow = 0.0\nhigh = 1.0\n'
    )
    return spec


def start_knobs(*args, env=None) -> subprocess.Popen:
    """``python main.py ARGS`` in the background."""
    return subprocess.Popen([sys.executable, str(ROOT / "main.py"), *map(str, args)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, **(env or {})})


def saved_trials(path: Path) -> list[Trial]:
    """The trials in a study file, read as another process would (read-only)."""
    study = Study.open(path, readonly=True)
    try:
        return study.trials
    finally:
        study.close()


def wait_for_complete(path: Path, at_least: int, timeout: float = 90,
                      proc: subprocess.Popen | None = None) -> list[Trial]:
    """Poll the study file until it holds ``at_least`` complete trials; returns them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the process ended early with code {proc.returncode}")
        try:
            trials = saved_trials(path) if path.exists() else []
        except StudyFileError:  # being created right now
            trials = []
        complete = [t for t in trials if t.state is TrialState.COMPLETE]
        if len(complete) >= at_least:
            return complete
        time.sleep(0.05)
    raise AssertionError(f"{path} never reached {at_least} complete trials")


def wait_for_release(path: Path, timeout: float = 10) -> None:
    """Wait until no process holds the study's write lock (a killed one's is freed)."""
    from engine.storage import _FileLock

    deadline = time.monotonic() + timeout
    while _FileLock.held_by_other(path) and time.monotonic() < deadline:
        time.sleep(0.05)
