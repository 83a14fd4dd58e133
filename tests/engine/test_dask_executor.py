"""Trials on a real Dask cluster on loopback: values, failures, timeouts, Stop, reports,
dead workers, a lost scheduler, and the command line's --cluster."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from distributed import Client, LocalCluster

from engine import dask_executor as dx
from engine.dask_executor import ClusterError, DaskExecutor, parse_cluster_address
from engine.objectives.python_function import PythonFunctionObjective
from engine.pids import alive
from engine.placement import make_executor
from engine.runner import Runner
from engine.slots import ExecutorError
from engine.space import CategoricalParam, FloatParam
from engine.spec import StudySpec
from engine.study import Study
from engine.trial import TrialState
from tests.engine.processes import write_python_spec

HERE = Path(__file__).parent
FAULTY = str(HERE / "objectives" / "faulty.py")
CLUSTER = str(HERE / "objectives" / "cluster_trials.py")
ROOT = HERE.parents[1]


def faulty(name: str) -> PythonFunctionObjective:
    return PythonFunctionObjective(FAULTY, name)


def trials(name: str) -> PythonFunctionObjective:
    return PythonFunctionObjective(CLUSTER, name)


def spec(objective: PythonFunctionObjective, params, **changes) -> StudySpec:
    base = StudySpec(
        name="on dask", params=params,
        objective={"kind": "python", "path": objective.path, "function": objective.function},
        sampler="grid", seed=1, workers=2,
    )
    return base.evolve(**changes)


@pytest.fixture(scope="module")
def cluster():
    """Two single-thread worker processes on loopback, with Dask's own retry setting (3),
    as a cluster someone else started would have: the app's one-retry rule is tested."""
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0") as c:
        yield c


@pytest.fixture
def executor(cluster):
    ex = DaskExecutor(cluster.scheduler_address, memory_limit_mb=1024)
    yield ex
    ex.close()


# --- addresses and connections ---------------------------------------------------------


@pytest.mark.parametrize("text, local", [
    ("tcp://127.0.0.1:8786", None), ("tcp://gpu-box.lab:9000", None), ("tcp://[::1]:8786", None),
    (" local:4 ", 4), ("local:1", 1),
])
def test_good_addresses_parse(text, local):
    assert parse_cluster_address(text).local_workers == local


@pytest.mark.parametrize("text", [
    "", "127.0.0.1:8786", "tcp://127.0.0.1", "tcp://:8786", "tcp://host:0", "tcp://host:70000",
    "local:0", "local:x", "local:", "http://host:8786", "tcp://a b:1",
])
def test_bad_addresses_name_the_value_and_the_accepted_forms(text):
    with pytest.raises(ClusterError) as info:
        parse_cluster_address(text)
    message = str(info.value)
    assert repr(text) in message
    assert "tcp://HOST:PORT" in message or "local:N" in message


def test_connection_reports_workers_and_threads(cluster):
    text = dx.test_connection(cluster.scheduler_address, timeout=10)
    assert text.startswith(f"Connected to {cluster.scheduler_address}: 2 workers with 2 threads")


def test_connection_to_nothing_says_so_at_once():
    address = f"tcp://127.0.0.1:{_free_port()}"
    started = time.monotonic()
    with pytest.raises(ClusterError, match=r"nothing listens at .* \(connection refused\)"):
        dx.test_connection(address, timeout=10)
    assert time.monotonic() - started < 5


def test_local_n_is_only_described_by_the_test():
    assert "cluster of 3 worker processes on this computer" in dx.test_connection("local:3")


def test_without_distributed_the_message_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(ClusterError, match=r"install knobs\[cluster\]"):
        dx.test_connection("local:2")
    with pytest.raises(ClusterError, match=r"install knobs\[cluster\]"):
        make_executor("local:2", workers=2).connect()


def test_knobs_imports_no_dask_until_a_cluster_is_used():
    code = ("import sys, engine.cli, engine.runner, engine.executors, engine.dask_executor; "
            "sys.exit('distributed' in sys.modules or 'dask' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def test_an_unreachable_scheduler_fails_the_run_before_any_trial(tmp_path):
    study = Study.create(spec(faulty("good"), (FloatParam("x", 0.0, 1.0),), sampler="random",
                              trials=4), tmp_path / "s.knobs")
    runner = Runner(study, faulty("good"), cluster=f"tcp://127.0.0.1:{_free_port()}")
    with pytest.raises(ExecutorError, match="nothing listens"):
        runner.run()
    assert study.trials == []
    study.close()


# --- a study through the cluster -------------------------------------------------------


def test_a_study_completes_on_the_cluster_with_the_right_values(executor, tmp_path):
    xs = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6)
    study = Study.create(spec(faulty("with_metrics"), (CategoricalParam("x", xs),), trials=6),
                         tmp_path / "s.knobs")
    Runner(study, faulty("with_metrics"), executor=executor).run()
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 6
    assert sorted(t.value for t in study.trials) == pytest.approx(xs)
    for t in study.trials:
        assert t.metrics == {"accuracy": 0.9, "folds": [1.0, 2.0]}
        assert t.intermediate == ((0, 0.0), (1, 0.1), (2, 0.2))
        assert t.worker in (0, 1)
    study.close()
    assert len(saved_trials(tmp_path / "s.knobs")) == 6


def test_failing_trials_fail_alone_with_their_reason(executor, tmp_path):
    # by_x: x < 0.1 raises, x > 0.9 calls os._exit(1), else returns x.
    study = Study.create(spec(faulty("by_x"), (CategoricalParam("x", (0.05, 0.5, 0.95, 0.7)),),
                              trials=4, timeout_s=30), tmp_path / "s.knobs")
    Runner(study, faulty("by_x"), executor=executor).run()
    by_x = {t.params["x"]: t for t in study.trials}
    assert by_x[0.05].state is TrialState.FAILED and "ValueError: x too small" in by_x[0.05].error
    assert by_x[0.95].state is TrialState.FAILED
    assert "exited with code 1" in by_x[0.95].error
    assert by_x[0.5].value == 0.5 and by_x[0.7].value == 0.7
    study.close()


def test_an_objective_the_workers_cannot_import_fails_its_trial_with_a_hint(
        executor, tmp_path, monkeypatch):
    # A module only this process can import: the workers started before it existed.
    (tmp_path / "only_here.py").write_text(
        "from engine.objectives.base import Evaluation, Objective\n"
        "class Here(Objective):\n"
        "    def evaluate(self, params, report):\n"
        "        return Evaluation(1.0)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import only_here

    out = executor.slot(0).run(only_here.Here(), {"x": 1})
    assert out.state is TrialState.FAILED
    assert out.error.startswith("the Dask worker could not run the trial: ModuleNotFoundError")
    assert "importable on every worker; see docs/cluster.md" in out.error
    assert executor.slot(0).run(faulty("good"), {"x": 0.3}).state is TrialState.COMPLETE


def test_a_timeout_fails_that_trial_and_the_study_goes_on(executor, tmp_path):
    study = Study.create(spec(trials("sleeps"), (CategoricalParam("s", (1000.0, 0.1, 0.2)),),
                              trials=3, workers=1, timeout_s=1.5), tmp_path / "s.knobs")
    started = time.monotonic()
    Runner(study, trials("sleeps"), executor=executor).run()
    assert time.monotonic() - started < 20
    hung, *rest = study.trials
    assert hung.state is TrialState.FAILED and hung.error == "timed out after 1.5 s"
    assert [t.state for t in rest] == [TrialState.COMPLETE] * 2
    study.close()


def test_stop_interrupts_running_trials_and_frees_the_workers(executor, tmp_path):
    pid_file = tmp_path / "pids"
    study = Study.create(spec(trials("hangs_after_writing_pid"),
                              (CategoricalParam("pid_file", (str(pid_file),)),
                               FloatParam("x", 0.0, 1.0)),
                              sampler="random", trials=10), tmp_path / "s.knobs")
    runner = Runner(study, trials("hangs_after_writing_pid"), executor=executor)
    runner.start()
    deadline = time.monotonic() + 30
    while len(_pids(pid_file)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    started = time.monotonic()
    runner.stop()
    assert time.monotonic() - started < 5
    assert [t.state for t in study.trials] == [TrialState.INTERRUPTED] * 2
    assert all(_gone(pid) for pid in _pids(pid_file)), "a stopped trial's process lives on"
    slot = executor.slot(0)  # both Dask workers are free again
    assert slot.run(faulty("good"), {"x": 0.3}).state is TrialState.COMPLETE


def test_intermediate_values_arrive_while_the_trial_runs(executor):
    heard = []
    started = time.monotonic()
    out = executor.slot(0).run(trials("reports_slowly"), {"pause": 1.5},
                               report=lambda step, value: heard.append((step, value,
                                                                        time.monotonic())))
    ended = time.monotonic()
    assert out.state is TrialState.COMPLETE and out.value == 3.0
    assert [(s, v) for s, v, _ in heard] == [(0, 1.0), (1, 2.0)]
    first_at = heard[0][2]
    assert first_at - started < ended - started - 1.0, "the first value came with the result"


def test_trials_on_the_cluster_are_pruned_at_the_step_judged(executor, tmp_path):
    """Reports from a Dask worker reach the pruner, and its answer reaches the trial
    before the next step: pruned trials stop where they were judged, as locally."""
    xs = (0.0, 0.9, 0.1, 0.8, 0.2, 0.7, 0.3, 0.6)
    s = spec(trials("learning_curve"), (CategoricalParam("x", xs),), trials=8, pruner="asha",
             pruner_options={"min_steps": 1, "eta": 2})
    study = Study.create(s, tmp_path / "s.knobs")
    Runner(study, trials("learning_curve"), executor=executor).run()
    pruned = [t for t in study.trials if t.state is TrialState.PRUNED]
    complete = [t for t in study.trials if t.state is TrialState.COMPLETE]
    assert pruned and complete
    for t in pruned:
        assert t.metrics["pruned_by"] == "asha" and t.error.startswith("asha: at rung")
        assert t.intermediate[-1][0] == t.metrics["stopped_at"] < 9  # not one step more
    assert all(len(t.intermediate) == 9 for t in complete)
    assert "% saved" in study.summary().savings_text
    study.close()


def test_a_trial_whose_dask_worker_dies_is_retried_once_then_fails(cluster, executor, tmp_path):
    pid_file = tmp_path / "pids"
    out = executor.slot(0).run(trials("kills_its_dask_worker"), {"pid_file": str(pid_file)},
                               timeout_s=60)
    assert out.state is TrialState.FAILED
    assert "the Dask worker running it died, and again on the retry" in out.error
    # The first run and its one retry; this cluster's scheduler (allowed-failures 3, as
    # Dask sets by default) may start a third attempt, which the app drops at once.
    pids = _pids(pid_file)
    assert 2 <= len(pids) <= 3
    # The trial processes of the killed workers see their owner gone and end themselves.
    assert all(_gone(pid, wait_s=10) for pid in pids)
    with Client(cluster.scheduler_address, set_as_default=False) as client:
        client.wait_for_workers(2, timeout=60)  # the nannies restarted them


def test_local_n_starts_and_closes_its_own_cluster_and_retries_once(tmp_path):
    ex = make_executor("local:1", workers=1)
    info = ex.connect()
    assert (info.workers, info.threads) == (1, 1)
    assert info.address.startswith("tls://127.0.0.1:")
    try:
        slot = ex.slot(0)
        assert slot.run(faulty("good"), {"x": 0.5}).value == pytest.approx(0.04)
        out = slot.run(trials("kills_its_dask_worker"), {"pid_file": str(tmp_path / "pids")})
        assert out.state is TrialState.FAILED and "again on the retry" in out.error
    finally:
        ex.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", int(info.address.rsplit(":", 1)[1])), 1).close()


def test_losing_the_scheduler_stops_the_study_and_keeps_finished_trials(tmp_path):
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # Their web servers too listen on loopback only (by default they take every interface).
    loopback = ["--host", "127.0.0.1", "--no-dashboard", "--dashboard-address", "127.0.0.1:0"]
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "dask", "scheduler", "--port", str(port), *loopback],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    worker = subprocess.Popen(
        [sys.executable, "-m", "dask", "worker", address, "--nthreads", "1", *loopback],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=tmp_path)
    try:
        _wait_for_workers(address, 1)
        study = Study.create(spec(trials("sleeps"), (FloatParam("s", 0.1, 0.3),),
                                  sampler="random", trials=100, workers=1),
                             tmp_path / "s.knobs")
        runner = Runner(study, trials("sleeps"), cluster=address)
        done = threading.Event()

        def kill_the_scheduler():
            while study.counts()[TrialState.COMPLETE] < 3 and not done.is_set():
                time.sleep(0.02)
            scheduler.kill()

        killer = threading.Thread(target=kill_the_scheduler, name="knobs-test-killer")
        killer.start()
        started = time.monotonic()
        try:
            with pytest.raises(ExecutorError, match=f"Dask scheduler at {address}"):
                runner.run()
        finally:
            done.set()
            killer.join()
        assert time.monotonic() - started < 30
        counts = study.counts()
        assert counts[TrialState.COMPLETE] >= 3 and counts[TrialState.RUNNING] == 0
        assert counts[TrialState.INTERRUPTED] == 1
        study.close()
        kept = saved_trials(tmp_path / "s.knobs")
        assert sum(t.state is TrialState.COMPLETE for t in kept) == counts[TrialState.COMPLETE]
    finally:
        for proc in (worker, scheduler):
            proc.kill()
            proc.wait(10)


# --- the command line ------------------------------------------------------------------


def write_spec(folder: Path, trials: int = 6) -> Path:
    body = ("def f(params, report):\n    report(0, params['x'])\n"
            "    return (params['x'] - 0.3) ** 2\n")
    return write_python_spec(folder, body, trials=trials, name="cli on dask")


def test_cli_runs_a_study_on_a_local_cluster(tmp_path):
    spec_path = write_spec(tmp_path)
    out = tmp_path / "s.knobs"
    result = knobs("run", spec_path, "--cluster", "local:2", "--out", out, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "2 workers on the Dask cluster at tls://127.0.0.1:" in result.stdout
    assert "Done: 6 complete." in result.stdout
    kept = saved_trials(out)
    assert len(kept) == 6
    for t in kept:
        assert t.value == pytest.approx((t.params["x"] - 0.3) ** 2)
        assert t.intermediate == ((0, t.params["x"]),)


@pytest.mark.parametrize("address, says", [
    ("bogus", "argument --cluster: the cluster address must be tcp://HOST:PORT"),
    ("local:0", "argument --cluster: the cluster address local:N needs 1 <= N"),
    ("tcp://127.0.0.1:{port}", "nothing listens at tcp://127.0.0.1:"),
])
def test_cli_refuses_a_bad_cluster_in_one_line_and_writes_nothing(tmp_path, address, says):
    spec_path = write_spec(tmp_path)
    out = tmp_path / "s.knobs"
    result = knobs("run", spec_path, "--cluster", address.format(port=_free_port()), "--out", out)
    assert result.returncode == 2
    assert says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not out.exists()


# --- helpers -----------------------------------------------------------------------------


def knobs(*args, cwd=None, timeout=120) -> subprocess.CompletedProcess:
    """``python main.py ARGS``, as a user runs it."""
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=timeout)


def saved_trials(path: Path) -> list:
    """The trials in a study file, read as another process would."""
    study = Study.open(path, readonly=True)
    try:
        return study.trials
    finally:
        study.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _gone(pid: int, wait_s: float = 5.0) -> bool:
    deadline = time.monotonic() + wait_s
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)


def _pids(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


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


def test_a_local_cluster_keeps_its_scratch_in_a_private_folder_removed_at_the_end(
        tmp_path, monkeypatch):
    import os
    import stat
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    old_umask = os.umask(0)
    try:
        ex = DaskExecutor("local:1")
        ex._ensure_client()  # starts the cluster, as the first trial does
        try:
            scratch = [p for p in tmp_path.iterdir() if p.name.startswith("knobs-dask-")]
            assert len(scratch) == 1 and list(tmp_path.iterdir()) == scratch
            assert stat.S_IMODE(scratch[0].stat().st_mode) == 0o700
        finally:
            ex.close()
    finally:
        os.umask(old_umask)
    assert list(tmp_path.iterdir()) == []
