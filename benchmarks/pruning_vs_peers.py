"""Knobs' pruners against Optuna's on learning-curve problems, at equal compute.

Compute is counted in steps (epochs, iterations, percents of the rows): a run may spend a
budget of ``multiple × max_steps`` steps, and the score of a run is the best *full-length*
value (of a trial that ran all its steps) found within it. Reported, per task, the median
over seeds at each budget, and (on the synthetic task, whose full-length value is known
for every configuration) how often the configuration that would have been best among
those tried was pruned.

    python -m benchmarks.pruning_vs_peers --quick          # smoke run, a minute
    nice python -m benchmarks.pruning_vs_peers --jobs 2    # every method on every task
    nice python -m benchmarks.pruning_vs_peers --focus rules --multiples 10,25 --jobs 2

Tasks: crossing learning curves (synthetic), an MLP on digits by epochs, gradient boosting
by iterations, an SVC by data fraction. Methods: Knobs random and bayes with no pruning,
median, asha and hyperband; Optuna TPE with no pruning, MedianPruner,
SuccessiveHalvingPruner and HyperbandPruner; and, for bayes with asha, the rules for pruned
trials (``RULES``; ``--focus rules`` runs only those, beside random without pruning).
Trials run one after another in this process, so compute is steps, not seconds. Optuna is
skipped with a note when it is not installed. ``--save``/``--load``/``--skip`` keep runs
in a JSON-lines file, so that a long benchmark can be run in parts.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.space import FloatParam, IntParam  # noqa: E402
from engine.spec import StudySpec  # noqa: E402
from engine.study import Study  # noqa: E402
from engine.trial import TrialState  # noqa: E402

# ------------------------------------------------------------------------------ tasks


@dataclass(frozen=True)
class Task:
    name: str
    params: tuple
    max_steps: int
    make_run: Callable[[dict], Callable[[int], float]]  # params -> (step -> loss)
    true_final: Callable[[dict], float] | None = None  # known full-length loss, if any
    every: tuple[int, ...] = ()  # the steps reported, if not 1..max_steps
    min_steps: int = 1  # ASHA's and Hyperband's first rung

    @property
    def steps(self) -> tuple[int, ...]:
        return self.every or tuple(range(1, self.max_steps + 1))


def _crossing_run(p: dict) -> Callable[[int], float]:
    """Loss falls from f + 1 to f; the better the configuration, the slower it learns, so
    good early is not always good late (curves cross)."""
    final = (p["x"] - 0.7) ** 2 + (p["y"] - 0.3) ** 2
    tau = _tau(p)
    rng = np.random.default_rng(abs(hash((round(p["x"], 12), round(p["y"], 12)))) % 2**32)
    noise = rng.normal(0, 0.005, 100)
    return lambda t: final + math.exp(-t / tau) + noise[t % 100]


def _tau(p: dict) -> float:
    return 2.0 + 25.0 * p["x"]


def _crossing_final(p: dict) -> float:
    """The full-length (step 27) loss without noise: what the best configuration is judged by."""
    return (p["x"] - 0.7) ** 2 + (p["y"] - 0.3) ** 2 + math.exp(-27 / _tau(p))


def _mlp_run(p: dict) -> Callable[[int], float]:
    import warnings

    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier

    x, y = load_digits(return_X_y=True)
    xt, xv, yt, yv = train_test_split(x / 16.0, y, test_size=0.25, stratify=y, random_state=0)
    model = MLPClassifier(hidden_layer_sizes=(int(p["units"]),), batch_size=int(p["batch"]),
                          learning_rate_init=p["lr"], alpha=p["alpha"], random_state=0)
    classes = np.unique(y)

    def step(_t: int) -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.partial_fit(xt, yt, classes=classes)
        return 1.0 - model.score(xv, yv)

    return step


def _svc_run(p: dict) -> Callable[[int], float]:
    """An SVC by data fraction, as Knobs fits one: step p fits the first p% of the training
    rows (a seeded, class-balanced order) and scores on the held-out rows."""
    import warnings

    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.svm import SVC

    from engine.objectives.sklearn_fits import growing_order

    x, y = load_digits(return_X_y=True)
    xt, xv, yt, yv = train_test_split(x / 16.0, y, test_size=0.25, stratify=y, random_state=0)
    order = growing_order(yt, 0, stratify=True)

    def step(t: int) -> float:
        rows = order[:math.ceil(len(order) * t / 100)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = SVC(C=p["C"], gamma=p["gamma"]).fit(xt[rows], yt[rows])
        return 1.0 - model.score(xv, yv)

    return step


def _boosting_run(p: dict) -> Callable[[int], float]:
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import log_loss
    from sklearn.model_selection import train_test_split

    x, y = load_breast_cancer(return_X_y=True)
    xt, xv, yt, yv = train_test_split(x, y, test_size=0.3, stratify=y, random_state=0)
    model = HistGradientBoostingClassifier(
        learning_rate=p["lr"], max_leaf_nodes=int(p["leaves"]), l2_regularization=p["l2"],
        early_stopping=False, warm_start=True, max_iter=1, random_state=0)

    def step(t: int) -> float:
        model.set_params(max_iter=t)
        model.fit(xt, yt)
        return log_loss(yv, model.predict_proba(xv))

    return step


TASKS = {
    "crossing": Task("crossing", (FloatParam("x", 0.0, 1.0), FloatParam("y", 0.0, 1.0)), 27,
                     _crossing_run, _crossing_final),
    "mlp_digits": Task("mlp_digits", (
        FloatParam("lr", 1e-4, 0.3, log=True), FloatParam("alpha", 1e-6, 1e-1, log=True),
        IntParam("units", 8, 64, log=True), IntParam("batch", 16, 256, log=True)), 12, _mlp_run),
    "boosting": Task("boosting", (
        FloatParam("lr", 0.005, 0.5, log=True), IntParam("leaves", 4, 64, log=True),
        FloatParam("l2", 1e-6, 10.0, log=True)), 27, _boosting_run),
    "svc_fraction": Task("svc_fraction", (
        FloatParam("C", 1e-2, 1e3, log=True), FloatParam("gamma", 1e-4, 10.0, log=True)),
        100, _svc_run, every=(4, 12, 36, 100), min_steps=4),
}


# ------------------------------------------------------------------------------ runs


@dataclass
class RunLog:
    """Per trial: steps it ran, its full-length loss (nan if pruned), its true final loss."""

    steps: list[int]
    finals: list[float]
    truths: list[float]


def run_knobs(task: Task, sampler: str, pruner: str, seed: int, budget: int,
              rule: str = "bohb") -> RunLog:
    rungs = {"min_steps": task.min_steps, "eta": 3, "max_steps": task.max_steps}
    options = {"none": {}, "median": {}, "asha": rungs, "hyperband": rungs}[pruner]
    spec = StudySpec(name=task.name, params=task.params, seed=seed, sampler=sampler,
                     objective={"kind": "python", "path": "x.py", "function": "f"},
                     pruner=pruner, pruner_options=options)
    _set_pruned_rule(rule)
    study = Study(spec)
    log = RunLog([], [], [])
    while sum(log.steps) < budget:
        trial = study.ask()
        curve = task.make_run(trial.params)
        stopped = None
        for t in task.steps:
            value = curve(t)
            if study.report(trial.number, t, value):
                stopped = t
                break
        if stopped is None:
            study.tell(trial.number, TrialState.COMPLETE, value=value)
        else:
            study.tell(trial.number, TrialState.PRUNED)
        _record(log, task, trial.params, stopped, value)
    return log


def _set_pruned_rule(rule: str) -> None:
    """Bayes' rule for pruned trials: Knobs' (see RULES), or one it is compared with."""
    from engine.samplers import _pruned, bayes

    bayes.pruned_as_complete = {
        "bohb": _pruned.deepest_rung,
        "deepest": lambda trials, direction: _pruned.deepest_rung(trials, direction,
                                                                  below="worst"),
        "rank": _pruned.rank_rule,
        "worst": lambda trials, direction: list(trials),  # bayes' fallback: worst value
        "ignore": lambda trials, direction: [t for t in trials
                                             if t.state is not TrialState.PRUNED],
    }[rule]


def run_optuna(task: Task, pruner: str, seed: int, budget: int) -> RunLog:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    pruners = {
        "none": optuna.pruners.NopPruner(),
        "median": optuna.pruners.MedianPruner(),
        "sha": optuna.pruners.SuccessiveHalvingPruner(min_resource=task.min_steps),
        "hyperband": optuna.pruners.HyperbandPruner(min_resource=task.min_steps,
                                                    max_resource=task.max_steps),
    }
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed),
                                pruner=pruners[pruner])
    log = RunLog([], [], [])
    while sum(log.steps) < budget:
        trial = study.ask()
        params = {}
        for p in task.params:
            if isinstance(p, IntParam):
                params[p.name] = trial.suggest_int(p.name, p.low, p.high, log=p.log)
            else:
                params[p.name] = trial.suggest_float(p.name, p.low, p.high, log=p.log)
        curve = task.make_run(params)
        stopped = None
        for t in task.steps:
            value = curve(t)
            trial.report(value, t)
            if trial.should_prune():
                stopped = t
                break
        if stopped is None:
            study.tell(trial, value)
        else:
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        _record(log, task, params, stopped, value)
    return log


def _record(log: RunLog, task: Task, params: dict, stopped: int | None, value: float) -> None:
    log.steps.append(stopped or task.max_steps)
    log.finals.append(value if stopped is None else math.nan)
    log.truths.append(task.true_final(params) if task.true_final else math.nan)


def best_at(log: RunLog, budget: int) -> float:
    """Best full-length loss among trials that ended within ``budget`` steps."""
    used = np.cumsum(log.steps)
    finals = np.array(log.finals)[used <= budget]
    finals = finals[~np.isnan(finals)]
    return float(finals.min()) if finals.size else math.nan


def best_was_pruned(log: RunLog, budget: int) -> float:
    used = np.cumsum(log.steps)
    keep = used <= budget
    truths = np.array(log.truths)[keep]
    if not truths.size or np.isnan(truths).all():
        return math.nan
    return float(np.isnan(np.array(log.finals)[keep][int(np.nanargmin(truths))]))


# ------------------------------------------------------------------------------ main


# Bayes' rules for pruned trials (first: Knobs'): the deepest rung enough trials reached,
# leaving out those pruned before it (BOHB); the same with those at the worst value; the
# earlier rank rule; and the two baselines.
RULES = ("bohb", "deepest", "rank", "worst", "ignore")


def methods(task: str, with_optuna: bool, focus: str, rules: tuple[str, ...] = RULES
            ) -> list[tuple]:
    if focus == "rules":  # the rules for pruned trials, with the baselines they must beat
        out = [("knobs", "random", "none", RULES[0])]
        return out + [("knobs", "bayes", "asha", r) for r in rules]
    out = [("knobs", "random", p, RULES[0]) for p in ("none", "median", "asha", "hyperband")]
    out += [("knobs", "bayes", "asha", RULES[0])]
    if task == "crossing":  # the rules for pruned trials, where seeds are cheap
        out += [("knobs", "bayes", "none", RULES[0])]
        out += [("knobs", "bayes", "asha", r) for r in RULES[1:]]
    if with_optuna:
        out += [("optuna", "tpe", p, "") for p in ("none", "median", "sha", "hyperband")]
    return out


def one(args: tuple) -> tuple:
    task_name, method, seed, multiple = args
    task = TASKS[task_name]
    budget = multiple * task.max_steps
    started = time.perf_counter()
    lib, sampler, pruner, rule = method
    if lib == "knobs":
        log = run_knobs(task, sampler, pruner, seed, budget, rule)
    else:
        log = run_optuna(task, pruner, seed, budget)
    return task_name, method, seed, log, time.perf_counter() - started


def label(method: tuple) -> str:
    lib, sampler, pruner, rule = method
    tail = f" (pruned: {rule})" if sampler == "bayes" and pruner != "none" else ""
    return f"{lib} {sampler} + {pruner}{tail}"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2 seeds, synthetic task only")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--tasks", default="crossing,mlp_digits,boosting,svc_fraction")
    ap.add_argument("--real-seeds", type=int, default=2, help="seeds for the real tasks")
    ap.add_argument("--multiples", default="10,25,50",
                    help="budgets, in full trials' steps; the last is each run's length")
    ap.add_argument("--focus", choices=("all", "rules"), default="all",
                    help="rules: only bayes' rules for pruned trials and their baselines")
    ap.add_argument("--rules", default=",".join(r for r in RULES if r != "rank"),
                    help="with --focus rules: the rules for pruned trials to run")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--save", help="append each finished run to this JSON-lines file")
    ap.add_argument("--load", help="print the tables of runs saved with --save (files "
                                   "separated by commas), run nothing")
    ap.add_argument("--skip", help="a --save file: do not run again the runs it holds")
    args = ap.parse_args(argv)
    multiples = tuple(int(m) for m in args.multiples.split(","))
    rules = tuple(args.rules.split(","))
    try:
        import optuna  # noqa: F401

        with_optuna = True
    except ImportError:
        print("Optuna is not installed: its rows are skipped.")
        with_optuna = False
    tasks = ["crossing"] if args.quick else args.tasks.split(",")
    top = max(multiples)
    results: dict[tuple, list] = {}
    started = time.perf_counter()
    if args.load:
        for row in _saved(args.load):
            results.setdefault((row["task"], tuple(row["method"])), []).append(
                (RunLog(row["steps"], row["finals"], row["truths"]), row["seconds"]))
    else:
        jobs = []  # seed by seed, so that a run cut short still compares every method
        for seed in range(max(args.seeds, args.real_seeds)):
            for task in tasks:
                n_seeds = 2 if args.quick else (
                    args.seeds if task == "crossing" else args.real_seeds)
                if seed < n_seeds:
                    jobs += [(task, m, seed, top)
                             for m in methods(task, with_optuna, args.focus, rules)]
        if args.skip:
            done = {(r["task"], tuple(r["method"]), r["seed"]) for r in _saved(args.skip)}
            jobs = [j for j in jobs if j[:3] not in done]
        with ProcessPoolExecutor(args.jobs) as pool:
            for done in as_completed([pool.submit(one, job) for job in jobs]):
                task, method, seed, log, secs = done.result()
                results.setdefault((task, method), []).append((log, secs))
                print(f"  {task} {label(method)} seed {seed}: {secs:.0f} s", file=sys.stderr)
                if args.save:
                    with open(args.save, "a") as f:
                        f.write(json.dumps({"task": task, "method": method, "seed": seed,
                                            "seconds": secs, **log.__dict__}) + "\n")
    for task in tasks:
        full = TASKS[task].max_steps
        listed = [m for m in methods(task, with_optuna, args.focus, rules)
                  if (task, m) in results]
        if not listed:
            continue
        seeds = min(len(results[(task, m)]) for m in listed)
        print(f"\n### {task} ({full} steps a full trial; median best full-length loss over "
              f"{seeds} seeds)\n")
        print("| method | " + " | ".join(f"{m}× steps" for m in multiples)
              + f" | best config pruned ({top}×) | trials ({top}×) | seconds |")
        print("|---" * (len(multiples) + 4) + "|")
        for method in listed:
            runs = results[(task, method)]
            cells = [np.nanmedian([best_at(log, m * full) for log, _ in runs]) for m in multiples]
            pruned = np.nanmean([best_was_pruned(log, top * full) for log, _ in runs])
            n_trials = np.median([len(log.steps) for log, _ in runs])
            secs = np.median([s for _, s in runs])
            print(f"| {label(method)} | " + " | ".join(f"{c:.4f}" for c in cells)
                  + f" | {'n/a' if math.isnan(pruned) else f'{pruned:.0%}'} | {n_trials:.0f}"
                  f" | {secs:.0f} |")
        _anytime_target(task, results, listed, top)
    print(f"\nTotal time {time.perf_counter() - started:.0f} s with {args.jobs} jobs.")


def _saved(files: str) -> list[dict]:
    return [json.loads(line) for name in files.split(",")
            for line in Path(name).read_text().splitlines()]


def _anytime_target(task: str, results: dict, listed: list[tuple], top: int) -> None:
    """Steps each method needs to reach the no-pruning run's best after ``top`` trials."""
    full = TASKS[task].max_steps
    baseline = results.get((task, ("knobs", "random", "none", RULES[0])))
    if baseline is None:
        return
    base = [best_at(log, top * full) for log, _ in baseline]
    print(f"\nSteps to reach random + none's {top}-trial best (median over seeds; "
          f"{top} trials = {top * full} steps):\n")
    for method in listed:
        need = []
        for (log, _), target in zip(results[(task, method)], base):
            used = np.cumsum(log.steps)
            finals = np.array(log.finals)
            hit = np.nonzero(~np.isnan(finals) & (finals <= target))[0]
            need.append(used[hit[0]] if hit.size else math.inf)
        med = float(np.median(need))
        shown = f"not within {top}×" if math.isinf(med) else f"{med:.0f} ({med / (top * full):.0%})"
        print(f"- {label(method)}: {shown}")


if __name__ == "__main__":
    main()
