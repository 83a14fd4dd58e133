"""The real Knobs window in its own process (tests/desktop/window_driver.py, offscreen),
so that a test can kill it or watch what it opens, as a user would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

DRIVER = Path(__file__).resolve().parent / "window_driver.py"


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
