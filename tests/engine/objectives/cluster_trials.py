"""Objectives for the Dask cluster tests: slow ones, chatty ones, and one that kills its worker."""

import os
import signal
import time


def sleeps(params):
    """Sleeps ``s`` seconds (forever past 100), then returns ``s``."""
    time.sleep(params["s"] if params["s"] <= 100 else 3600)
    return params["s"]


def reports_slowly(params, report):
    report(0, 1.0)
    time.sleep(params.get("pause", 1.0))
    report(1, 2.0)
    return 3.0


def hangs_after_writing_pid(params):
    with open(params["pid_file"], "a") as f:
        f.write(f"{os.getpid()}\n")
    time.sleep(3600)


def kills_its_dask_worker(params):
    """Kills the Dask worker running this trial (every attempt), then hangs."""
    import psutil  # a dependency of distributed

    with open(params["pid_file"], "a") as f:
        f.write(f"{os.getpid()}\n")
    # This process <- forkserver <- the Dask worker process; with spawn, the worker itself.
    me = psutil.Process()
    parent = me.parent()
    worker = parent.parent() if "forkserver" in " ".join(parent.cmdline()) else parent
    os.kill(worker.pid, signal.SIGKILL)
    time.sleep(3600)


def learning_curve(params, report):
    """A loss falling towards ``x`` over 9 steps; stops when told, saying where."""
    for step in range(1, 10):
        if report(step, params["x"] + 1.0 / step):
            return None
    return params["x"]
