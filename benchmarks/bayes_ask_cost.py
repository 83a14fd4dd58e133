"""What one ask of the bayes sampler costs as a study grows: median and worst ask at
100 / 500 / 1,000 / 2,000 / 5,000 trials of Hartmann-6 (or the mixed problem).

    nice -n 10 python -m benchmarks.bayes_ask_cost                 # about 2 minutes
    python -m benchmarks.bayes_ask_cost --sizes 1000 --asks 10 --problem mixed

For each size the sampler gets a history of that many random trials and then runs as a
study would: ``--asks`` asks, each followed by the trial it suggested. Reported per size:
the first ask on the history (a cold fit, as when a long study is reopened), the median
and the worst of the following asks, and one ask that refits the hyperparameters
(the schedule refits every time the trials grew by 5%, so a short window of asks at 5,000
trials may hold none; the refit is forced by forgetting when the sampler last fitted).
BLAS runs single-threaded, as in a study. Times are CPU seconds of this process (on a
shared machine the wall clock mostly measures the other processes); the worst ask's wall
time is shown beside them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._problems import problems  # noqa: E402
from engine.samplers import BayesSampler, RandomSampler  # noqa: E402
from engine.space import SearchSpace  # noqa: E402
from engine.trial import Trial, TrialState  # noqa: E402

SIZES = (100, 500, 1000, 2000, 5000)


def _timed_ask(sampler: BayesSampler, trials: list[Trial], func) -> tuple[float, float]:
    """The ask's CPU seconds and wall seconds."""
    start, cpu = time.perf_counter(), time.process_time()
    params = sampler.ask(trials)
    seconds = (time.process_time() - cpu, time.perf_counter() - start)
    trials.append(Trial(len(trials), params, TrialState.COMPLETE, func(params)))
    sampler.after_trial(trials[-1])
    return seconds


def measure(problem_name: str, n: int, asks: int, seed: int = 0) -> dict[str, float]:
    problem = problems()[problem_name]
    space = SearchSpace(problem.params)
    rand, trials = RandomSampler(space, seed=seed + 1), []
    for i in range(n):
        params = rand.ask(trials)
        trials.append(Trial(i, params, TrialState.COMPLETE, problem.func(params)))
    sampler = BayesSampler(space, seed=seed)
    for t in trials:
        sampler.after_trial(t)
    cold = _timed_ask(sampler, trials, problem.func)
    times = [_timed_ask(sampler, trials, problem.func) for _ in range(asks)]
    sampler._n_fitted = 1  # forget the last fit's size: the next ask refits (warm)
    refit = _timed_ask(sampler, trials, problem.func)
    cpu = [t[0] for t in times]
    return {"cold": cold[0], "median": float(np.median(cpu)), "worst": max(*cpu, refit[0]),
            "refit": refit[0], "wall": max(t[1] for t in (*times, refit))}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problem", default="hartmann6", choices=("hartmann6", "mixed"))
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--asks", type=int, default=10, help="asks timed per size")
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    print(f"bayes ask time on {args.problem}: CPU seconds ({args.asks} asks per size), and "
          "the worst in wall-clock seconds\n")
    print("| trials | first ask (cold fit) | median ask | worst ask | refit ask | worst wall |")
    print("| --- | --- | --- | --- | --- | --- |")
    for n in (int(s) for s in args.sizes.split(",") if s):
        r = measure(args.problem, n, args.asks)
        print(f"| {n:,} | {r['cold']:.3f} | {r['median']:.3f} | {r['worst']:.3f} "
              f"| {r['refit']:.3f} | {r['wall']:.3f} |", flush=True)


if __name__ == "__main__":
    main()
