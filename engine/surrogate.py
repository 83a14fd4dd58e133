"""What a model of the trials believes: the engine's GP fitted to any study, plain arrays out.

Whatever sampler ran a study, :func:`fit_surrogate` fits the Gaussian process of
:mod:`engine._gp` to its complete trials and returns a :class:`Surrogate`, which predicts
the objective and its uncertainty

- over a grid of two parameters (:meth:`Surrogate.grid`), for a contour or heat map, and
- along one parameter (:meth:`Surrogate.curve`), for a line with a band,

with the other parameters either held at the best trial's values (``others="best"``) or
averaged out over the trials (``others="average"``, partial dependence). Everything is in
the objective's own units and direction. Nothing here needs a GUI; a fit takes from a few
milliseconds to about a second (at :data:`MAX_FIT_TRIALS` trials), so a window runs it off
its GUI thread.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from engine.space import CategoricalParam, FixedParam, SearchSpace, Value, decode_one, encode_one
from engine.trial import Trial, TrialState

OTHERS = ("best", "average")
MIN_SURROGATE_TRIALS = 2
# The GP's fit and its posterior cost O(n^3); beyond this many complete trials the model
# is fitted to the best tenth of them plus a random sample of the rest.
MAX_FIT_TRIALS = 600
# Partial dependence averages the prediction over at most this many trials' other values.
MAX_AVERAGED_TRIALS = 16
MAX_AVERAGED_STD = 4


class SurrogateGrid(NamedTuple):
    """The prediction on a grid of two parameters.

    ``mean[i, j]`` and ``std[i, j]`` are at ``y[i]``, ``x[j]``, in the objective's units.
    ``x`` and ``y`` hold parameter values (choices, for a categorical). With
    ``others == "best"``, ``fixed`` holds the other parameters' values (those of the best
    trial that has both); with ``"average"`` it is empty and ``std`` is the mean of the
    pointwise standard deviation over some of the averaged trials.
    """

    param_x: str
    param_y: str
    x: list[Value]
    y: list[Value]
    mean: np.ndarray
    std: np.ndarray
    fixed: dict[str, Value]
    others: str = "best"


class SurrogateCurve(NamedTuple):
    """The prediction along one parameter: ``mean[i]`` and ``std[i]`` at ``x[i]``."""

    param: str
    x: list[Value]
    mean: np.ndarray
    std: np.ndarray
    fixed: dict[str, Value]
    others: str = "best"


class Surrogate:
    """A GP fitted to a study's complete trials; see :func:`fit_surrogate`."""

    def __init__(self, space: SearchSpace, direction: str, done: list[Trial], model: Any,
                 encoding: Any, n_trials: int):
        self.space = space
        self.direction = direction
        self.model = model
        self.n_trials = n_trials  # complete trials the model was fitted to
        self._encoding = encoding
        self._done = done  # best first

    @property
    def best_params(self) -> dict[str, Value]:
        return dict(self._done[0].params)

    def predict(self, params_list: Sequence[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation at these configurations, in the objective's units."""
        return self._predict(self._encoding.from_params(list(params_list)))

    def grid(self, param_x: str, param_y: str, n: int = 50, others: str = "best"
             ) -> SurrogateGrid:
        """The prediction over ``param_x`` x ``param_y``.

        Numeric axes get up to ``n`` values (evenly spaced on the parameter's own scale;
        fewer for an int with fewer values), a categorical axis its choices.
        """
        problems = self._check_names((("param_x", param_x), ("param_y", param_y)), others)
        if param_x == param_y:
            problems.append(f"param_y = {param_y!r}: must differ from param_x")
        if problems:
            raise ValueError("\n".join(problems))
        xs, ux = axis_values(self.space, param_x, n)
        ys, uy = axis_values(self.space, param_y, n)
        dx, dy = self.space.dim_of(param_x), self.space.dim_of(param_y)
        points = np.empty((len(ys) * len(xs), 2))
        points[:, 0] = np.tile(ux, len(ys))
        points[:, 1] = np.repeat(uy, len(xs))
        mean, std, fixed = self._over((dx, dy), points, (param_x, param_y), others)
        shape = (len(ys), len(xs))
        return SurrogateGrid(param_x, param_y, xs, ys, mean.reshape(shape), std.reshape(shape),
                             fixed, others)

    def curve(self, param: str, n: int = 100, others: str = "best") -> SurrogateCurve:
        """The prediction along ``param`` (values as in :meth:`grid`)."""
        problems = self._check_names((("param", param),), others)
        if problems:
            raise ValueError("\n".join(problems))
        xs, ux = axis_values(self.space, param, n)
        mean, std, fixed = self._over((self.space.dim_of(param),), ux[:, None], (param,),
                                      others)
        return SurrogateCurve(param, xs, mean, std, fixed, others)

    # --- inside ----------------------------------------------------------------------

    def _check_names(self, names: Sequence[tuple[str, str]], others: str) -> list[str]:
        varying = [p.name for p in self.space.params if not isinstance(p, FixedParam)]
        problems = [f"{key} = {name!r}: expected one of {', '.join(varying)}"
                    for key, name in names if name not in varying]
        if others not in OTHERS:
            problems.append(f"others = {others!r}: expected one of {', '.join(OTHERS)}")
        return problems

    def _over(self, dims: tuple[int, ...], points: np.ndarray, names: tuple[str, ...],
              others: str) -> tuple[np.ndarray, np.ndarray, dict[str, Value]]:
        """Mean and std at unit-cube ``points`` of ``dims``, the other dims from the best
        trial having every named parameter, or averaged over up to
        :data:`MAX_AVERAGED_TRIALS` trials (the std over :data:`MAX_AVERAGED_STD` of them:
        the variance costs the square of the trials modelled per point, the mean not)."""
        if others == "best":
            having = [t for t in self._done if set(names) <= t.params.keys()]
            base = (having or self._done)[0].params
            return (*self._predict(self._features(base, dims, points)),
                    {k: v for k, v in base.items() if k not in names})
        step = max(1, math.ceil(len(self._done) / MAX_AVERAGED_TRIALS))
        bases = [t.params for t in self._done[::step]]
        mean = np.mean([self._predict_mean(self._features(b, dims, points)) for b in bases],
                       axis=0)
        every = max(1, math.ceil(len(bases) / MAX_AVERAGED_STD))
        std = np.mean([self._predict(self._features(b, dims, points))[1]
                       for b in bases[::every]], axis=0)
        return mean, std, {}

    def _features(self, params: dict[str, Any], dims: tuple[int, ...],
                  points: np.ndarray) -> np.ndarray:
        u = np.repeat(np.nan_to_num(self.space.encode(params), nan=0.5)[None, :], len(points),
                      axis=0)
        u[:, list(dims)] = points
        return self._encoding.from_unit(u)

    def _predict_mean(self, features: np.ndarray) -> np.ndarray:
        from engine._gp.gp import matern52, sq_dist

        m = self.model
        ks, _ = matern52(sq_dist(features, m.x, m.n_num, m.ls), m.signal)
        mean = m.shift + m.scale * (m.const + ks @ m.alpha)
        return -mean if self.direction == "maximize" else mean

    def _predict(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mean, std = self.model.to_raw(*self.model.predict(features))
        return (-mean if self.direction == "maximize" else mean), std


def fit_surrogate(space: SearchSpace, direction: str, trials: Sequence[Trial], *,
                  seed: int = 0, warm: np.ndarray | None = None) -> Surrogate:
    """Fit the engine's GP to the complete trials with a finite value.

    The model is of the values themselves (not warped as the bayes sampler's is), so that
    its mean and std are in the objective's units. ``warm`` is a hyperparameter vector to
    start the fit from (e.g. a previous fit's ``model.theta``). Raises ValueError with
    fewer than :data:`MIN_SURROGATE_TRIALS` such trials or an unknown ``direction``.
    """
    from engine._gp import gp as gp_mod
    from engine._gp.encoding import Encoding

    if direction not in ("minimize", "maximize"):
        raise ValueError(f"direction = {direction!r}: expected minimize or maximize")
    sign = -1.0 if direction == "maximize" else 1.0
    done = [t for t in trials if t.state is TrialState.COMPLETE and t.value is not None
            and math.isfinite(float(t.value)) and space.contains(t.params)]
    if len(done) < MIN_SURROGATE_TRIALS:
        raise ValueError(f"a surrogate needs at least {MIN_SURROGATE_TRIALS} complete trials, "
                         f"got {len(done)}")
    done.sort(key=lambda t: sign * float(t.value))
    rng = np.random.default_rng(seed)
    fitted = done
    if len(done) > MAX_FIT_TRIALS:
        head = MAX_FIT_TRIALS // 10
        rest = rng.choice(len(done) - head, MAX_FIT_TRIALS - head, replace=False) + head
        fitted = [done[i] for i in [*range(head), *sorted(rest.tolist())]]
    enc = Encoding(space)
    x = enc.from_params([t.params for t in fitted])
    y = np.array([sign * float(t.value) for t in fitted])
    with one_blas_thread():
        model = gp_mod.fit(x, y, enc.n_num, warm=warm, rng=rng, n_random_starts=0)
    return Surrogate(space, direction, done, model, enc, len(fitted))


def axis_values(space: SearchSpace, name: str, n: int) -> tuple[list[Value], np.ndarray]:
    """Up to ``n`` values of a parameter evenly spread on its own scale (every choice of a
    categorical; an int's values without repeats) and their unit-cube coordinates."""
    p = space[name]
    if isinstance(p, CategoricalParam):
        values: list[Value] = list(p.choices)
    else:
        values = []
        for u in np.linspace(0.0, 1.0, max(n, 2)):
            v = decode_one(p, float(u))
            if not values or v != values[-1]:
                values.append(v)
    return values, np.array([encode_one(p, v) for v in values])


def one_blas_thread() -> Any:
    """Run BLAS single-threaded: the GP's matrices are small, and the threads of OpenBLAS
    cost more than they save on them (100x slower L-BFGS-B steps on a busy 2-core
    machine), while the trials themselves are already using the other cores."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1, user_api="blas")
