"""A small training script to tune with Knobs' command objective.

It trains a neural network (scikit-learn's MLPClassifier) on the handwritten digits data set
bundled with scikit-learn, one epoch at a time, and prints what Knobs reads:

    step=1 value=0.8711          after every epoch: validation accuracy (a learning curve)
    {"value": 0.9644, ...}       at the end: the score, plus extra metrics

Run it by hand to try it:

    python train_mlp.py --learning-rate 0.003 --batch-size 64 --solver sgd --momentum 0.9

It needs only numpy and scikit-learn and runs in about a second.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--learning-rate", type=float, default=1e-3, help="initial step size")
    p.add_argument("--batch-size", type=int, default=64, help="samples per gradient step")
    p.add_argument("--hidden-units", type=int, default=64, help="neurons per hidden layer")
    p.add_argument("--layers", type=int, default=1, help="number of hidden layers")
    p.add_argument("--alpha", type=float, default=1e-4, help="L2 regularisation strength")
    p.add_argument("--solver", choices=["adam", "sgd"], default="adam")
    p.add_argument("--momentum", type=float, default=0.9, help="used by the sgd solver only")
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args()


def load_data(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Training and validation rows of the digits, scaled: x_train, x_val, y_train, y_val."""
    x, y = load_digits(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(
        x, y, test_size=0.25, stratify=y, random_state=seed
    )
    scaler = StandardScaler().fit(x_train)
    return scaler.transform(x_train), scaler.transform(x_val), y_train, y_val


def build_model(args: argparse.Namespace) -> MLPClassifier:
    return MLPClassifier(
        hidden_layer_sizes=(args.hidden_units,) * args.layers,
        solver=args.solver,
        learning_rate_init=args.learning_rate,
        batch_size=args.batch_size,
        alpha=args.alpha,
        momentum=args.momentum,
        random_state=args.seed,
    )


def train_one_epoch(model: MLPClassifier, x_train: np.ndarray, y_train: np.ndarray) -> None:
    with warnings.catch_warnings():
        # One pass per call is the point here; sklearn warns it has not converged yet.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.partial_fit(x_train, y_train, classes=np.arange(10))


def main() -> None:
    args = parse_args()
    x_train, x_val, y_train, y_val = load_data(args.seed)
    model = build_model(args)
    started = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        train_one_epoch(model, x_train, y_train)
        # flush: when stdout is a pipe, Python would otherwise hold lines back until the end.
        print(f"step={epoch} value={model.score(x_val, y_val):.4f}", flush=True)

    result = {
        "value": round(model.score(x_val, y_val), 4),
        "train_accuracy": round(model.score(x_train, y_train), 4),
        "final_loss": round(float(model.loss_), 4),
        "fit_seconds": round(time.perf_counter() - started, 3),
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
