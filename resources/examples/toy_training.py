"""A fast, dependency-free stand-in for a training run, to try Knobs in seconds.

The "validation loss" after each epoch follows a made-up but realistic shape: too high a
learning rate diverges, too low learns slowly, more units help until they overfit, and
momentum only matters for SGD. The best settings are near lr=0.01, units=64, sgd with
momentum 0.9.
"""

import math
import random
import time


def train(params, report):
    lr = params["learning_rate"]
    units = params["units"]
    solver = params["solver"]
    momentum = params.get("momentum", 0.0)  # absent unless solver == "sgd"
    rng = random.Random(f"{lr}-{units}-{solver}-{momentum}")  # same settings, same noise

    speed = 1.0 + (2.0 * momentum if solver == "sgd" else 1.5)
    distance = abs(math.log10(lr) + 2.0)  # 0 at lr = 0.01
    floor = 0.05 + 0.08 * distance**2 + 0.02 * abs(math.log2(units / 64))
    loss = 2.0
    for epoch in range(1, params.get("epochs", 10) + 1):
        if lr > 0.3 and solver == "sgd":
            loss *= 1.4  # diverges
        else:
            loss = floor + (loss - floor) * math.exp(-lr * 30 * speed / (1 + distance))
        loss *= 1 + rng.gauss(0, 0.01)
        if report(epoch, loss):  # a pruner stopped this trial: the rest would be wasted
            break
        time.sleep(0.01)
    return {"value": loss, "epochs_run": epoch}
