"""Knobs in other processes, as a user starts it: the command line and the real window.

The window runs through tests/engine/window_driver.py, offscreen, so that a test can kill it
or watch what it opens without importing Qt into the engine tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from engine.storage import StudyFileError
from engine.study import Study
from engine.trial import Trial, TrialState

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).resolve().parent / "window_driver.py"


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


def window_env(tmp_path: Path) -> dict[str, str]:
    # HOME in tmp: the window's default studies folder and anything Qt writes stay there.
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path),
            "XDG_RUNTIME_DIR": str(tmp_path)}


def start_window_run(spec: Path, tmp_path: Path) -> subprocess.Popen:
    """The window, running ``spec`` as if imported and Run pressed; prints the study file.

    Its stderr goes to window.log in ``tmp_path``: a pipe nobody reads could fill and block it.
    """
    with open(tmp_path / "window.log", "w") as log:
        return subprocess.Popen(
            [sys.executable, str(DRIVER), "run", str(tmp_path / "settings.ini"), str(spec)],
            stdout=subprocess.PIPE, stderr=log, text=True, env=window_env(tmp_path),
        )


def window_open(tmp_path: Path, *paths: Path, press_run: bool = False, timeout: float = 120
                ) -> list[dict]:
    """Open each path with the window's File > Open; what it showed, one dict per path.

    With ``press_run``, Run is pressed after each open and the confirmation refused.
    """
    flag = ["--press-run"] if press_run else []
    result = subprocess.run(
        [sys.executable, str(DRIVER), "open", str(tmp_path / "settings.ini"), *flag,
         *map(str, paths)],
        capture_output=True, text=True, env=window_env(tmp_path), timeout=timeout,
    )
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


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
