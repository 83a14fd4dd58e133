"""A Dask cluster that stops answering, or loses every worker, ends the run in bounded time:
the running trials interrupted, one line saying why, CLI exit 1; resume completes the budget.

The scheduler and workers are subprocesses started here, so that the test can SIGSTOP or
kill them without touching anything else."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from distributed import Client

from engine.dask_executor import DaskExecutor
from engine.objectives.python_function import PythonFunctionObjective
from engine.runner import Runner
from engine.slots import ExecutorError
from engine.space import FloatParam
from engine.spec import StudySpec
from engine.study import Study
from engine.trial import TrialState
from tests.engine.processes import ROOT, knobs, wait_for_complete, write_python_spec

CLUSTER = str(Path(__file__).parent / "objectives" / "cluster_trials.py")
SLEEPS = PythonFunctionObjective(CLUSTER, "sleeps")
# Short limits for the tests; the defaults (docs/cluster.md) are checked by the CLI test.
QUICK = {"heartbeat_s": 0.5, "scheduler_timeout_s": 3.0, "no_workers_s": 3.0}


def spec(trials: int) -> StudySpec:
    return StudySpec(name="hangs", params=(FloatParam("s", 0.1, 0.3),),
                     objective={"kind": "python", "path": CLUSTER, "function": "sleeps"},
                     sampler="random", seed=1, workers=1, trials=trials)


def test_a_scheduler_that_stops_answering_ends_the_run_and_resume_completes(tmp_path):
    with _cluster(tmp_path) as (address, scheduler, _):
        path = tmp_path / "s.knobs"
        study = Study.create(spec(12), path)
        executor = DaskExecutor(address, **QUICK)
        stopped_at = _when_complete(study, 3, lambda: os.kill(scheduler.pid, signal.SIGSTOP))
        try:
            with pytest.raises(ExecutorError, match=f"the Dask scheduler at {address} did not "
                                                    "answer within 3 s; the study stopped"):
                Runner(study, SLEEPS, executor=executor).run()
            noticed = time.monotonic() - stopped_at[0]
            counts = study.counts()
            assert counts[TrialState.RUNNING] == 0 and counts[TrialState.INTERRUPTED] == 1
            finished = study.n_finished
            assert finished >= 3
        finally:
            os.kill(scheduler.pid, signal.SIGCONT)
            executor.close()
            study.close()
        # Bounded by the heartbeat and the timeout (3.5 s), with room for a busy machine.
        assert noticed < 30
        _resume_to_the_end(path, address, budget=12, kept=finished)


def test_a_cluster_without_any_worker_ends_the_run_and_resume_completes(tmp_path):
    with _cluster(tmp_path) as (address, _, worker):
        path = tmp_path / "s.knobs"
        study = Study.create(spec(12), path)
        executor = DaskExecutor(address, **QUICK)
        killed_at = _when_complete(study, 3, worker.kill)
        try:
            with pytest.raises(ExecutorError, match=f"the Dask cluster at {address} has had no "
                                                    "worker for 3 s; the study stopped"):
                Runner(study, SLEEPS, executor=executor).run()
            noticed = time.monotonic() - killed_at[0]
            counts = study.counts()
            assert counts[TrialState.RUNNING] == 0 and counts[TrialState.INTERRUPTED] == 1
            finished = study.n_finished
        finally:
            executor.close()
            study.close()
        assert noticed < 30
        with _worker(address, tmp_path):
            _resume_to_the_end(path, address, budget=12, kept=finished)


def test_a_scheduler_that_stops_while_a_report_is_answered_ends_the_run(tmp_path):
    # The unlucky moment, made certain: the scheduler stops just after a trial's report
    # reached the app and before the app's answer (go on, or stop) is sent. Every call the
    # run loop makes to the cluster must be bounded like the watchdog's own question.
    curve = PythonFunctionObjective(CLUSTER, "learning_curve")
    spec_ = StudySpec(name="hangs", params=(FloatParam("x", 0.0, 1.0),),
                      objective={"kind": "python", "path": CLUSTER,
                                 "function": "learning_curve"},
                      sampler="random", seed=1, workers=1, trials=6)
    with _cluster(tmp_path) as (address, scheduler, _):
        study = Study.create(spec_, tmp_path / "s.knobs")
        executor = DaskExecutor(address, **QUICK)
        store_report = study.report

        def report(number: int, step: int, value: float) -> str | None:
            reason = store_report(number, step, value)
            if number == 1 and step == 1:
                os.kill(scheduler.pid, signal.SIGSTOP)
            return reason

        study.report = report
        runner = Runner(study, curve, executor=executor)
        try:
            runner.start()
            ended = runner.wait(timeout=60)  # a hang, not a speed: the limit is 3.5 s
        finally:
            os.kill(scheduler.pid, signal.SIGCONT)
            runner.wait()
            executor.close()
        try:
            assert ended, "the run did not end after the scheduler stopped"
            assert str(runner.outcome.error) == (f"the Dask scheduler at {address} did not "
                                                 "answer within 3 s; the study stopped")
            counts = study.counts()
            assert counts[TrialState.COMPLETE] == 1 and counts[TrialState.INTERRUPTED] == 1
            assert counts[TrialState.RUNNING] == 0
        finally:
            study.close()


def test_the_cli_says_why_in_one_line_and_exits_1_when_the_scheduler_stops(tmp_path):
    # The documented defaults: a heartbeat every 2 s, an answer within 15 s.
    spec_path = write_python_spec(
        tmp_path, "import time\ndef f(params):\n    time.sleep(0.2)\n    return params['x']\n",
        trials=200)
    out = tmp_path / "s.knobs"
    with _cluster(tmp_path) as (address, scheduler, _):
        with subprocess.Popen(
                [sys.executable, str(ROOT / "main.py"), "run", str(spec_path), "--out",
                 str(out), "--cluster", address, "--workers", "1"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path) as cli:
            try:
                wait_for_complete(out, at_least=2, proc=cli)
                os.kill(scheduler.pid, signal.SIGSTOP)
                stdout, stderr = cli.communicate(timeout=90)
            finally:
                os.kill(scheduler.pid, signal.SIGCONT)
                if cli.poll() is None:
                    cli.kill()
        assert cli.returncode == 1, stdout + stderr
        errors = [line for line in stderr.splitlines() if "error" in line]
        assert errors == [f"knobs run: error: the Dask scheduler at {address} did not answer "
                          "within 15 s; the study stopped"], stderr
        assert "continue with: knobs run" in stdout and "--resume" in stdout
        result = knobs("run", spec_path, "--out", out, "--cluster", address, "--resume",
                       "--trials", "6", "--workers", "1", cwd=tmp_path)
        assert result.returncode == 0, result.stderr


# --- helpers -----------------------------------------------------------------------


def _when_complete(study: Study, n: int, action) -> list[float]:
    """Run ``action`` once ``study`` has ``n`` complete trials; the list gets its time."""
    at: list[float] = []

    def watch() -> None:
        deadline = time.monotonic() + 120
        while study.counts()[TrialState.COMPLETE] < n and time.monotonic() < deadline:
            time.sleep(0.02)
        action()
        at.append(time.monotonic())

    threading.Thread(target=watch, name="knobs-test-fault", daemon=True).start()
    return at


def _resume_to_the_end(path: Path, address: str, *, budget: int, kept: int) -> None:
    study = Study.open(path)
    executor = DaskExecutor(address)
    try:
        Runner(study, SLEEPS, executor=executor).run()
        assert study.n_finished == budget
        assert study.counts()[TrialState.INTERRUPTED] == 1  # kept, as it was
        assert study.n_finished >= kept
    finally:
        executor.close()
        study.close()


_LOOPBACK = ["--host", "127.0.0.1", "--no-dashboard", "--dashboard-address", "127.0.0.1:0"]


@contextlib.contextmanager
def _cluster(tmp_path: Path):
    """A scheduler and one nanny-less worker (so that killing it leaves no worker)."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "dask", "scheduler", "--port", str(port), *_LOOPBACK],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        with _worker(address, tmp_path) as worker:
            yield address, scheduler, worker
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(scheduler.pid, signal.SIGCONT)
        scheduler.kill()
        scheduler.wait(30)


@contextlib.contextmanager
def _worker(address: str, tmp_path: Path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    worker = subprocess.Popen(
        [sys.executable, "-m", "dask", "worker", address, "--nthreads", "1", "--no-nanny",
         *_LOOPBACK], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        cwd=tmp_path)
    try:
        _wait_for_workers(address, 1)
        yield worker
    finally:
        worker.kill()
        worker.wait(30)


def _wait_for_workers(address: str, n: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with Client(address, timeout=5, set_as_default=False) as client:
                client.wait_for_workers(n, timeout=max(1.0, deadline - time.monotonic()))
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
