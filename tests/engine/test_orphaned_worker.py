"""A worker process whose app was killed outright (SIGKILL, out of memory) ends quietly:
no BrokenPipeError traceback from a trial that finishes or reports after the app is gone."""

import subprocess
import sys

import pytest

from tests.engine.processes import ROOT

APP = """\
import sys
from engine.executors import _context, _worker_main
from engine.objectives.registry import make_objective

if __name__ == "__main__":
    ctx = _context()
    app_end, worker_end = ctx.Pipe()
    worker = ctx.Process(target=_worker_main, args=(worker_end, None, None, 1, 0),
                         name="knobs-worker-0")
    worker.start()
    worker_end.close()
    objective = make_objective({"kind": "python", "path": sys.argv[1], "function": "f"})
    app_end.send(("run", objective, {"x": 0.5}))
    app_end.close()  # the app is gone while the trial runs
    worker.join(60)
    print(worker.exitcode)
"""

FINISHES = "import time\ndef f(params):\n    time.sleep(0.5)\n    return params['x']\n"
REPORTS = """\
import time
def f(params, report):
    time.sleep(0.5)
    for step in range(3):
        if report(step, params["x"]):
            return params["x"]
    return params["x"]
"""


@pytest.mark.parametrize("body", [FINISHES, REPORTS], ids=["finishes", "reports"])
def test_a_worker_left_alone_ends_without_a_traceback(tmp_path, body):
    (tmp_path / "obj.py").write_text(body)
    # Owner pid 1 is always alive, so only the broken pipe can end the worker.
    result = subprocess.run([sys.executable, "-c", APP, str(tmp_path / "obj.py")],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.stdout.strip() == "0", result.stderr
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr
