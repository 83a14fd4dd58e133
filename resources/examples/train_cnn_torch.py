"""A small convolutional network (PyTorch) on the handwritten digits, to tune with Knobs.

The same protocol as train_mlp.py, so Knobs can stop a hopeless trial early:

    step=1 value=0.8711          after every epoch: validation accuracy (a learning curve)
    {"value": 0.9644, ...}       at the end: the score, plus extra metrics

It uses the 8×8 digits images bundled with scikit-learn, runs on the CPU in a few seconds
per trial, and on the GPU that ``CUDA_VISIBLE_DEVICES`` names when there is one (the spec's
``devices`` setting gives each worker its own). On SIGTERM (Knobs stopping the trial) it
saves a checkpoint of the model before it exits.

    pip install torch   # then: python main.py run resources/examples/cnn_digits_torch.toml
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--learning-rate", type=float, default=1e-3)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--channels", type=int, default=16, help="filters in the first layer")
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkpoint", default="", help="file to save the model to on SIGTERM")
    return p.parse_args()


def network(channels: int, dropout: float) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, channels, 3, padding=1), nn.ReLU(),
        nn.Conv2d(channels, 2 * channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(dropout), nn.Linear(2 * channels * 16, 10),
    )


def main() -> None:
    args = parse_args()
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    x, y = load_digits(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(
        x / 16.0, y, test_size=0.25, stratify=y, random_state=args.seed)

    def tensors(a, b):
        return (torch.tensor(a, dtype=torch.float32).reshape(-1, 1, 8, 8).to(device),
                torch.tensor(b, dtype=torch.long).to(device))

    (xt, yt), (xv, yv) = tensors(x_train, y_train), tensors(x_val, y_val)
    model = network(args.channels, args.dropout).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.learning_rate,
                                  weight_decay=args.weight_decay)
    loss_fn = nn.CrossEntropyLoss()

    def save_and_exit(*_):
        if args.checkpoint:
            torch.save(model.state_dict(), args.checkpoint)
        sys.exit(0)

    signal.signal(signal.SIGTERM, save_and_exit)

    def accuracy() -> float:
        model.eval()
        with torch.no_grad():
            return float((model(xv).argmax(1) == yv).float().mean())

    started = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = torch.randperm(len(xt), device=device)
        for i in range(0, len(xt), args.batch_size):
            batch = order[i:i + args.batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(xt[batch]), yt[batch])
            loss.backward()
            optimizer.step()
        # flush: when stdout is a pipe, Python would otherwise hold lines back until the end.
        print(f"step={epoch} value={accuracy():.4f}", flush=True)

    result = {"value": round(accuracy(), 4), "final_loss": round(loss.item(), 4),
              "fit_seconds": round(time.perf_counter() - started, 3), "device": str(device)}
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
