"""Knobs' samplers against Optuna, scikit-optimize and Hyperopt on the same problems.

Reports, per problem, the median over seeds of the simple regret (best value - known
optimum; the best cross-validated loss for the real tasks) after 25, 50 and 100 trials,
and each optimizer's overhead per trial ("ask time") after 50, 200 and 1,000 trials.

    python -m benchmarks.bayes_vs_peers --quick         # smoke run, under a minute
    nice python -m benchmarks.bayes_vs_peers --jobs 2   # the tables of docs/benchmarks.md

scikit-optimize, by far the slowest, runs 50 trials rather than 100 (``--slow-budget``).
Results go to a JSON-lines file as they come (``--out``, by default in the temporary
folder), so a long run can be stopped and resumed (finished runs are skipped), and
``--table`` reprints the tables from it. Optimizers whose package is missing are skipped
with a note. BLAS runs single-threaded in every worker, for every optimizer alike: on a
small shared machine OpenBLAS threads slow the tiny matrix work of these optimizers down
(by 100x for scipy's L-BFGS-B here). Ask times are measured one optimizer at a time,
after the runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import _peers  # noqa: E402
from benchmarks._problems import Problem, problems  # noqa: E402
from engine.samplers import RandomSampler  # noqa: E402
from engine.trial import Trial, TrialState  # noqa: E402

OPTIMIZERS = list(_peers.NEEDS)
CHECKPOINTS = (25, 50, 100)
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


def _regret_job(job: tuple[str, str, int, int]) -> dict:
    problem_name, optimizer, seed, budget = job
    problem = problems()[problem_name]
    start = time.perf_counter()
    values, seconds = _peers.RUNS[optimizer](problem, seed, budget)
    return {"kind": "regret", "problem": problem_name, "optimizer": optimizer, "seed": seed,
            "budget": budget, "values": values, "ask_s": seconds,
            "wall_s": time.perf_counter() - start}


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


def _execute(func, jobs: list[tuple], processes: int, out: Path) -> None:
    if not jobs:
        return
    started = time.time()
    with ProcessPoolExecutor(processes, initializer=_setup_worker) as pool, \
            out.open("a") as sink:
        futures = [pool.submit(func, job) for job in jobs]
        for i, future in enumerate(futures):
            rows = future.result()
            for row in rows if isinstance(rows, list) else [rows]:
                sink.write(json.dumps(row) + "\n")
            sink.flush()
            print(f"[{i + 1}/{len(jobs)} {time.time() - started:6.0f}s] {func.__name__[1:]} "
                  f"{jobs[i][:3]}", flush=True)


def _done(path: Path) -> tuple[list[dict], set[tuple]]:
    rows = []
    if path.exists():
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    keys = {_key(r) for r in rows}
    return rows, keys


def _key(r: dict) -> tuple:
    if r["kind"] == "regret":
        return ("regret", r["problem"], r["optimizer"], r["seed"], r["budget"])
    return ("ask", r["problem"], r["optimizer"], r["n"])


def run(args: argparse.Namespace) -> None:
    out = Path(args.out)
    _, done = _done(out)
    usable = []
    for name in args.optimizers:
        why = _peers.available(name)
        if why:
            print(f"note: skipping {name}: {why}", flush=True)
        else:
            usable.append(name)
    jobs: list[tuple] = []
    for problem in args.problems:
        for optimizer in usable:
            budget, seeds = args.budget, args.seeds
            if optimizer in args.slow:
                seeds = min(seeds, args.slow_seeds or seeds)
                budget = min(budget, args.slow_budget or budget)
            if problems()[problem].real and args.real_seeds is not None:
                seeds = min(seeds, args.real_seeds)
            for seed in range(seeds):
                if ("regret", problem, optimizer, seed, budget) not in done:
                    jobs.append(("regret", (problem, optimizer, seed, budget)))
    if args.ask_sizes:
        for problem in ASK_PROBLEMS:
            if problem not in args.problems:
                continue
            for optimizer in usable:
                sizes = tuple(n for n in args.ask_sizes if ("ask", problem, optimizer, n)
                              not in done)
                if sizes:
                    jobs.append(("ask", (problem, optimizer, sizes, args.n_asks)))
    regret = [job for kind, job in jobs if kind == "regret"]
    asks = [job for kind, job in jobs if kind == "ask"]
    print(f"{len(regret)} runs on {args.jobs} process(es), then {len(asks)} ask timings in "
          f"one -> {out}", flush=True)
    _execute(_regret_job, regret, args.jobs, out)
    # Timings one at a time, so that no optimizer is timed while another competes for the CPU.
    _execute(_ask_job, asks, 1, out)
    print_tables(out, args.problems, args.optimizers)


# ---------------------------------------------------------------------- tables


def _fmt(x: float) -> str:
    if x != x:
        return "–"
    if x == 0:
        return "0"
    return f"{x:.3g}" if 1e-3 <= abs(x) < 1e4 else f"{x:.1e}"


def print_tables(path: Path, problem_names: Iterable[str], optimizer_names: list[str]) -> None:
    rows, _ = _done(path)
    all_problems = problems()
    print("\n## Median simple regret (real tasks: best 3-fold CV loss) after 25 / 50 / 100 "
          "trials, and median ask time over trials 41-50\n")
    for name in problem_names:
        problem = all_problems[name]
        runs = [r for r in rows if r["kind"] == "regret" and r["problem"] == name]
        if not runs:
            continue
        print(f"### {name}\n")
        print("| optimizer | seeds | @25 | @50 | @100 | ask ms @41-50 |")
        print("| --- | --- | --- | --- | --- | --- |")
        table = {}
        for opt in optimizer_names:
            mine = [r for r in runs if r["optimizer"] == opt]
            if not mine:
                continue
            cells = []
            for k in CHECKPOINTS:
                got = [min(r["values"][:k]) - (problem.optimum or 0.0)
                       for r in mine if len(r["values"]) >= k]
                cells.append(float(np.median(got)) if got else float("nan"))
            asks = [s for r in mine for s in r["ask_s"][40:50]]
            table[opt] = (len(mine), cells, float(np.median(asks)) * 1e3 if asks else np.nan)
        best50 = min((c[1][1] for c in table.values() if c[1][1] == c[1][1]), default=None)
        for opt, (n, cells, ask) in table.items():
            shown = [_fmt(c) for c in cells]
            if cells[1] == best50:
                shown[1] = f"**{shown[1]}**"
            print(f"| {opt} | {n} | {' | '.join(shown)} | {_fmt(ask)} |")
        print()
    asks = [r for r in rows if r["kind"] == "ask"]
    for name in ASK_PROBLEMS:
        mine = [r for r in asks if r["problem"] == name]
        if not mine:
            continue
        print(f"## Median ask time (ms) with a history of 50 / 200 / 1000 trials: {name}\n")
        print("| optimizer | " + " | ".join(f"n={n}" for n in ASK_SIZES) + " |")
        print("| --- |" + " --- |" * len(ASK_SIZES))
        for opt in optimizer_names:
            got = {r["n"]: r["ask_s"] for r in mine if r["optimizer"] == opt}
            if not got:
                continue
            cells = []
            for n in ASK_SIZES:
                if n in got:
                    cells.append(f"{_fmt(1e3 * float(np.median(got[n])))}")
                elif got and max(got) < n and max(max(v) for v in got.values()) > ASK_LIMIT_S:
                    cells.append("too slow")
                else:
                    cells.append("–")
            print(f"| {opt} | " + " | ".join(cells) + " |")
        print()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 seeds, 20 trials")
    parser.add_argument("--problems", default=",".join(problems()))
    parser.add_argument("--optimizers", default=",".join(OPTIMIZERS))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--slow", default="skopt-gp",
                        help="optimizers limited to --slow-seeds seeds and --slow-budget trials")
    parser.add_argument("--slow-seeds", type=int, default=None)
    parser.add_argument("--slow-budget", type=int, default=50)
    parser.add_argument("--real-seeds", type=int, default=None,
                        help="seeds for the real (scikit-learn) tasks")
    parser.add_argument("--ask-sizes", default=",".join(map(str, ASK_SIZES)),
                        help="history sizes for ask times; empty to skip")
    parser.add_argument("--n-asks", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=1, help="processes for the runs")
    parser.add_argument("--out", default=str(Path(tempfile.gettempdir()) / "knobs-bench"
                                             / "bayes_vs_peers.jsonl"))
    parser.add_argument("--table", action="store_true", help="only print the tables")
    args = parser.parse_args(argv)
    if args.quick:
        args.problems, args.seeds, args.budget = "branin,mixed,svc_cancer", 2, 25
        args.ask_sizes, args.n_asks = "50", 2
        if args.out == parser.get_default("out"):
            args.out = str(Path(args.out).with_name("quick.jsonl"))
    args.problems = [p for p in args.problems.split(",") if p]
    unknown = [p for p in args.problems if p not in problems()]
    args.optimizers = [o for o in args.optimizers.split(",") if o]
    unknown += [o for o in args.optimizers if o not in OPTIMIZERS]
    if unknown:
        parser.error(f"unknown problem or optimizer: {', '.join(unknown)}")
    args.slow = [o for o in args.slow.split(",") if o]
    args.ask_sizes = [int(n) for n in args.ask_sizes.split(",") if n]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    if args.table:
        print_tables(Path(args.out), args.problems, args.optimizers)
    else:
        run(args)


if __name__ == "__main__":
    main()
