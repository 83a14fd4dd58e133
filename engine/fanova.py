"""Functional ANOVA over a fitted random forest: how much of the score's variance each
parameter explains on its own (Hutter, Hoos and Leyton-Brown, ICML 2014).

Each regression tree cuts the search space (a box) into leaf boxes with one predicted value
each. Averaging the tree over every parameter but one gives that parameter's *marginal*
curve; the variance of the marginal over the parameter's range, as a share of the tree's
total variance over the box, is the parameter's importance in that tree. Unlike the
forest's impurity importance, this does not favour parameters with many distinct values:
a split that changes little over little of the space counts for little.

The forest's trees give one share each; their mean is the importance and their spread the
uncertainty of it. Optuna's default ``FanovaImportanceEvaluator`` computes the same
quantity; this is an independent numpy implementation.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np


class Fanova(NamedTuple):
    """Per-tree importance shares (trees x features) and their mean and spread."""

    per_tree: np.ndarray
    mean: np.ndarray
    std: np.ndarray


def fanova(forest: Any, low: np.ndarray, high: np.ndarray) -> Fanova:
    """The main-effect share of each feature in each tree of a fitted scikit-learn forest.

    ``low`` and ``high`` bound each feature's domain (the box the marginals are taken
    over, uniformly). A tree that predicts a constant contributes zeros.
    """
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    shares = np.array([_tree_shares(est.tree_, low, high) for est in forest.estimators_])
    return Fanova(shares, shares.mean(axis=0), shares.std(axis=0))


def _tree_shares(tree: Any, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    lo, hi, values = _leaf_boxes(tree, low, high)
    d = low.size
    width = high - low
    frac = (hi - lo) / width  # each leaf's share of each feature's range
    volume = frac.prod(axis=1)
    mean = float(volume @ values)
    total = float(volume @ (values - mean) ** 2)
    out = np.zeros(d)
    if not total > 1e-300:
        return out
    for j in range(d):
        # The marginal of feature j is piecewise constant between the leaves' edges on j:
        # each leaf adds value * (its volume in the other features) over [lo_j, hi_j).
        edges = np.unique(np.concatenate([lo[:, j], hi[:, j]]))
        weight = np.divide(values * volume, frac[:, j], out=np.zeros_like(values),
                           where=frac[:, j] > 0)
        step = np.zeros(edges.size)
        np.add.at(step, np.searchsorted(edges, lo[:, j]), weight)
        np.add.at(step, np.searchsorted(edges, hi[:, j]), -weight)
        marginal = np.cumsum(step)[:-1]
        piece = np.diff(edges) / width[j]
        out[j] = float(piece @ (marginal - mean) ** 2) / total
    return out


def _leaf_boxes(tree: Any, low: np.ndarray, high: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The box and value of every leaf, the boxes clipped to ``[low, high]``."""
    left, right = tree.children_left, tree.children_right
    feature, threshold = tree.feature, tree.threshold
    n = left.size
    lo = np.empty((n, low.size))
    hi = np.empty((n, low.size))
    lo[0], hi[0] = low, high
    # sklearn numbers a node's children after it, so one pass in order sees parents first.
    for node in np.flatnonzero(left >= 0).tolist():
        f, t = feature[node], min(max(threshold[node], low[feature[node]]), high[feature[node]])
        a, b = left[node], right[node]
        lo[a], hi[a] = lo[node], hi[node]
        lo[b], hi[b] = lo[node], hi[node]
        hi[a, f] = min(hi[node, f], t)
        lo[b, f] = max(lo[node, f], t)
    leaves = left < 0
    return lo[leaves], hi[leaves], tree.value[leaves].reshape(-1)
