"""Several objectives: Knobs' samplers against Optuna's on problems with known fronts.

Problems (every objective minimised):

- ``zdt1``, ``zdt2``: 2 objectives, 5 variables in [0, 1] (convex and concave fronts);
- ``dtlz2``: 3 objectives, 6 variables (the front is the positive octant of the unit sphere);
- ``constr``: Deb's CONSTR, 2 objectives, 2 variables, two constraints (g1 >= 6, g2 >= 1);
- ``forest``: a random forest on scikit-learn's breast_cancer, error rate against fit
  seconds (n_estimators, max_depth, max_features; one fixed 75/25 split).

Optimizers: Knobs random, sobol and bayes; Optuna NSGAIISampler (population 10, so that
50 trials make 5 generations), TPESampler and GPSampler (needs torch), each told the
constraints through ``constraints_func``. For each run: the hypervolume of the feasible
trials at 50 (and 100) trials with a fixed reference point, its ratio to the true front's
hypervolume (for ``forest``: to the front of every run of every optimizer put together),
and the mean ask time per trial.

    nice python -m benchmarks.multiobjective --seeds 10 --trials 50      # docs/benchmarks.md
    python -m benchmarks.multiobjective --quick                          # a smoke run

Results go to a JSON-lines file as they come (``--out``); ``--table`` reprints from it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.goals import Goal, Limit  # noqa: E402
from engine.pareto import hypervolume, non_dominated  # noqa: E402
from engine.space import FloatParam, IntParam, Param  # noqa: E402
from engine.spec import StudySpec  # noqa: E402
from engine.study import Study  # noqa: E402
from engine.trial import TrialState  # noqa: E402

Result = tuple[tuple[float, ...], tuple[float, ...]]  # (objectives, constraint metrics)


@dataclass(frozen=True)
class MOProblem:
    name: str
    params: tuple[Param, ...]
    func: Callable[[dict[str, Any]], Result]
    n_obj: int
    reference: tuple[float, ...]
    limits: tuple[Limit, ...] = ()  # on the constraint metrics c0, c1, ...
    true_hv: float | None = None  # None: the best front found by all runs together


def _x(p: dict[str, Any], n: int) -> np.ndarray:
    return np.array([p[f"x{i}"] for i in range(n)], dtype=float)


def zdt1(p: dict[str, Any]) -> Result:
    x = _x(p, 5)
    g = 1 + 9 * x[1:].mean()
    return (x[0], g * (1 - math.sqrt(x[0] / g))), ()


def zdt2(p: dict[str, Any]) -> Result:
    x = _x(p, 5)
    g = 1 + 9 * x[1:].mean()
    return (x[0], g * (1 - (x[0] / g) ** 2)), ()


def dtlz2(p: dict[str, Any]) -> Result:
    x = _x(p, 6)
    g = float(((x[2:] - 0.5) ** 2).sum())
    a, b = x[0] * math.pi / 2, x[1] * math.pi / 2
    return ((1 + g) * math.cos(a) * math.cos(b), (1 + g) * math.cos(a) * math.sin(b),
            (1 + g) * math.sin(a)), ()


def constr(p: dict[str, Any]) -> Result:
    x1, x2 = p["x0"], p["x1"]
    return (x1, (1 + x2) / x1), (x2 + 9 * x1, 9 * x1 - x2)


def _constr_front_hv(reference: tuple[float, float]) -> float:
    # The front: x2 = 6 - 9 x1 for x1 in [7/18, 2/3], then x2 = 0 up to x1 = 1.
    x1 = np.concatenate([np.linspace(7 / 18, 2 / 3, 20000), np.linspace(2 / 3, 1, 20000)])
    x2 = np.where(x1 < 2 / 3, 6 - 9 * x1, 0.0)
    return hypervolume(np.column_stack([x1, (1 + x2) / x1]), np.array(reference))


_DATA: Any = None


def forest(p: dict[str, Any]) -> Result:
    global _DATA
    from sklearn.ensemble import RandomForestClassifier

    if _DATA is None:
        from sklearn.datasets import load_breast_cancer
        from sklearn.model_selection import train_test_split

        X, y = load_breast_cancer(return_X_y=True)
        _DATA = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    X_train, X_test, y_train, y_test = _DATA
    model = RandomForestClassifier(n_estimators=p["n_estimators"], max_depth=p["max_depth"],
                                   max_features=p["max_features"], random_state=0, n_jobs=1)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    return (1.0 - model.score(X_test, y_test), seconds), ()


def problems() -> dict[str, MOProblem]:
    unit = lambda n: tuple(FloatParam(f"x{i}", 0.0, 1.0) for i in range(n))  # noqa: E731
    return {
        "zdt1": MOProblem("zdt1", unit(5), zdt1, 2, (1.1, 1.1), true_hv=1.1 * 1.1 - 1 / 3),
        "zdt2": MOProblem("zdt2", unit(5), zdt2, 2, (1.1, 1.1), true_hv=1.1 * 1.1 - 2 / 3),
        "dtlz2": MOProblem("dtlz2", unit(6), dtlz2, 3, (1.1, 1.1, 1.1),
                           true_hv=1.1 ** 3 - math.pi / 6),
        "constr": MOProblem("constr", (FloatParam("x0", 0.1, 1.0), FloatParam("x1", 0.0, 5.0)),
                            constr, 2, (1.1, 10.0),
                            limits=(Limit("c0", min=6.0), Limit("c1", min=1.0)),
                            true_hv=_constr_front_hv((1.1, 10.0))),
        "forest": MOProblem("forest", (IntParam("n_estimators", 5, 100, log=True),
                                       IntParam("max_depth", 1, 20, log=True),
                                       FloatParam("max_features", 0.05, 0.5)),
                            forest, 2, (0.15, 0.5)),
    }


# ---------------------------------------------------------------------- optimizers


def run_knobs(sampler: str, prob: MOProblem, seed: int, trials: int) -> tuple[list, list]:
    goals = (Goal("value", "minimize"),
             *(Goal(f"f{j}", "minimize") for j in range(1, prob.n_obj)))
    spec = StudySpec(name=prob.name, params=prob.params, sampler=sampler, seed=seed,
                     objective={"kind": "python", "path": "benchmarks/multiobjective.py",
                                "function": prob.func.__name__},
                     trials=trials, objectives=goals, constraints=prob.limits)
    study = Study(spec)
    results, asks = [], []
    for _ in range(trials):
        start = time.perf_counter()
        t = study.ask()
        asks.append(time.perf_counter() - start)
        f, c = prob.func(t.params)
        results.append((f, c))
        metrics = {**{f"f{j}": f[j] for j in range(1, prob.n_obj)},
                   **{f"c{k}": v for k, v in enumerate(c)}}
        study.tell(t.number, TrialState.COMPLETE, value=f[0], metrics=metrics)
    return results, asks


def _optuna_distributions(params: tuple[Param, ...]):
    import optuna

    out = {}
    for p in params:
        if isinstance(p, IntParam):
            out[p.name] = optuna.distributions.IntDistribution(p.low, p.high, log=p.log)
        else:
            out[p.name] = optuna.distributions.FloatDistribution(p.low, p.high, log=p.log)
    return out


def run_optuna(kind: str, prob: MOProblem, seed: int, trials: int) -> tuple[list, list]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)

    def constraints(trial):  # Optuna: <= 0 is feasible
        return trial.user_attrs["constraint"]

    options = {"seed": seed}
    if prob.limits:
        options["constraints_func"] = constraints
    if kind == "nsga2":
        sampler = optuna.samplers.NSGAIISampler(population_size=10, **options)
    elif kind == "tpe":
        sampler = optuna.samplers.TPESampler(**options)
    else:
        sampler = optuna.samplers.GPSampler(**options)
    study = optuna.create_study(directions=["minimize"] * prob.n_obj, sampler=sampler)
    dists = _optuna_distributions(prob.params)
    results, asks = [], []
    for _ in range(trials):
        start = time.perf_counter()
        trial = study.ask(dists)
        asks.append(time.perf_counter() - start)
        f, c = prob.func(trial.params)
        results.append((f, c))
        violations = [(lim.min - v if lim.min is not None else v - lim.max)
                      for lim, v in zip(prob.limits, c)]
        trial.set_user_attr("constraint", violations)
        study.tell(trial, list(f))
    return results, asks


OPTIMIZERS: dict[str, Callable[[MOProblem, int, int], tuple[list, list]]] = {
    "knobs-random": lambda p, s, n: run_knobs("random", p, s, n),
    "knobs-sobol": lambda p, s, n: run_knobs("sobol", p, s, n),
    "knobs-bayes": lambda p, s, n: run_knobs("bayes", p, s, n),
    "optuna-nsga2": lambda p, s, n: run_optuna("nsga2", p, s, n),
    "optuna-tpe": lambda p, s, n: run_optuna("tpe", p, s, n),
    "optuna-gp": lambda p, s, n: run_optuna("gp", p, s, n),
}


def single_objective_ask_ms(prob: MOProblem, seed: int, trials: int) -> float:
    """Mean ask time of bayes optimising the first objective alone, on the same space: what
    one objective costs, to compare the several-objective asks with."""
    spec = StudySpec(name=prob.name, params=prob.params, sampler="bayes", seed=seed,
                     objective={"kind": "python", "path": "benchmarks/multiobjective.py",
                                "function": prob.func.__name__}, trials=trials)
    study = Study(spec)
    asks = []
    for _ in range(trials):
        start = time.perf_counter()
        t = study.ask()
        asks.append(time.perf_counter() - start)
        study.tell(t.number, TrialState.COMPLETE, value=prob.func(t.params)[0][0])
    return 1000 * float(np.mean(asks))


def missing(name: str) -> str | None:
    if not name.startswith("optuna"):
        return None
    for module in ("optuna", "torch") if name == "optuna-gp" else ("optuna",):
        try:
            __import__(module)
        except ImportError:
            return f"{module} is not installed (the 'bench' extra)"
    return None


# ---------------------------------------------------------------------- measuring


def feasible_points(prob: MOProblem, results: list) -> np.ndarray:
    keep = [f for f, c in results
            if all(lim.violation(v) <= 0 for lim, v in zip(prob.limits, c))]
    return np.array(keep, dtype=float).reshape(len(keep), prob.n_obj)


def measure(name: str, prob: MOProblem, seed: int, trials: int, checkpoints: list[int]) -> dict:
    results, asks = OPTIMIZERS[name](prob, seed, trials)
    ref = np.array(prob.reference)
    hv = {n: hypervolume(feasible_points(prob, results[:n]), ref) for n in checkpoints}
    points = feasible_points(prob, results)
    front = points[non_dominated(points)] if len(points) else points
    return {"optimizer": name, "problem": prob.name, "seed": seed, "trials": trials,
            "hv": hv, "ask_ms": 1000 * float(np.mean(asks)), "front": front.tolist()}


def table(records: list[dict], probs: dict[str, MOProblem], checkpoints: list[int]) -> str:
    out = []
    by = {}
    for r in records:
        by.setdefault((r["problem"], r["optimizer"]), []).append(r)
    for pname, prob in probs.items():
        rows = [(o, by[(pname, o)]) for o in OPTIMIZERS if (pname, o) in by]
        if not rows:
            continue
        true_hv = prob.true_hv
        how = "true front"
        if true_hv is None:
            fronts = np.array([p for _, rs in rows for r in rs for p in r["front"]])
            true_hv = hypervolume(fronts, np.array(prob.reference)) if len(fronts) else 1.0
            how = "all runs' best front"
        out.append(f"\n{pname}: reference point {prob.reference}, hypervolume of the "
                   f"{how} {true_hv:.4f}; median over the seeds run "
                   "(ratio to that front)")
        head = "| optimizer | seeds | " + " | ".join(f"HV @ {n}" for n in checkpoints) + \
            " | ask ms |"
        out += [head, "|" + "---|" * (len(checkpoints) + 3)]
        for o, rs in rows:
            cells = []
            for n in checkpoints:
                values = [r["hv"][str(n)] if str(n) in r["hv"] else r["hv"][n] for r in rs]
                med = float(np.median(values))
                cells.append(f"{med:.4f} ({med / true_hv:.0%})")
            ask = float(np.median([r["ask_ms"] for r in rs]))
            out.append(f"| {o} | {len(rs)} | " + " | ".join(cells) + f" | {ask:.1f} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--problems", default="zdt1,zdt2,dtlz2,constr,forest")
    parser.add_argument("--optimizers", default=",".join(OPTIMIZERS))
    parser.add_argument("--out", default=str(Path(tempfile.gettempdir())
                                             / "knobs_multiobjective.jsonl"))
    parser.add_argument("--table", action="store_true", help="reprint the tables from --out")
    parser.add_argument("--quick", action="store_true", help="2 seeds, 20 trials")
    parser.add_argument("--single-ask", action="store_true",
                        help="only time single-objective bayes asks on the same problems")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.trials = 2, 20
    probs = {k: v for k, v in problems().items() if k in args.problems.split(",")}
    if args.single_ask:
        for prob in probs.values():
            ms = [single_objective_ask_ms(prob, seed, args.trials) for seed in range(args.seeds)]
            print(f"{prob.name}: single-objective bayes, median ask {np.median(ms):.1f} ms "
                  f"over {args.seeds} seeds at {args.trials} trials")
        return 0
    checkpoints = sorted({min(50, args.trials), args.trials})
    out = Path(args.out)
    done = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
    if not args.table:
        seen = {(r["problem"], r["optimizer"], r["seed"], r["trials"]) for r in done}
        for name in args.optimizers.split(","):
            why = missing(name)
            if why:
                print(f"skipping {name}: {why}", file=sys.stderr)
                continue
            for prob in probs.values():
                for seed in range(args.seeds):
                    if (prob.name, name, seed, args.trials) in seen:
                        continue
                    start = time.perf_counter()
                    r = measure(name, prob, seed, args.trials, checkpoints)
                    print(f"{name} {prob.name} seed {seed}: HV {r['hv'][args.trials]:.4f}, "
                          f"ask {r['ask_ms']:.1f} ms ({time.perf_counter() - start:.0f} s)",
                          file=sys.stderr, flush=True)
                    with out.open("a") as f:
                        f.write(json.dumps(r) + "\n")
                    done.append(json.loads(json.dumps(r)))
    records = [r for r in done if r["trials"] == args.trials and r["problem"] in probs]
    print(table(records, probs, checkpoints))
    return 0


if __name__ == "__main__":
    sys.exit(main())
