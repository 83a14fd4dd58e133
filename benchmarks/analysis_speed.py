"""How long the analysis work takes that the window does off its GUI thread.

Prints, per study size: the fANOVA importance (forest fit and functional ANOVA), the
surrogate's GP fit, a 48 x 48 grid with the other parameters at the best trial and a
32 x 32 grid averaged over the trials; and for a study another process writes, one poll of
the follower when a trial was added and one when nothing changed. No asserts: the numbers
are for reading.

    python benchmarks/analysis_speed.py [sizes...]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from engine.analysis import TrialColumns, param_importance  # noqa: E402
from engine.follow import StudyFollower  # noqa: E402
from engine.space import CategoricalParam, FloatParam, IntParam, SearchSpace  # noqa: E402
from engine.spec import StudySpec  # noqa: E402
from engine.study import Study  # noqa: E402
from engine.surrogate import fit_surrogate  # noqa: E402
from engine.trial import Trial, TrialState  # noqa: E402

PARAMS = (FloatParam("lr", 1e-4, 1.0, log=True), IntParam("layers", 1, 8),
          CategoricalParam("solver", ("adam", "sgd", "lbfgs")), FloatParam("dropout", 0.0, 0.5),
          FloatParam("momentum", 0.0, 1.0))
SPACE = SearchSpace(PARAMS)


def score(p: dict) -> float:
    return ((np.log10(p["lr"]) + 2) ** 2 + 0.1 * abs(p["layers"] - 4)
            + {"adam": 0.0, "sgd": 0.3, "lbfgs": 0.1}[p["solver"]] + 0.2 * p["dropout"])


def trials_of(n: int, rng: np.random.Generator) -> list[Trial]:
    out = []
    for i in range(n):
        p = SPACE.decode(rng.random(SPACE.dimension))
        out.append(Trial(i, p, TrialState.COMPLETE, score(p) + 0.01 * rng.standard_normal()))
    return out


def timed(f, *args, **kwargs):
    start = time.perf_counter()
    out = f(*args, **kwargs)
    return out, time.perf_counter() - start


def follow_poll(n: int) -> tuple[float, float]:
    spec = StudySpec(name="followed", params=PARAMS,
                     objective={"kind": "python", "path": "x.py", "function": "f"},
                     sampler="random", seed=0)
    with tempfile.TemporaryDirectory() as folder:
        writer = Study.create(spec, Path(folder) / "f.knobs")
        for _ in range(n):
            t = writer.ask()
            writer.tell(t.number, TrialState.COMPLETE, value=score(t.params))
        reader = Study.open(Path(folder) / "f.knobs", readonly=True)
        follower = StudyFollower(reader)
        follower.poll()
        t = writer.ask()
        writer.tell(t.number, TrialState.COMPLETE, value=1.0)
        _, changed = timed(follower.poll)
        _, unchanged = timed(follower.poll)
        reader.close()
        writer.close()
    return changed, unchanged


def main(sizes: list[int]) -> None:
    rng = np.random.default_rng(0)
    param_importance(TrialColumns(SPACE, "minimize", trials_of(20, rng)))  # imports sklearn
    print(f"{'trials':>7}  {'importance':>10}  {'GP fit':>7}  {'grid':>6}  {'averaged':>8}  "
          f"{'follow: new trial':>17}  {'unchanged':>9}")
    for n in sizes:
        trials = trials_of(n, rng)
        _, importance = timed(param_importance, TrialColumns(SPACE, "minimize", trials))
        model, fit = timed(fit_surrogate, SPACE, "minimize", trials)
        _, grid = timed(model.grid, "lr", "layers", n=48)
        _, averaged = timed(model.grid, "lr", "layers", n=32, others="average")
        changed, unchanged = follow_poll(n)
        print(f"{n:>7}  {importance:>9.2f}s  {fit:>6.2f}s  {grid:>5.2f}s  {averaged:>7.2f}s  "
              f"{changed:>16.3f}s  {unchanged * 1000:>7.2f}ms")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100, 1000, 5000])
