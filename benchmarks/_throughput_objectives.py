"""Objectives of benchmarks/throughput.py, in their own small file.

Knobs imports this file in each worker process (a ``python`` objective); Optuna calls the
same functions in its own process, so both tools run exactly the same code.
"""

import time

CPU_LOOPS = 4_000_000  # about 0.25 s of pure Python on one core


def noop(params):
    return 0.0


def sleep(params):
    time.sleep(0.2)
    return params["x"]


def cpu(params):
    # Pure Python, so that threads of one process are held by the GIL.
    total = 0
    for i in range(CPU_LOOPS):
        total += i * i % 7
    return params["x"] + total * 0.0
