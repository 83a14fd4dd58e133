"""Knobs' samplers against Optuna, scikit-optimize, Hyperopt, HEBO and SMAC3 on the same
problems.

Reports, per problem, the median over seeds of the simple regret (best value - known
optimum; for a real task its best value: 1 - accuracy, 1 - R², or a CV loss) after 25, 50
and 100 trials; on problems with noise (the accuracy tasks, a noisy Hartmann-6) the same
configurations scored again away from what the optimizer saw (other CV shuffles, or the
noise-free function), both for the best *observed* configuration and, for an optimizer that
exposes one (Knobs bayes, scikit-optimize's expected minimum), its best *predicted* one;
the mean rank of each optimizer over the synthetic and over the real tasks; the median and
the worst single ask (the optimizer's overhead per trial) of each optimizer in those runs;
and the ask time after 50, 200 and 1,000 trials of history.

    python -m benchmarks.bayes_vs_peers --quick --jobs 2          # smoke run, a few minutes
    nice python -m benchmarks.bayes_vs_peers --jobs 2 --save runs.jsonl
    nice python -m benchmarks.bayes_vs_peers --jobs 2 --save runs.jsonl --skip runs.jsonl
    python -m benchmarks.bayes_vs_peers --load runs.jsonl         # the tables only

Install: ``pip install -e '.[bench]'`` brings Optuna (with PyTorch for its GPSampler),
scikit-optimize, Hyperopt and SMAC3. HEBO cannot share that environment (it requires
numpy < 1.25, Knobs numpy >= 1.26): it runs in a second virtual environment made from
benchmarks/requirements-hebo.txt, driven over a pipe from this same run (see
benchmarks/_peer_hebo.py). An optimizer whose package or environment is missing is skipped
with a note. Nothing here is needed by the test suite.

scikit-optimize and HEBO, by far the slowest, run 50 trials rather than 100
(``--slow-budget``).
``--save`` appends each finished run to a JSON-lines file, ``--skip`` leaves out the runs a
file already holds (so a long run can be stopped and resumed, or done in parts), ``--load``
prints the tables of saved runs. BLAS runs single-threaded in every worker, for every
optimizer alike: on a small shared machine OpenBLAS threads slow the tiny matrix work of
these optimizers down (by 100x for scipy's L-BFGS-B here). Ask times at fixed history sizes
are measured one optimizer at a time, after the runs.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import _peers, _saved  # noqa: E402
from benchmarks._peers import CHECKPOINTS  # noqa: E402
from benchmarks._problems import Problem, problems  # noqa: E402
from engine.samplers import RandomSampler  # noqa: E402
from engine.trial import Trial, TrialState  # noqa: E402

OPTIMIZERS = list(_peers.NEEDS)
ASK_SIZES = (50, 200, 1000)
ASK_PROBLEMS = ("hartmann6", "mixed")
# An optimizer whose ask took longer than this at one history size is not timed at the next.
ASK_LIMIT_S = 20.0


def _setup_worker() -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass


def _rescored(problem: Problem, run: _peers.Run, budget: int) -> dict[str, dict[str, float]]:
    """At each checkpoint, the rescored value of the best observed configuration and of the
    best predicted one (when the optimizer names one)."""
    out: dict[str, dict[str, float]] = {"observed": {}, "predicted": {}}
    if problem.rescore is None:
        return out
    cache: dict[str, float] = {}

    def score(params: dict) -> float:
        key = repr(sorted(params.items()))
        if key not in cache:
            cache[key] = problem.rescore(params)
        return cache[key]

    for k in CHECKPOINTS:
        if len(run.values) >= k or (run.exhausted and k <= budget):
            best = int(np.argmin(run.values[:k]))
            out["observed"][str(k)] = score(run.params[best])
        if k in run.predicted:
            out["predicted"][str(k)] = score(run.predicted[k])
    return out


def _regret_job(job: tuple[str, str, int, int]) -> list[dict]:
    problem_name, optimizer, seed, budget = job
    problem = problems()[problem_name]
    start = time.perf_counter()
    run = _peers.RUNS[optimizer](problem, seed, budget)
    wall = time.perf_counter() - start
    return [{"kind": "regret", "problem": problem_name, "optimizer": optimizer, "seed": seed,
             "budget": budget, "values": run.values, "ask_s": run.ask_s, "wall_s": wall,
             "exhausted": run.exhausted, "rescored": _rescored(problem, run, budget)}]


def _history(problem: Problem, n: int) -> list[tuple[dict, float]]:
    sampler, trials = RandomSampler(_space(problem), seed=12345), []
    for i in range(n):
        params = sampler.ask(trials)
        trials.append(Trial(i, params, TrialState.COMPLETE, problem.func(params)))
        sampler.after_trial(trials[-1])  # as a study tells it: no repeats in discrete spaces
    return [(t.params, t.value) for t in trials]


def _space(problem: Problem):
    from engine.space import SearchSpace

    return SearchSpace(problem.params)


def _ask_job(job: tuple[str, str, tuple[int, ...], int]) -> list[dict]:
    problem_name, optimizer, sizes, n_asks = job
    problem = problems()[problem_name]
    out = []
    for n in sizes:
        seconds = _peers.ASK_TIMES[optimizer](problem, _history(problem, n), n_asks)
        out.append({"kind": "ask", "problem": problem_name, "optimizer": optimizer, "n": n,
                    "ask_s": seconds})
        if max(seconds) > ASK_LIMIT_S:
            break  # impractical beyond this size: say so in the table instead
    return out


def _execute(func, jobs: list[tuple], processes: int, save: str | None) -> list[dict]:
    if not jobs:
        return []
    started, rows = time.time(), []
    with ProcessPoolExecutor(processes, initializer=_setup_worker) as pool:
        futures = {pool.submit(func, job): job for job in jobs}
        for i, future in enumerate(as_completed(futures)):
            got = future.result()
            _saved.append(save, got)
            rows += got
            print(f"[{i + 1}/{len(jobs)} {time.time() - started:6.0f}s] {func.__name__[1:]} "
                  f"{futures[future][:3]}", file=sys.stderr, flush=True)
    return rows


def _key(r: dict) -> tuple:
    if r["kind"] == "regret":
        return ("regret", r["problem"], r["optimizer"], r["seed"], r["budget"])
    return ("ask", r["problem"], r["optimizer"], r["n"])


def _unique(rows: list[dict]) -> list[dict]:
    return list({_key(r): r for r in rows}.values())


def run(args: argparse.Namespace) -> list[dict]:
    held = _saved.read(args.skip)
    done = {_key(r) for r in held}
    usable = []
    for name in args.optimizers:
        why = _peers.available(name)
        if why:
            print(f"note: skipping {name}: {why}", file=sys.stderr, flush=True)
        else:
            usable.append(name)
    regret: list[tuple] = []
    for seed in range(args.seeds):
        for problem in args.problems:
            if problems()[problem].real and args.real_seeds is not None \
                    and seed >= args.real_seeds:
                continue
            for optimizer in usable:
                budget = args.budget
                if optimizer in args.slow:
                    if args.slow_seeds is not None and seed >= args.slow_seeds:
                        continue
                    budget = min(budget, args.slow_budget or budget)
                if ("regret", problem, optimizer, seed, budget) not in done:
                    regret.append((problem, optimizer, seed, budget))
    # The slow optimizers' runs first: the longest jobs started first finish the whole set
    # soonest; the rest seed by seed, so that a run cut short still compares every optimizer.
    regret.sort(key=lambda job: job[1] not in args.slow)
    asks: list[tuple] = []
    for problem in ASK_PROBLEMS:
        if problem not in args.problems:
            continue
        for optimizer in usable:
            sizes = tuple(n for n in args.ask_sizes if ("ask", problem, optimizer, n)
                          not in done)
            if sizes:
                asks.append((problem, optimizer, sizes, args.n_asks))
    print(f"{len(regret)} runs on {args.jobs} process(es), then {len(asks)} ask timings in "
          f"one" + (f" -> {args.save}" if args.save else ""), file=sys.stderr, flush=True)
    rows = _execute(_regret_job, regret, args.jobs, args.save)
    # Timings one at a time, so that no optimizer is timed while another competes for the CPU.
    rows += _execute(_ask_job, asks, 1, args.save)
    return _unique(held + rows)


# ---------------------------------------------------------------------- tables


def _fmt(x: float) -> str:
    if x != x:
        return "–"
    if x == 0:
        return "0"
    return f"{x:.3g}" if 1e-3 <= abs(x) < 1e4 else f"{x:.1e}"


def _medians(rows: list[dict], problem: Problem, optimizer: str) -> list[float]:
    mine = [r for r in rows if r["optimizer"] == optimizer]
    cells = []
    for k in CHECKPOINTS:
        got = [min(r["values"][:k]) - (problem.optimum or 0.0)
               for r in mine
               if len(r["values"]) >= k or (r.get("exhausted") and k <= r["budget"])]
        cells.append(float(np.median(got)) if got else float("nan"))
    return cells


def print_tables(rows: list[dict], problem_names: Iterable[str],
                 optimizer_names: list[str]) -> None:
    all_problems = problems()
    runs = [r for r in rows if r["kind"] == "regret"]
    names = [n for n in problem_names if any(r["problem"] == n for r in runs)]
    medians: dict[str, dict[str, list[float]]] = {}
    print("\n## Median simple regret after 25 / 50 / 100 trials (real tasks: best value, "
          "1 - accuracy or 1 - R² or a CV loss), and each optimizer's ask time in these "
          "runs (median and worst single ask)\n")
    for name in names:
        problem = all_problems[name]
        mine = [r for r in runs if r["problem"] == name]
        noisy = problem.rescore is not None
        print(f"### {name}\n")
        head = "| optimizer | seeds | @25 | @50 | @100 |"
        if noisy:
            head += "".join(f" rescored @{k}: observed / predicted |" for k in CHECKPOINTS[:2])
        print(head + " ask ms median | worst |")
        print("| --- " * (head.count("|") + 1) + "|")
        table = {}
        for opt in optimizer_names:
            got = [r for r in mine if r["optimizer"] == opt]
            if got:
                table[opt] = got
                medians.setdefault(name, {})[opt] = _medians(mine, problem, opt)
        best = [min((m[i] for m in medians[name].values() if m[i] == m[i]), default=None)
                for i in range(len(CHECKPOINTS))]
        for opt, got in table.items():
            cells = [_fmt(c) for c in medians[name][opt]]
            cells = [f"**{c}**" if v == b else c
                     for c, v, b in zip(cells, medians[name][opt], best)]
            if noisy:
                cells += _rescored_cells(got, problem)
            asks = [s for r in got for s in r["ask_s"]]
            cells += [_fmt(1e3 * float(np.median(asks))), _fmt(1e3 * max(asks))]
            print(f"| {opt} | {len(got)} | " + " | ".join(cells) + " |")
        print()
    _print_ranks(medians, all_problems, optimizer_names)
    _print_asks(runs, rows, optimizer_names)


def _rescored_cells(got: list[dict], problem: Problem) -> list[str]:
    """At each of the first two checkpoints, the median over seeds of the rescored best
    observed configuration and of the rescored best predicted one."""
    shift = problem.optimum or 0.0
    cells = []
    for k in CHECKPOINTS[:2]:
        pair = []
        for kind in ("observed", "predicted"):
            vals = [r["rescored"][kind][str(k)] - shift for r in got
                    if str(k) in r["rescored"][kind]]
            pair.append(_fmt(float(np.median(vals))) if vals else "–")
        cells.append(" / ".join(pair))
    return cells


def _print_ranks(medians: dict[str, dict[str, list[float]]], all_problems: dict,
                 optimizer_names: list[str]) -> None:
    """Mean rank of the medians, per kind of problem and checkpoint (1 = best; ties share
    the mean of their ranks), among the optimizers that reached that checkpoint on every
    problem of the kind; and on how many problems each was best (ties count for all)."""
    from scipy.stats import rankdata

    print("## Mean rank of the median (1 = best) among the optimizers that reached the "
          "checkpoint on every problem, and on how many problems each is best\n")
    for label, real in (("synthetic", False), ("real", True)):
        chosen = [n for n in medians if all_problems[n].real == real]
        if not chosen:
            continue
        print(f"### {label} problems ({', '.join(chosen)})\n")
        print("| optimizer | " + " | ".join(f"rank @{k} | best @{k}" for k in CHECKPOINTS)
              + " |")
        print("| --- " * (1 + 2 * len(CHECKPOINTS)) + "|")
        opts = [o for o in optimizer_names if all(o in medians[n] for n in chosen)]
        cells: dict[str, list[str]] = {o: ["–"] * (2 * len(CHECKPOINTS)) for o in opts}
        for i in range(len(CHECKPOINTS)):
            ranked = [o for o in opts if all(medians[n][o][i] == medians[n][o][i]
                                             for n in chosen)]
            if len(ranked) < 2:
                continue
            ranks = np.array([rankdata([medians[n][o][i] for o in ranked]) for n in chosen])
            for j, o in enumerate(ranked):
                cells[o][2 * i] = f"{ranks[:, j].mean():.2f}"
                cells[o][2 * i + 1] = f"{int((ranks[:, j] == ranks.min(axis=1)).sum())}" \
                                      f"/{len(chosen)}"
        for o in opts:
            print(f"| {o} | " + " | ".join(cells[o]) + " |")
        print()


def _print_asks(runs: list[dict], rows: list[dict], optimizer_names: list[str]) -> None:
    print("## Ask time over every run above (ms): median, 95th percentile, worst single ask\n")
    print("| optimizer | asks | median | p95 | worst |")
    print("| --- | --- | --- | --- | --- |")
    for opt in optimizer_names:
        asks = [s for r in runs if r["optimizer"] == opt for s in r["ask_s"]]
        if asks:
            a = 1e3 * np.array(asks)
            print(f"| {opt} | {len(a)} | {_fmt(float(np.median(a)))} | "
                  f"{_fmt(float(np.percentile(a, 95)))} | {_fmt(float(a.max()))} |")
    print()
    asks = [r for r in rows if r["kind"] == "ask"]
    for name in ASK_PROBLEMS:
        mine = [r for r in asks if r["problem"] == name]
        if not mine:
            continue
        print(f"## Ask time (ms, median / worst of the timed asks) with a history of "
              f"{' / '.join(map(str, ASK_SIZES))} trials: {name}\n")
        print("| optimizer | " + " | ".join(f"n={n}" for n in ASK_SIZES) + " |")
        print("| --- |" + " --- |" * len(ASK_SIZES))
        for opt in optimizer_names:
            got = {r["n"]: r["ask_s"] for r in mine if r["optimizer"] == opt}
            if not got:
                continue
            cells = []
            for n in ASK_SIZES:
                if n in got:
                    cells.append(f"{_fmt(1e3 * float(np.median(got[n])))} / "
                                 f"{_fmt(1e3 * max(got[n]))}")
                elif max(got) < n and max(max(v) for v in got.values()) > ASK_LIMIT_S:
                    cells.append("too slow")
                else:
                    cells.append("–")
            print(f"| {opt} | " + " | ".join(cells) + " |")
        print()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1 seed, 25 trials, 3 problems, one ask size")
    parser.add_argument("--problems", default=",".join(problems()))
    parser.add_argument("--optimizers", default=",".join(OPTIMIZERS))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--slow", default="skopt-gp,hebo",
                        help="optimizers limited to --slow-seeds seeds and --slow-budget trials")
    parser.add_argument("--slow-seeds", type=int, default=None)
    parser.add_argument("--slow-budget", type=int, default=50)
    parser.add_argument("--real-seeds", type=int, default=None,
                        help="seeds for the real (scikit-learn) tasks")
    parser.add_argument("--ask-sizes", default=",".join(map(str, ASK_SIZES)),
                        help="history sizes for ask times; empty to skip")
    parser.add_argument("--n-asks", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=1, help="processes for the runs")
    parser.add_argument("--save", help="append each finished run to this JSON-lines file")
    parser.add_argument("--skip", help="JSON-lines files (comma-separated): do not run again "
                                       "the runs they hold; their tables are printed too")
    parser.add_argument("--load", help="print the tables of runs saved with --save (files "
                                       "separated by commas), run nothing")
    args = parser.parse_args(argv)
    if args.quick:
        args.problems, args.seeds, args.budget = "branin,mixed,svc_cancer_acc3", 1, 25
        args.ask_sizes, args.n_asks = "50", 2
    args.problems = [p for p in args.problems.split(",") if p]
    unknown = [p for p in args.problems if p not in problems()]
    args.optimizers = [o for o in args.optimizers.split(",") if o]
    unknown += [o for o in args.optimizers if o not in OPTIMIZERS]
    if unknown:
        parser.error(f"unknown problem or optimizer: {', '.join(unknown)}; expected "
                     f"problems {', '.join(problems())} and optimizers {', '.join(OPTIMIZERS)}")
    args.slow = [o for o in args.slow.split(",") if o]
    args.ask_sizes = [int(n) for n in args.ask_sizes.split(",") if n]
    started = time.perf_counter()
    rows = _unique(_saved.read(args.load)) if args.load else run(args)
    print_tables(rows, args.problems, args.optimizers)
    if not args.load:
        print(f"Total time {time.perf_counter() - started:.0f} s with {args.jobs} process(es).")


if __name__ == "__main__":
    main()
