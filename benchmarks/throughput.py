"""Throughput and scaling: trial dispatch, parallel workers and the study file, vs Optuna.

Measured in one run on the same machine and printed as ratios:

- dispatch overhead: trials per second with a no-op objective and random search. Knobs runs
  each trial in a worker process and saves it to the study file as it starts and ends;
  Optuna's ``study.optimize`` calls the function in its own process, with in-memory and
  with SQLite storage;
- parallel efficiency: a 0.2 s sleep objective with 1, 2 and 4 workers against the ideal
  (Optuna with as many threads beside it);
- CPU-bound speed-up: a pure-Python objective, 2 workers vs 1: Knobs' processes against
  Optuna's ``n_jobs`` threads, which share one interpreter lock;
- study-file cost: trials and writes per second and the file size at 10,000 and 100,000
  trials (ask/tell without an objective), and the time to open and load a study.

    nice python -m benchmarks.throughput --quick    # smoke run, under a minute
    nice python -m benchmarks.throughput            # the numbers in docs/benchmarks.md

Optuna comes with the ``bench`` extra; without it, its rows are skipped with a note. On a
shared machine, compare ratios within one run rather than absolute numbers across runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# Only light imports up here. Worker processes start with forkserver (or spawn), which
# imports the parent's __main__ module in every new worker: importing engine (and through it
# scikit-learn) at the top would add that import to each worker's start, a cost that
# `python main.py run`, whose main module is tiny, does not have.
from benchmarks import _throughput_objectives as objectives  # noqa: E402

OBJECTIVES = str(Path(objectives.__file__).resolve())
SLEEP_S = 0.2
SECTIONS = ("dispatch", "parallel", "cpu", "file")


def _params() -> tuple:
    from engine.space import CategoricalParam, FloatParam

    return (
        FloatParam("x", 0.0, 1.0),
        FloatParam("lr", 1e-5, 1e-1, log=True),
        CategoricalParam("kind", ("a", "b", "c")),
    )


# ---------------------------------------------------------------------------- runners


def knobs_run(function: str, n: int, workers: int, folder: Path) -> float:
    """Seconds for a Knobs study of ``n`` trials on ``workers`` worker processes."""
    from engine.objectives.registry import make_objective
    from engine.runner import Runner
    from engine.spec import StudySpec
    from engine.study import Study
    from engine.trial import TrialState

    path = folder / f"{function}-{workers}.knobs"
    spec = StudySpec(
        name=f"{function} x{workers}", params=_params(), sampler="random", trials=n,
        workers=workers, seed=0,
        objective={"kind": "python", "path": OBJECTIVES, "function": function},
    )
    study = Study.create(spec, path, overwrite=True)
    runner = Runner(study, make_objective(spec.objective), workers=workers)
    start = time.perf_counter()
    runner.run()
    seconds = time.perf_counter() - start
    complete = study.counts()[TrialState.COMPLETE]
    study.close()
    if complete != n:
        raise RuntimeError(f"Knobs completed {complete} of {n} {function} trials")
    return seconds


def optuna_available() -> str | None:
    try:
        import optuna  # noqa: F401
    except ImportError as exc:
        return f"optuna is not importable ({exc}); install the 'bench' extra"
    return None


def optuna_run(function: str, n: int, n_jobs: int, storage=None) -> float:
    """Seconds for Optuna's ``study.optimize`` on the same space and the same function."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # no log line per trial
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0),
                                storage=storage)
    fn: Callable[[dict], float] = getattr(objectives, function)

    def objective(trial) -> float:
        return fn({
            "x": trial.suggest_float("x", 0.0, 1.0),
            "lr": trial.suggest_float("lr", 1e-5, 1e-1, log=True),
            "kind": trial.suggest_categorical("kind", ["a", "b", "c"]),
        })

    start = time.perf_counter()
    study.optimize(objective, n_trials=n, n_jobs=n_jobs)
    return time.perf_counter() - start


def optuna_sqlite(folder: Path, name: str) -> str:
    path = folder / f"optuna-{name}.db"
    path.unlink(missing_ok=True)
    return f"sqlite:///{path}"


def optuna_sqlite_unsynced(folder: Path, name: str):
    """Optuna's SQLite storage with syncing off, to separate its disk syncs from the rest."""
    import optuna
    from sqlalchemy import event

    storage = optuna.storages.RDBStorage(optuna_sqlite(folder, name))

    @event.listens_for(storage.engine, "connect")
    def _no_sync(connection, _record) -> None:
        connection.execute("PRAGMA synchronous = OFF")

    storage.engine.dispose()  # reconnect with the pragma
    return storage


def best_of(repeat: int, measure: Callable[[], float]) -> float:
    # The fastest of a few runs: on a shared machine the others measure the neighbours.
    return min(measure() for _ in range(repeat))


# ---------------------------------------------------------------------------- sections


def dispatch(n: int, n_sqlite: int, repeat: int, folder: Path, with_optuna: bool) -> None:
    # Warm-up: the first Knobs run starts the forkserver, the first Optuna SQLite run
    # imports SQLAlchemy; neither is the per-trial cost measured here.
    knobs_run("noop", 5, 1, folder)
    if with_optuna:
        optuna_run("noop", 5, 1, optuna_sqlite(folder, "warm"))
    rows = [
        ("Knobs, 1 worker process, study file", best_of(repeat, lambda: knobs_run(
            "noop", n, 1, folder))),
        ("Knobs, 2 worker processes, study file", best_of(repeat, lambda: knobs_run(
            "noop", n, 2, folder))),
    ]
    if with_optuna:
        rows += [
            ("Optuna, in memory, 1 thread", best_of(repeat, lambda: optuna_run("noop", n, 1))),
            # Fewer trials, one run: each costs tens of milliseconds of fsync (below).
            (f"Optuna, SQLite, 1 thread ({n_sqlite:,} trials)", optuna_run(
                "noop", n_sqlite, 1, optuna_sqlite(folder, "dispatch")) * n / n_sqlite),
            (f"Optuna, SQLite with synchronous = OFF ({n_sqlite:,} trials)", optuna_run(
                "noop", n_sqlite, 1, optuna_sqlite_unsynced(folder, "unsynced")) * n / n_sqlite),
        ]
    base = n / rows[0][1]
    print(f"\n### Dispatch overhead: no-op objective, random search, {n:,} trials\n")
    print("| runner | trials/s | ms per trial | vs Knobs, 1 worker |")
    print("| --- | ---: | ---: | ---: |")
    for label, seconds in rows:
        rate = n / seconds
        ratio = f"{rate / base:.2f}x" if rate >= base / 10 else f"1/{base / rate:.0f}"
        print(f"| {label} | {rate:,.0f} | {1000 / rate:.2f} | {ratio} |")
    if with_optuna:
        print("\nOptuna's SQLite storage keeps SQLite's defaults (a rollback journal synced to "
              "disk at every commit); the Knobs study file uses WAL with synchronous=NORMAL, "
              "which survives a crash of the app but not a power cut during its last commits. "
              "The synchronous = OFF row shows Optuna without the syncs.")


def parallel(n: int, folder: Path, with_optuna: bool) -> None:
    print(f"\n### Parallel efficiency: {SLEEP_S} s sleep objective, {n} trials\n")
    print("| workers | ideal s | Knobs s | Knobs efficiency | Optuna threads s "
          "| Optuna efficiency |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for workers in (1, 2, 4):
        ideal = n * SLEEP_S / workers
        knobs_s = knobs_run("sleep", n, workers, folder)
        optuna_s = optuna_run("sleep", n, workers) if with_optuna else float("nan")
        print(f"| {workers} | {ideal:.1f} | {knobs_s:.2f} | {ideal / knobs_s:.0%} | "
              f"{optuna_s:.2f} | {ideal / optuna_s:.0%} |")


def cpu_bound(n: int, repeat: int, folder: Path, with_optuna: bool) -> None:
    one_trial = best_of(repeat, lambda: _timed(lambda: objectives.cpu({"x": 0.0})))
    print(f"\n### CPU-bound speed-up: pure-Python objective ({one_trial:.2f} s a trial), "
          f"{n} trials\n")
    print("| runner | 1 worker s | 2 workers s | speed-up |")
    print("| --- | ---: | ---: | ---: |")
    # What two processes can gain on this machine right now: on a shared machine, other
    # programs' load caps every runner below, and this row shows by how much.
    p1 = best_of(repeat, lambda: _pool_run(n, 1))
    p2 = best_of(repeat, lambda: _pool_run(n, 2))
    print(f"| multiprocessing.Pool (the machine's ceiling) | {p1:.2f} | {p2:.2f} "
          f"| {p1 / p2:.2f}x |")
    k1 = best_of(repeat, lambda: knobs_run("cpu", n, 1, folder))
    k2 = best_of(repeat, lambda: knobs_run("cpu", n, 2, folder))
    print(f"| Knobs, worker processes | {k1:.2f} | {k2:.2f} | {k1 / k2:.2f}x |")
    if with_optuna:
        o1 = best_of(repeat, lambda: optuna_run("cpu", n, 1))
        o2 = best_of(repeat, lambda: optuna_run("cpu", n, 2))
        print(f"| Optuna, n_jobs threads | {o1:.2f} | {o2:.2f} | {o1 / o2:.2f}x |")
        print(f"\nWith 2 workers Knobs takes {k2 / o2:.2f}x the time of Optuna's 2 threads.")


def _pool_run(n: int, processes: int) -> float:
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    with context.Pool(processes) as pool:
        pool.map(objectives.noop, [{}] * processes)  # started before the clock, as in Knobs
        start = time.perf_counter()
        pool.map(objectives.cpu, [{"x": 0.0}] * n, chunksize=1)
        return time.perf_counter() - start


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def study_file(sizes: list[int], folder: Path, with_optuna: bool) -> None:
    from engine.study import Study

    print("\n### Study-file cost: ask/tell with no objective, random search\n")
    print("| trials | in memory trials/s | with study file trials/s | writes/s "
          "| file size | bytes per trial | open and load s |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    _ask_tell(Study.create(_spec(1_000)), 1_000)  # warm-up: imports, first allocations
    for n in sizes:
        memory = _ask_tell(Study.create(_spec(n)), n)
        path = folder / f"file-{n}.knobs"
        study = Study.create(_spec(n), path, overwrite=True)
        with_file = _ask_tell(study, n)
        study.close()
        size = path.stat().st_size
        load = _timed(lambda p=path, n=n: _load(p, n))
        print(f"| {n:,} | {n / memory:,.0f} | {n / with_file:,.0f} | "
              f"{2 * n / with_file:,.0f} | {size / 1e6:.1f} MB | {size / n:.0f} | {load:.2f} |")
    print("\nEach trial is two writes, each its own transaction: its row when it starts and "
          "again when it ends.")
    storage = folder / "optuna-dispatch.db"
    if with_optuna and storage.exists():
        # The same number of trials as Optuna's SQLite study of the dispatch run.
        import optuna

        n = len(optuna.load_study(study_name=None, storage=f"sqlite:///{storage}").trials)
        knobs_path = folder / f"load-{n}.knobs"
        study = Study.create(_spec(n), knobs_path, overwrite=True)
        _ask_tell(study, n)
        study.close()
        knobs_load = best_of(3, lambda: _timed(lambda: _load(knobs_path, n)))
        optuna_load = best_of(3, lambda: _timed(lambda: _optuna_load(f"sqlite:///{storage}", n)))
        print(f"\nOpen and load {n:,} trials: Knobs {knobs_load * 1000:.0f} ms, Optuna SQLite "
              f"{optuna_load * 1000:.0f} ms ({optuna_load / knobs_load:.1f}x Knobs' time).")


def _spec(n: int):
    from engine.spec import StudySpec

    return StudySpec(name="file cost", params=_params(), sampler="random", trials=n, seed=0,
                     objective={"kind": "python", "path": OBJECTIVES, "function": "noop"})


def _ask_tell(study, n: int) -> float:
    from engine.trial import TrialState

    start = time.perf_counter()
    for i in range(n):
        trial = study.ask(worker=i % 2)
        study.tell(trial.number, TrialState.COMPLETE, value=trial.params["x"])
    return time.perf_counter() - start


def _load(path: Path, n: int) -> None:
    from engine.study import Study

    study = Study.open(path, readonly=True)
    assert len(study.trials) == n
    study.close()


def _optuna_load(storage: str, n: int) -> None:
    import optuna

    study = optuna.load_study(study_name=None, storage=storage)
    assert len(study.trials) == n


# ---------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run with small sizes")
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help=f"which to run, comma-separated: {', '.join(SECTIONS)}")
    parser.add_argument("--folder", default=str(Path(tempfile.gettempdir()) / "knobs-bench"
                                                / "throughput"),
                        help="where the study files go (emptied first)")
    args = parser.parse_args(argv)
    if args.quick:
        n_dispatch, n_sqlite, repeat, n_sleep, n_cpu = 200, 50, 1, 8, 4
        sizes = [1_000, 10_000]
    else:
        n_dispatch, n_sqlite, repeat, n_sleep, n_cpu = 2_000, 300, 3, 40, 12
        sizes = [10_000, 100_000]
    folder = Path(args.folder)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    why = optuna_available()
    if why:
        print(f"note: Optuna rows skipped: {why}")
    else:
        import optuna

        print(f"optuna {optuna.__version__}")
    print(f"Python {platform.python_version()} on {platform.system()}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
    started = time.perf_counter()
    chosen = args.sections.split(",")
    if "dispatch" in chosen:
        dispatch(n_dispatch, n_sqlite, repeat, folder, why is None)
    if "parallel" in chosen:
        parallel(n_sleep, folder, why is None)
    if "cpu" in chosen:
        cpu_bound(n_cpu, repeat, folder, why is None)
    if "file" in chosen:
        study_file(sizes, folder, why is None)
    print(f"\nTook {time.perf_counter() - started:.0f} s; load average "
          f"{os.getloadavg()[0]:.1f} at the end.")


if __name__ == "__main__":
    main()
