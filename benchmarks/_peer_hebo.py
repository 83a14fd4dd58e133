"""HEBO (the winner of the NeurIPS 2020 black-box optimisation challenge) as a peer of
benchmarks/bayes_vs_peers.py, in an environment of its own.

HEBO 0.3.6, its latest release, requires numpy < 1.25 (and pymoo == 0.6.0), while Knobs
requires numpy >= 1.26: the two cannot share one environment, so HEBO is not in the
``bench`` extra. It runs in a second virtual environment, made once with

    python3.11 -m venv .venv-hebo
    .venv-hebo/bin/pip install -r benchmarks/requirements-hebo.txt

and driven through benchmarks/_hebo_worker.py over a pipe: HEBO proposes, this process
evaluates the objective (the same scikit-learn for every optimizer) and tells it the value.
``KNOBS_HEBO_PYTHON`` names another interpreter; by default ``.venv-hebo/bin/python`` at
the repository's root. The ask time is HEBO's own, measured in the worker.

HEBO's defaults are kept (GP surrogate, MACE acquisition, 1 + dimension Sobol points
first). It has no conditional parameters: it draws every parameter and the inactive ones
are dropped, as for scikit-optimize. A stepped float is searched as the index of its step.
"""

from __future__ import annotations

import functools
import json
import math
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from benchmarks._peers import Run, active
from benchmarks._problems import Problem
from engine.space import CategoricalParam, FixedParam, FloatParam, IntParam, Param, SearchSpace

ROOT = Path(__file__).resolve().parents[1]
WORKER = Path(__file__).with_name("_hebo_worker.py")


def python() -> Path:
    return Path(os.environ.get("KNOBS_HEBO_PYTHON") or ROOT / ".venv-hebo" / "bin" / "python")


@functools.cache
def available() -> str | None:
    """None when HEBO's environment answers, else why not."""
    exe = python()
    if not exe.exists():
        return (f"no HEBO environment at {exe}: make it with benchmarks/requirements-hebo.txt "
                "(see benchmarks/_peer_hebo.py) or set KNOBS_HEBO_PYTHON")
    done = subprocess.run([str(exe), "-c", "import hebo.optimizers.hebo"], capture_output=True,
                          text=True, timeout=300)
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return f"{exe} cannot import HEBO: {last}"
    return None


def _kept(params: tuple[Param, ...]) -> list[Param]:
    return [p for p in SearchSpace(params).params if not isinstance(p, FixedParam)]


def space(params: tuple[Param, ...]) -> list[dict[str, Any]]:
    """HEBO's parameter dicts; categories by index, as text (HEBO keeps them as labels)."""
    out = []
    for p in _kept(params):
        if isinstance(p, CategoricalParam):
            out.append({"name": p.name, "type": "cat",
                        "categories": [str(i) for i in range(len(p.choices))]})
        elif isinstance(p, IntParam):
            out.append({"name": p.name, "type": "pow_int" if p.log else "int",
                        "lb": p.low, "ub": p.high})
        elif p.step is not None:
            out.append({"name": p.name, "type": "int", "lb": 0,
                        "ub": round((p.high - p.low) / p.step)})
        else:
            out.append({"name": p.name, "type": "pow" if p.log else "num",
                        "lb": p.low, "ub": p.high})
    return out


def decode(problem: Problem, raw: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for p in _kept(problem.params):
        v = raw[p.name]
        if isinstance(p, CategoricalParam):
            v = p.choices[int(v)]
        elif isinstance(p, IntParam):
            v = int(min(max(round(v), p.low), p.high))
        elif p.step is not None:
            v = round(p.low + int(round(v)) * p.step, 12)
        else:
            v = min(max(float(v), p.low), p.high)
        values[p.name] = v
    for p in problem.params:
        if isinstance(p, FixedParam):
            values[p.name] = p.value
    return active(problem.params, values)


def encode(problem: Problem, params: dict[str, Any]) -> dict[str, Any]:
    """A Knobs configuration as HEBO's row; an inactive parameter at its lower bound."""
    row: dict[str, Any] = {}
    for p in _kept(problem.params):
        v = params.get(p.name)
        if isinstance(p, CategoricalParam):
            row[p.name] = str(p.choices.index(v) if v is not None else 0)
        elif isinstance(p, FloatParam) and p.step is not None:
            row[p.name] = 0 if v is None else round((v - p.low) / p.step)
        else:
            row[p.name] = p.low if v is None else v
    return row


class _Worker:
    def __init__(self, problem: Problem, seed: int):
        self._log = tempfile.TemporaryFile("w+")
        self._proc = subprocess.Popen(
            [str(python()), str(WORKER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._log, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        self._send({"space": space(problem.params), "seed": seed}, reply=False)

    def _send(self, msg: dict[str, Any], reply: bool = True) -> dict[str, Any]:
        self._proc.stdin.write(json.dumps(msg) + "\n")
        self._proc.stdin.flush()
        if not reply:
            return {}
        line = self._proc.stdout.readline()
        if not line:
            self._log.seek(0)
            tail = "\n".join(self._log.read().strip().splitlines()[-5:])
            raise RuntimeError(f"the HEBO worker stopped:\n{tail}")
        return json.loads(line)

    def ask(self) -> tuple[dict[str, Any], float]:
        got = self._send({"cmd": "ask"})
        return got["params"], got["seconds"]

    def tell(self, rows: list[dict[str, Any]], values: list[float]) -> None:
        # HEBO refuses no value, but an infinite one would break its output warping.
        self._send({"cmd": "tell", "params": rows,
                    "values": [v if math.isfinite(v) else 1e300 for v in values]})

    def close(self) -> None:
        self._proc.stdin.close()
        self._proc.wait(timeout=60)
        self._log.close()


def run(problem: Problem, seed: int, budget: int) -> Run:
    worker, out = _Worker(problem, seed), Run()
    try:
        for _ in range(budget):
            raw, seconds = worker.ask()
            params = decode(problem, raw)
            value = problem.func(params)
            worker.tell([raw], [value])
            out.add(params, value, seconds)
    finally:
        worker.close()
    return out


def ask_times(problem: Problem, history: list[tuple[dict, float]], n_asks: int) -> list[float]:
    worker, out = _Worker(problem, 0), []
    try:
        worker.tell([encode(problem, p) for p, _ in history], [v for _, v in history])
        for _ in range(n_asks):
            raw, seconds = worker.ask()
            out.append(seconds)
            worker.tell([raw], [problem.func(decode(problem, raw))])
    finally:
        worker.close()
    return out
