"""Objectives that misbehave in every way a user's code can, for the fault tests."""

import ctypes
import os
import signal
import subprocess
import sys
import time


def good(params):
    return (params["x"] - 0.3) ** 2


def with_metrics(params, report):
    for step in range(3):
        report(step, float(step) / 10)
    return {"value": params["x"], "accuracy": 0.9, "folds": [1, 2]}


def raises(params):
    raise RuntimeError(f"bad x {params['x']}")


def segfault(params):
    ctypes.string_at(0)


def exits(params):
    os._exit(3)


def hangs(params):
    time.sleep(600)


def hangs_with_child(params):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    with open(params["pid_file"], "w") as f:
        f.write(str(child.pid))
    time.sleep(600)


def returns_nan(params):
    return float("nan")


def returns_inf(params):
    return float("inf")


def returns_text(params):
    return "0.5"


def returns_dict_without_value(params):
    return {"loss": 1.0}


def allocates(params):
    hog = []
    while True:
        hog.append(bytearray(64 * 1024 * 1024))


def by_x(params):
    """Fails, crashes or succeeds depending on x, for mixed studies."""
    x = params["x"]
    if x < 0.1:
        raise ValueError("x too small")
    if x > 0.9:
        os._exit(1)
    return x


def killed(params):
    os.kill(os.getpid(), signal.SIGKILL)  # what the kernel's out-of-memory killer does


def by_name(params):
    """Behaves as the function named by params["fault"], for studies that mix faults."""
    return globals()[params["fault"]](params)


def bulky(params):
    """A complete trial whose row fills most of a database page (for the disk-full test)."""
    return {"value": params["x"], "notes": "n" * 3000}


def slow(params):
    time.sleep(0.5)
    return params["x"]


def held(params):
    """Completes in 0.2 s, but only while the file named by $KNOBS_HOLD does not exist."""
    hold = os.environ.get("KNOBS_HOLD")
    while hold and os.path.exists(hold):
        time.sleep(0.05)
    time.sleep(0.2)
    return params["x"]
