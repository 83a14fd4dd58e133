"""Knobs' pruners against Optuna's and scikit-learn's on learning-curve problems, at equal
compute.

Compute is counted in steps (epochs, iterations, percents of the rows): a run may spend a
budget of ``multiple × max_steps`` steps, and the score of a run is the best *full-length*
value (of a trial that ran all its steps) found within it. Reported, per task, the median
over seeds at each budget, and (on the synthetic task, whose full-length value is known
for every configuration) how often the configuration that would have been best among
those tried was pruned; and, as the anytime curve's summary, the steps each method needs
to reach the best that random search without pruning finds with the largest budget.

    python -m benchmarks.pruning_vs_peers --quick          # smoke run, a few minutes
    nice python -m benchmarks.pruning_vs_peers --jobs 2 --save runs.jsonl   # everything
    python -m benchmarks.pruning_vs_peers --load runs.jsonl                 # its tables
    nice python -m benchmarks.pruning_vs_peers --focus rules --multiples 10,25 --jobs 2

Tasks: crossing learning curves (synthetic, 27 steps); an MLP on digits by epochs (12);
gradient boosting by iterations (27); an SVC by data fraction (fitted on 4, 12, 36 and 100%
of the rows: each fraction is a fit of its own, so a trial costs the sum of the fractions
it fitted, 152 for a full one, and without pruning only 100% is fitted); and the shipped
command example (resources/examples/command.toml: train_mlp.py's 15 epochs) run *in this
process* as a step function that imports the script's data, model and epoch, instead of
one process per trial, so that its curve is the command's and compute is its epochs.

Methods: Knobs random and bayes with no pruning, median, asha and hyperband (ASHA rungs
from the task's first rung, eta 3); for bayes + asha also the other rules for pruned
trials (``COMPARED_RULES``); Optuna TPE with NopPruner, MedianPruner,
SuccessiveHalvingPruner and HyperbandPruner; scikit-learn's HalvingRandomSearchCV on the
MLP, boosting and SVC tasks (sized ahead for each budget: one run per budget). Trials run
one after another in each process, so compute is steps, not seconds. Optuna is skipped
with a note when it is not installed. ``--save``/``--load``/``--skip`` keep runs in a
JSON-lines file, so that a long benchmark can be run in parts.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._pruning_tasks import TASKS, Task, _step, agreement  # noqa: E402
from engine.space import CategoricalParam, IntParam  # noqa: E402
from engine.spec import StudySpec  # noqa: E402
from engine.study import Study  # noqa: E402
from engine.trial import TrialState  # noqa: E402

# ------------------------------------------------------------------------------ runs


@dataclass
class RunLog:
    """Per trial: steps it ran, its full-length loss (nan if pruned), its true final loss."""

    steps: list[int]
    finals: list[float]
    truths: list[float]
    budget: int | None = None  # a run sized for this budget ahead (HalvingRandomSearchCV)


def run_knobs(task: Task, sampler: str, pruner: str, seed: int, budget: int,
              rule: str = "ignore") -> RunLog:
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
        steps = task.steps_under(pruner)
        for t in steps:
            value = _step(curve, t)
            if value is None:  # diverged: the trial fails there, as the command would
                stopped = t
                break
            if study.report(trial.number, t, value):
                stopped = t
                break
        if stopped is None:
            study.tell(trial.number, TrialState.COMPLETE, value=value)
        elif value is None:
            study.tell(trial.number, TrialState.FAILED, error="diverged")
        else:
            study.tell(trial.number, TrialState.PRUNED)
        _record(log, task, trial.params, steps, stopped, value)
    return log


def _set_pruned_rule(rule: str) -> None:
    """Bayes' rule for pruned trials: Knobs' (see RULES), or one it is compared with."""
    from engine.samplers import _pruned, bayes

    # "ignore" and "fidelity" are bayes' own rules (BayesSampler.pruned_rule); the others
    # are views of the trials (samplers/_pruned.py) that bayes models as complete ones.
    own = ("late", "ignore", "fidelity", "checked")
    bayes.BayesSampler.pruned_rule = rule if rule in own else "bohb"
    bayes.pruned_as_complete = {  # under bayes' own rules, what several objectives use
        **{r: _pruned.deepest_rung for r in own},
        "bohb": _pruned.deepest_rung,
        "stacked": _pruned.stacked_ranks,
        "deepest": lambda trials, direction: _pruned.deepest_rung(trials, direction,
                                                                  below="worst"),
        "rank": _pruned.rank_rule,
        "worst": lambda trials, direction: list(trials),  # bayes' fallback: worst value
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
            if p.condition is not None and not p.condition.holds(params):
                continue
            if isinstance(p, IntParam):
                params[p.name] = trial.suggest_int(p.name, p.low, p.high, log=p.log)
            elif isinstance(p, CategoricalParam):
                params[p.name] = trial.suggest_categorical(p.name, list(p.choices))
            else:
                params[p.name] = trial.suggest_float(p.name, p.low, p.high, log=p.log)
        curve = task.make_run(params)
        stopped = None
        steps = task.steps_under(pruner)
        for t in steps:
            value = _step(curve, t)
            if value is None:
                stopped = t
                break
            trial.report(value, t)
            if trial.should_prune():
                stopped = t
                break
        if stopped is None:
            study.tell(trial, value)
        elif value is None:
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
        else:
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        _record(log, task, params, steps, stopped, value)
    return log


# HalvingRandomSearchCV where it applies: the resource, its ladder (min, factor, max),
# what a fit at the top of the ladder costs in the task's steps, and the estimator.
# Its ladder needs max // min to be a power of the factor: the SVC's last rung fits 1,323
# of the 1,347 training rows (49 × 27), counted as full length at 98 steps; the MLP's
# 12 epochs need a factor of 2 (3, 6, 12).
def _halving_setup(task: Task) -> tuple:
    from sklearn.datasets import load_breast_cancer, load_digits
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier
    from sklearn.svm import SVC

    if task.name == "boosting":
        x, y = load_breast_cancer(return_X_y=True)
        split = train_test_split(x, y, test_size=0.3, stratify=y, random_state=0)
        model = HistGradientBoostingClassifier(early_stopping=False, random_state=0)
        return split, model, "max_iter", (1, 3, 27), "neg_log_loss", lambda r: r
    x, y = load_digits(return_X_y=True)
    split = train_test_split(x / 16.0, y, test_size=0.25, stratify=y, random_state=0)
    if task.name == "mlp_digits":
        return (split, MLPClassifier(random_state=0), "max_iter", (3, 2, 12), "accuracy",
                lambda r: r)
    n = len(split[0])
    return (split, SVC(), "n_samples", (n // 27, 3, n), "accuracy",
            lambda r: 100 * r / n)


class _Draw:
    """A Knobs parameter as a scipy-like distribution for ParameterSampler."""

    def __init__(self, param, wrap=None):
        self.param, self.wrap = param, wrap

    def rvs(self, random_state=None):
        p, rng = self.param, np.random.default_rng(random_state.randint(2**31))
        lo, hi = (math.log(p.low), math.log(p.high)) if p.log else (p.low, p.high)
        v = rng.uniform(lo, hi)
        v = math.exp(v) if p.log else v
        if isinstance(p, IntParam):
            v = int(min(p.high, max(p.low, round(v))))
        return self.wrap(v) if self.wrap else v


HALVING_NAMES = {"boosting": {"lr": "learning_rate", "leaves": "max_leaf_nodes",
                              "l2": "l2_regularization"},
                 "mlp_digits": {"lr": "learning_rate_init", "alpha": "alpha",
                                "units": "hidden_layer_sizes", "batch": "batch_size"},
                 "svc_fraction": {"C": "C", "gamma": "gamma"}}


def run_halving(task: Task, seed: int, budget: int) -> RunLog:
    """One HalvingRandomSearchCV run as big as ``budget`` steps allow (it must be told its
    size ahead, so each budget is a run of its own), on the held-out split the other
    methods use (a PredefinedSplit: one fold)."""
    import warnings

    from sklearn.experimental import enable_halving_search_cv  # noqa: F401
    from sklearn.model_selection import HalvingRandomSearchCV, PredefinedSplit

    (xt, xv, yt, yv), model, resource, (low, factor, high), scoring, cost = \
        _halving_setup(task)
    rungs = []
    while low * factor ** len(rungs) <= high:
        rungs.append(low * factor ** len(rungs))

    def spend(n0: int) -> float:
        out, n = 0.0, n0
        for r in rungs:
            out, n = out + n * cost(r), math.ceil(n / factor)
        return out

    n0 = max(1, factor)
    while spend(n0 + 1) <= budget:
        n0 += 1
    names = HALVING_NAMES[task.name]
    space = {names[p.name]: _Draw(p, (lambda v: (v,)) if names[p.name] ==
                                  "hidden_layer_sizes" else None) for p in task.params}
    search = HalvingRandomSearchCV(
        model, space, n_candidates=n0, factor=factor, resource=resource, min_resources=low,
        max_resources=high, scoring=scoring, refit=False, random_state=seed,
        cv=PredefinedSplit(np.r_[-np.ones(len(xt)), np.zeros(len(xv))]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(np.vstack([xt, xv]), np.concatenate([yt, yv]))
    res = search.cv_results_
    log = RunLog([], [], [], budget=budget)
    top = rungs[-1]
    for i in np.argsort(res["iter"], kind="stable"):
        r = int(res["n_resources"][i])
        score = float(res["mean_test_score"][i])
        loss = -score if scoring == "neg_log_loss" else 1.0 - score
        log.steps.append(round(cost(r)))
        log.finals.append(loss if r == top else math.nan)
        log.truths.append(math.nan)
    return log


def _record(log: RunLog, task: Task, params: dict, steps: tuple[int, ...],
            stopped: int | None, value: float | None) -> None:
    log.steps.append(task.cost(steps, stopped))
    log.finals.append(value if stopped is None and value is not None else math.nan)
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


# Bayes' rules for pruned trials (first: Knobs' default): every trial at the step it reached
# in one GP with the step as an input, the model started when "ignore" starts its own; leave
# them out of the model ("ignore"); the same GP started as soon as it holds enough trials;
# the same, with pruned trials only from steps whose values rank like final ones among the
# complete trials; the deepest rung enough trials reached, leaving out those pruned before
# it (BOHB); every trial at the normal
# score of its rank, stacked by the step it reached (a censored ordinal model); the deepest
# rung with those pruned before it at the worst value; the earlier rank rule; and "pruned =
# worst", the baseline the issue named with "ignore".
RULES = ("late", "ignore", "fidelity", "checked", "bohb", "stacked", "deepest", "rank", "worst")
# A full run's:
COMPARED_RULES = ("late", "ignore", "fidelity", "checked", "bohb", "stacked", "worst")
PRUNERS = ("none", "median", "asha", "hyperband")


def methods(task: str, with_optuna: bool, focus: str, rules: tuple[str, ...] = COMPARED_RULES
            ) -> list[tuple]:
    if focus == "rules":  # the rules for pruned trials, with the baselines they must beat
        out = [("knobs", "random", "none", "")]
        return out + [("knobs", "bayes", "asha", r) for r in rules]
    out = [("knobs", "random", p, "") for p in PRUNERS]
    out += [("knobs", "bayes", p, RULES[0] if p != "none" else "") for p in PRUNERS]
    out += [("knobs", "bayes", "asha", r) for r in rules if r != RULES[0]]
    if with_optuna:
        out += [("optuna", "tpe", p, "") for p in ("none", "median", "sha", "hyperband")]
    if task in HALVING_NAMES:
        out += [("sklearn", "halving", "sha", "")]
    return out


def one(args: tuple) -> tuple:
    task_name, method, seed, multiple = args
    task = TASKS[task_name]
    budget = multiple * task.max_steps
    started = time.perf_counter()
    lib, sampler, pruner, rule = method
    if lib == "knobs":
        log = run_knobs(task, sampler, pruner, seed, budget, rule or RULES[0])
    elif lib == "optuna":
        log = run_optuna(task, pruner, seed, budget)
    else:
        log = run_halving(task, seed, budget)
    return task_name, method, seed, log, time.perf_counter() - started


def label(method: tuple) -> str:
    lib, sampler, pruner, rule = method
    if lib == "sklearn":
        return "sklearn HalvingRandomSearchCV"
    tail = f" (pruned: {rule})" if sampler == "bayes" and pruner != "none" else ""
    return f"{lib} {sampler} + {pruner}{tail}"


def jobs_for(tasks: list[str], seeds: int, multiples: tuple[int, ...], with_optuna: bool,
             focus: str, rules: tuple[str, ...]) -> list[tuple]:
    """Seed by seed over the tasks, so that a run cut short still compares the methods
    on every task at the seeds it finished. HalvingRandomSearchCV is sized ahead: one run
    per budget."""
    jobs = []
    for seed in range(seeds):
        for task in tasks:
            for m in methods(task, with_optuna, focus, rules):
                sized = multiples if m[0] == "sklearn" else (max(multiples),)
                jobs += [(task, m, seed, mult) for mult in sized]
    # The runs the targets compare first (at each seed, on every task), the rest after:
    # on a busy machine a run cut short still answers the questions.
    return sorted(jobs, key=lambda j: (j[2], j[1] not in KEY_METHODS))


KEY_METHODS = (("knobs", "random", "none", ""), ("knobs", "random", "asha", ""),
               ("knobs", "bayes", "asha", RULES[0]), ("optuna", "tpe", "hyperband", ""),
               ("sklearn", "halving", "sha", ""))


def best_of(log: RunLog, budget: int) -> float:
    """A run's best full-length loss within ``budget`` steps; for a run sized ahead, its
    best if it was sized for this budget (nan for other runs: they are other cells)."""
    if log.budget is None:
        return best_at(log, budget)
    return best_at(log, 10**12) if log.budget == budget else math.nan


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2 seeds, synthetic task only")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--tasks", default=",".join(TASKS),
                    help="in this order, seed by seed")
    ap.add_argument("--multiples", default="10,25,50",
                    help="budgets, in full trials' steps; the last is each run's length")
    ap.add_argument("--focus", choices=("all", "rules"), default="all",
                    help="rules: only bayes' rules for pruned trials and their baselines")
    ap.add_argument("--rules", default=",".join(COMPARED_RULES),
                    help="the rules for pruned trials to run (bayes + asha)")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--save", help="append each finished run to this JSON-lines file")
    ap.add_argument("--load", help="print the tables of runs saved with --save (files "
                                   "separated by commas), run nothing")
    ap.add_argument("--skip", help="a --save file: do not run again the runs it holds")
    ap.add_argument("--agreement", action="store_true",
                    help="print how early values rank like final ones on each task, run nothing")
    args = ap.parse_args(argv)
    if args.agreement:
        _print_agreement(args.tasks.split(","))
        return
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
    results: dict[tuple, list] = {}  # (task, method) -> [(seed, log, seconds)]
    started = time.perf_counter()
    if args.load:
        for row in _saved(args.load):
            log = RunLog(row["steps"], row["finals"], row["truths"], row.get("budget"))
            runs = results.setdefault((row["task"], tuple(row["method"])), [])
            if all(seed != row["seed"] for seed, _, _ in runs):  # files may share runs
                runs.append((row["seed"], log, row["seconds"]))
    else:
        jobs = jobs_for(tasks, 2 if args.quick else args.seeds, multiples, with_optuna,
                        args.focus, rules)
        if args.skip:
            done = {(r["task"], tuple(r["method"]), r["seed"],
                     r.get("budget") or top * TASKS[r["task"]].max_steps)
                    for r in _saved(args.skip)}
            jobs = [j for j in jobs if (*j[:3], j[3] * TASKS[j[0]].max_steps) not in done]
        with ProcessPoolExecutor(args.jobs) as pool:
            futures = [pool.submit(one, job) for job in jobs]
            for done in as_completed(futures):
                task, method, seed, log, secs = done.result()
                results.setdefault((task, method), []).append((seed, log, secs))
                print(f"  {task} {label(method)} seed {seed}: {secs:.0f} s", file=sys.stderr)
                if args.save:
                    with open(args.save, "a") as f:
                        f.write(json.dumps({"task": task, "method": method, "seed": seed,
                                            "seconds": secs, **log.__dict__}) + "\n")
    for task in tasks:
        wanted = methods(task, with_optuna, args.focus, rules)
        # Saved runs of methods this version would not run (another default rule) too.
        wanted += [m for t, m in results if t == task and m not in wanted]
        _table(task, results, wanted, multiples)
    _rules_summary(tasks, results, rules, multiples)
    if not args.load:
        print(f"\nTotal time {time.perf_counter() - started:.0f} s with {args.jobs} jobs.")


def _table(task: str, results: dict, wanted: list[tuple], multiples: tuple[int, ...]) -> None:
    full = TASKS[task].max_steps
    top = max(multiples)
    listed = [m for m in wanted if (task, m) in results]
    if not listed:
        return
    # Only the seeds every method finished, so that each row is measured on the same ones.
    common = set.intersection(*({seed for seed, _, _ in results[(task, m)]} for m in listed))
    results = {key: [r for r in runs if r[0] in common] for key, runs in results.items()
               if key[0] == task}
    print(f"\n### {task} ({full} steps a full trial; median over seeds "
          f"{', '.join(map(str, sorted(common))) or 'none'} of the best full-length loss "
          f"within each budget)\n")
    if not common:
        return
    print("| method | " + " | ".join(f"{m}×" for m in multiples)
          + f" | best config pruned ({top}×) | trials ({top}×) | seconds a run |")
    print("|---" * (len(multiples) + 4) + "|")
    for method in listed:
        runs = results[(task, method)]
        cells = []
        for m in multiples:
            values = [best_of(log, m * full) for _, log, _ in runs]
            values = [v for v in values if not math.isnan(v)]
            cells.append(f"{np.median(values):.4f}" if values else "–")
        at_top = [log for _, log, _ in runs if log.budget in (None, top * full)]
        pruned = np.nanmean([best_was_pruned(log, top * full) for log in at_top]
                            ) if at_top else math.nan
        n_trials = np.median([len(log.steps) for log in at_top]) if at_top else math.nan
        secs = np.median([s for _, _, s in runs])
        print(f"| {label(method)} | " + " | ".join(cells)
              + f" | {'n/a' if math.isnan(pruned) else f'{pruned:.0%}'} | {n_trials:.0f}"
              f" | {secs:.0f} |")
    _anytime_target(task, results, listed, top)


def _rules_summary(tasks: list[str], results: dict, rules: tuple[str, ...],
                   multiples: tuple[int, ...]) -> None:
    """Bayes + asha under each rule for pruned trials: per task and budget, each rule's
    rank among the rules on each seed they all ran (1 = the best full-length loss; ties
    share), averaged over seeds; then over every task and budget."""
    from scipy.stats import binomtest, rankdata

    keys = [("knobs", "bayes", "asha", r) for r in rules]
    overall: dict[str, list[float]] = {r: [] for r in rules}
    lines = []
    for task in tasks:
        if not all((task, k) in results for k in keys):
            continue
        logs = [{seed: log for seed, log, _ in results[(task, k)]} for k in keys]
        seeds = sorted(set.intersection(*(set(by_seed) for by_seed in logs)))
        if not seeds:
            continue
        full = TASKS[task].max_steps
        cells = []
        for m in multiples:
            best = np.array([[best_at(by_seed[s], m * full) for s in seeds] for by_seed in logs])
            ranks = rankdata(np.where(np.isnan(best), np.inf, best), axis=0).mean(axis=1)
            for r, rank in zip(rules, ranks):
                overall[r].append(float(rank))
            cells.append(f"{m}×: " + ", ".join(f"{r} {k:.2f}" for r, k in zip(rules, ranks)))
        lines.append(f"  {task} (seeds {seeds[0]}–{seeds[-1]}, {len(seeds)}): " + "; ".join(cells))
    if not lines:
        return
    print("\n## Rules for pruned trials (bayes + asha): mean rank per seed (1 = best)\n")
    print("\n".join(lines))
    print("  over tasks × budgets: " + ", ".join(
        f"{r} {np.mean(v):.2f}" for r, v in sorted(overall.items(), key=lambda kv: np.mean(kv[1]))))
    # Each rule against "ignore" and "worst", the two the issue asks a rule to beat; and
    # BOHB's rule against "ignore" under the other pruners, where both ran.
    pairs = [(f"{r} vs {b}", ("asha", r), ("asha", b)) for r in rules
             for b in ("ignore", "worst") if b in rules and r != b]
    pairs += [(f"{p}: bohb vs ignore", (p, "bohb"), (p, "ignore")) for p in ("median", "hyperband")]
    print("  against a baseline, (task, budget, seed) better / same / worse, and the sign"
          " test's two-sided p over the untied ones:")
    for name, mine, theirs in pairs:
        won, tied, lost = _duel(tasks, results, ("knobs", "bayes", *mine),
                                ("knobs", "bayes", *theirs), multiples)
        if won + tied + lost:
            p = binomtest(int(won), int(won + lost)).pvalue if won + lost else 1.0
            print(f"    {name}: {won} / {tied} / {lost} (p = {p:.2g})")


def _duel(tasks: list[str], results: dict, mine: tuple, theirs: tuple,
          multiples: tuple[int, ...]) -> np.ndarray:
    """On how many (task, budget, seed) that both ran method ``mine`` found a better full-
    length loss than ``theirs``, the same, a worse (none found counts as the worst)."""
    counts = np.zeros(3, dtype=int)
    for task in tasks:
        if (task, mine) not in results or (task, theirs) not in results:
            continue
        a, b = ({seed: log for seed, log, _ in results[(task, k)]} for k in (mine, theirs))
        full = TASKS[task].max_steps
        for seed in sorted(set(a) & set(b)):
            for m in multiples:
                x, y = (best_at(runs[seed], m * full) for runs in (a, b))
                x, y = (math.inf if math.isnan(v) else v for v in (x, y))
                counts += [x < y, x == y, x > y]
    return counts


def _print_agreement(tasks: list[str]) -> None:
    print("Spearman's rho between the values at each rung and the final ones, 40 random "
          "configurations (seed 0): all of them / the best third at that rung\n")
    for name in tasks:
        cells = [f"step {step}: {rho_all:.2f} / {rho_top:.2f}"
                 for step, rho_all, rho_top in agreement(TASKS[name])]
        print(f"  {name}: " + "; ".join(cells), flush=True)


def _saved(files: str) -> list[dict]:
    return [json.loads(line) for name in files.split(",")
            for line in Path(name).read_text().splitlines()]


def _anytime_target(task: str, results: dict, listed: list[tuple], top: int) -> None:
    """Steps each method needs to reach, seed by seed, the best full-length loss of random
    search without pruning after ``top`` full trials (for a method sized ahead, whether
    its ``top``-sized run reached it)."""
    full = TASKS[task].max_steps
    baseline = results.get((task, ("knobs", "random", "none", "")))
    if baseline is None:
        return
    target = {seed: best_at(log, top * full) for seed, log, _ in baseline}
    print(f"\nSteps to reach random + none's {top}-trial best, seed by seed (median over "
          f"the seeds both ran; {top} trials = {top * full} steps; the anytime curve "
          f"summary):\n")
    for method in listed:
        need = []
        for seed, log, _ in results[(task, method)]:
            if seed not in target or log.budget not in (None, top * full):
                continue
            used = np.cumsum(log.steps)
            finals = np.array(log.finals)
            hit = np.nonzero(~np.isnan(finals) & (finals <= target[seed]))[0]
            need.append(used[hit[0]] if hit.size else math.inf)
        if not need:
            continue
        med = float(np.median(need))
        reached = sum(not math.isinf(n) for n in need)
        shown = (f"not within {top}×" if math.isinf(med)
                 else f"{med:.0f} ({med / (top * full):.0%})")
        print(f"- {label(method)}: {shown}; reached on {reached} of {len(need)} seeds")


if __name__ == "__main__":
    main()
