"""What one report (and one ask/tell) costs a study with many trials, per pruner.

A pruner is consulted under the study's lock on every intermediate value, and the
savings line is refreshed on every ask and tell: neither should grow with the study.
The study is opened on ``--trials`` ended trials (27 steps each, a third of them pruned at
a rung), then ``--new`` trials are asked, report their 27 steps and are told.

    nice python -m benchmarks.pruning_overhead --trials 10000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.space import FloatParam  # noqa: E402
from engine.spec import StudySpec  # noqa: E402
from engine.study import Study  # noqa: E402
from engine.trial import Trial, TrialState  # noqa: E402

STEPS = 27
OPTIONS = {"median": {}, "asha": {"min_steps": 1, "eta": 3, "max_steps": STEPS},
           "hyperband": {"min_steps": 1, "eta": 3, "max_steps": STEPS}}


def history(n: int, rng: np.random.Generator) -> list[Trial]:
    out = []
    for i in range(n):
        level = rng.random()
        stop = STEPS if i % 3 else int(rng.choice([1, 3, 9]))
        curve = tuple((s, level + 1.0 / s) for s in range(1, stop + 1))
        state = TrialState.COMPLETE if stop == STEPS else TrialState.PRUNED
        out.append(Trial(i, {"x": level}, state=state, value=curve[-1][1],
                         intermediate=curve))
    return out


def measure(pruner: str, n: int, new: int) -> tuple[float, float]:
    rng = np.random.default_rng(0)
    spec = StudySpec(name="overhead", params=(FloatParam("x", 0.0, 1.0),), sampler="random",
                     objective={"kind": "python", "path": "x.py", "function": "f"},
                     pruner=pruner, pruner_options=OPTIONS[pruner])
    study = Study(spec, trials=history(n, rng))
    report_s = ask_tell_s = 0.0
    reports = 0
    for _ in range(new):
        start = time.perf_counter()
        trial = study.ask()
        ask_tell_s += time.perf_counter() - start
        level = rng.random()
        stopped = False
        for s in range(1, STEPS + 1):
            start = time.perf_counter()
            stopped = study.report(trial.number, s, level + 1.0 / s) is not None
            report_s += time.perf_counter() - start
            reports += 1
            if stopped:
                break
        start = time.perf_counter()
        study.tell(trial.number, TrialState.PRUNED if stopped else TrialState.COMPLETE,
                   value=None if stopped else level + 1.0 / STEPS)
        ask_tell_s += time.perf_counter() - start
    return report_s / reports, ask_tell_s / (2 * new)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=10_000)
    ap.add_argument("--new", type=int, default=50)
    args = ap.parse_args()
    print(f"{args.trials:,} trials in the study, {args.new} more run:")
    print("| pruner | per report | per ask or tell |")
    print("|---|---|---|")
    for pruner in OPTIONS:
        report, ask_tell = measure(pruner, args.trials, args.new)
        print(f"| {pruner} | {report * 1e3:.3f} ms | {ask_tell * 1e3:.3f} ms |")


if __name__ == "__main__":
    main()
