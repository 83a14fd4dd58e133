"""What sending trials to Dask costs: a no-op objective, local processes vs a Dask cluster.

Runs the same study (random search, a no-op Python objective) through local worker
processes and through ``--cluster`` (a LocalCluster on 127.0.0.1 by default), and prints
trials per second and the time each trial spends in dispatch. No asserts.

    python benchmarks/cluster_overhead.py [--trials 400] [--workers 2] [--cluster local:2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.dask_executor import DaskExecutor  # noqa: E402
from engine.objectives.registry import make_objective  # noqa: E402
from engine.runner import Runner  # noqa: E402
from engine.space import FloatParam  # noqa: E402
from engine.spec import StudySpec  # noqa: E402
from engine.study import Study  # noqa: E402

OBJECTIVES = Path(__file__).resolve().parent / "_throughput_objectives.py"


def run(trials: int, workers: int, executor=None) -> float:
    """Seconds to finish ``trials`` no-op trials (in memory: no study file)."""
    spec = StudySpec(
        name="overhead", params=(FloatParam("x", 0.0, 1.0),), sampler="random", seed=0,
        objective={"kind": "python", "path": str(OBJECTIVES), "function": "noop"},
        trials=trials, workers=workers,
    )
    study = Study.create(spec)
    runner = Runner(study, make_objective(spec.objective), workers=workers, executor=executor)
    started = time.perf_counter()
    runner.run()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=400)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cluster", default="local:2", help="tcp://HOST:PORT or local:N")
    args = parser.parse_args()

    run(args.workers * 2, args.workers)  # warm up: start the local worker processes once
    local = run(args.trials, args.workers)
    executor = DaskExecutor(args.cluster)
    try:
        info = executor.connect()
        run(args.workers * 2, args.workers, executor)  # warm up the workers' processes
        dask = run(args.trials, args.workers, executor)
    finally:
        executor.close()

    print(f"{args.trials} no-op trials, workers={args.workers}")
    on_dask = f"Dask {args.cluster} (threads={info.threads})"
    for name, seconds in (("local processes", local), (on_dask, dask)):
        per_trial_ms = 1000 * seconds * args.workers / args.trials
        print(f"  {name:<34} {args.trials / seconds:8.1f} trials/s   "
              f"{per_trial_ms:6.1f} ms per trial per worker")
    print(f"  Dask / local time: {dask / local:.2f}x")


if __name__ == "__main__":
    main()
